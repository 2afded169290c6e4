using Temporalio.Client;

namespace MaintenanceWorkflows.Worker;

/// <summary>Turns <see cref="TemporalSettings"/> into client options; shared by the worker and the starter.</summary>
public static class TemporalSettingsExtensions
{
    public static TemporalClientConnectOptions ToConnectOptions(this TemporalSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var options = new TemporalClientConnectOptions(settings.Address) { Namespace = settings.Namespace };
        if (!string.IsNullOrEmpty(settings.ApiKey))
        {
            options.ApiKey = settings.ApiKey;
        }
        var tls = settings.Tls;
        if (tls.Enabled || !string.IsNullOrEmpty(settings.ApiKey) || tls.ClientCertPath is not null)
        {
            options.Tls = new TlsOptions
            {
                ClientCert = tls.ClientCertPath is null ? null : File.ReadAllBytes(tls.ClientCertPath),
                ClientPrivateKey = tls.ClientKeyPath is null ? null : File.ReadAllBytes(tls.ClientKeyPath),
                ServerRootCACert = tls.ServerRootCaPath is null ? null : File.ReadAllBytes(tls.ServerRootCaPath),
                Domain = tls.ServerName,
            };
        }
        return options;
    }
}
