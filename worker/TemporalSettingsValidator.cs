using Microsoft.Extensions.Options;

namespace MaintenanceWorkflows.Worker;

/// <summary>Checks what data annotations cannot: file paths exist and TLS pieces come in pairs.</summary>
public sealed class TemporalSettingsValidator : IValidateOptions<TemporalSettings>
{
    public ValidateOptionsResult Validate(string? name, TemporalSettings options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (!string.IsNullOrWhiteSpace(options.Address) && !LooksLikeHostPort(options.Address))
        {
            failures.Add(
                $"Temporal:Address '{options.Address}' is not host:port (for example localhost:7233 or " +
                "my-ns.a1b2c.tmprl.cloud:7233); do not include a scheme.");
        }
        var tls = options.Tls;
        if ((tls.ClientCertPath is null) != (tls.ClientKeyPath is null))
        {
            failures.Add(
                "Temporal:Tls:ClientCertPath and Temporal:Tls:ClientKeyPath must be set together for mTLS; " +
                "set both or neither.");
        }
        foreach (var (key, path) in new[]
        {
            ("Temporal:Tls:ClientCertPath", tls.ClientCertPath),
            ("Temporal:Tls:ClientKeyPath", tls.ClientKeyPath),
            ("Temporal:Tls:ServerRootCaPath", tls.ServerRootCaPath),
        })
        {
            if (path is not null && !File.Exists(path))
            {
                failures.Add($"{key} '{path}' does not exist; give the path of a PEM file the worker can read.");
            }
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static bool LooksLikeHostPort(string address)
    {
        if (address.Contains("://", StringComparison.Ordinal))
        {
            return false;
        }
        var colon = address.LastIndexOf(':');
        return colon > 0 && int.TryParse(address.AsSpan(colon + 1), out var port) && port is > 0 and < 65536;
    }
}
