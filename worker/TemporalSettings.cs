using System.ComponentModel.DataAnnotations;

namespace MaintenanceWorkflows.Worker;

/// <summary>
/// How the worker (and the starter) reach Temporal. Bound from the <c>Temporal</c> configuration
/// section; environment variables use <c>Temporal__Address</c> and so on.
/// </summary>
public sealed class TemporalSettings
{
    public const string Section = "Temporal";

    public const string DefaultTaskQueue = "maintenance-windows";

    /// <summary>Worker deployment name the build id belongs to.</summary>
    public const string DeploymentName = "maintenance-workflows";

    /// <summary>Gets or sets the frontend address, host:port. Defaults to a devserver on this machine.</summary>
    [Required(AllowEmptyStrings = false)]
    public string Address { get; set; } = "localhost:7233";

    [Required(AllowEmptyStrings = false)]
    public string Namespace { get; set; } = "default";

    [Required(AllowEmptyStrings = false)]
    public string TaskQueue { get; set; } = DefaultTaskQueue;

    /// <summary>Gets or sets an API key (Temporal Cloud); sent as a bearer token and implies TLS.</summary>
    public string? ApiKey { get; set; }

    public TemporalTlsSettings Tls { get; set; } = new();

    /// <summary>
    /// Gets or sets a value indicating whether the worker registers the workflow's custom search
    /// attributes on start. On for the devserver and self-hosted clusters; off where an operator
    /// manages them (docker-compose registers them with the admin tools; Temporal Cloud via tcld).
    /// </summary>
    public bool RegisterSearchAttributes { get; set; } = true;

    /// <summary>
    /// Gets or sets the worker's build id, recorded on every workflow task it completes (the Temporal UI shows
    /// it per task), so a replay failure after a deploy points at the build that wrote the history. Defaults to
    /// <see cref="DefaultBuildId"/>.
    /// </summary>
    public string? BuildId { get; set; }

    /// <summary>
    /// Gets or sets how many workflow runs the worker keeps in memory between tasks (Temporal's sticky cache).
    /// Windows sleep for days before their start; a cached run costs memory until it wakes, an evicted one costs a
    /// history replay when it wakes. The worker's memory is bounded by this number, not by the windows waiting.
    /// Defaults to the SDK's 10,000; 0 turns the cache (and sticky task queues) off.
    /// </summary>
    [Range(0, 1_000_000)]
    public int MaxCachedWorkflows { get; set; } = DefaultMaxCachedWorkflows;

    public const int DefaultMaxCachedWorkflows = 10_000;

    /// <summary>
    /// The version of the workflows assembly plus its module version id: a rebuild with changed workflow
    /// code gets a new build id, an unchanged one keeps it.
    /// </summary>
    public static string DefaultBuildId
    {
        get
        {
            var assembly = typeof(MaintenanceWorkflows.Workflows.MaintenanceWindowWorkflow).Assembly;
            return $"maintenance-workflows-{assembly.GetName().Version}-{assembly.ManifestModule.ModuleVersionId.ToString("N")[..12]}";
        }
    }
}

public sealed class TemporalTlsSettings
{
    public bool Enabled { get; set; }

    /// <summary>Gets or sets the PEM client certificate for mTLS.</summary>
    public string? ClientCertPath { get; set; }

    /// <summary>Gets or sets the PEM private key matching <see cref="ClientCertPath"/>.</summary>
    public string? ClientKeyPath { get; set; }

    /// <summary>Gets or sets a PEM CA bundle for servers signed by a private CA.</summary>
    public string? ServerRootCaPath { get; set; }

    /// <summary>Gets or sets the TLS server name when it differs from the address host.</summary>
    public string? ServerName { get; set; }
}
