namespace MaintenanceWorkflows.Activities.Http;

/// <summary>Section <c>Targets</c>: <c>Targets:&lt;name&gt;:BaseUrl</c> and <c>Targets:&lt;name&gt;:Headers:&lt;header&gt;</c>.</summary>
public sealed class TargetsOptions() : Dictionary<string, TargetOptions>(StringComparer.OrdinalIgnoreCase)
{
    public const string Section = "Targets";
}

/// <summary>Section <c>FreezeSources</c>: <c>FreezeSources:&lt;name&gt;:Url</c>, ActivePath, ReasonPath, Headers.</summary>
public sealed class FreezeSourcesOptions() : Dictionary<string, FreezeSourceOptions>(StringComparer.OrdinalIgnoreCase)
{
    public const string Section = "FreezeSources";
}

/// <summary>A named base URL plans refer to, with headers (e.g. auth) that stay on the worker.</summary>
public sealed class TargetOptions
{
    /// <summary>Absolute http(s) base URL.</summary>
    public Uri? BaseUrl { get; set; }

    /// <summary>Headers sent with every request to this target (API keys live here, never in a plan).</summary>
    public Dictionary<string, string> Headers { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// The target de-duplicates by an <c>Idempotency-Key</c> header: http.request steps that change state send one
    /// derived from workflow id, run id and activity id, so a retried POST is applied once.
    /// </summary>
    public bool IdempotencyKey { get; set; }
}

/// <summary>An external change-freeze flag (for example a dashboard's banner API).</summary>
public sealed class FreezeSourceOptions
{
    /// <summary>Absolute URL returning JSON.</summary>
    public Uri? Url { get; set; }

    /// <summary>Dotted path of the boolean that is true while a freeze is active.</summary>
    public string ActivePath { get; set; } = "freeze.active";

    /// <summary>Dotted path of the freeze's reason text, if the source has one.</summary>
    public string? ReasonPath { get; set; } = "freeze.reason";

    /// <summary>Headers sent to the source.</summary>
    public Dictionary<string, string> Headers { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}
