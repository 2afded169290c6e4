namespace MaintenanceWorkflows.Activities.Notifications.Channels;

/// <summary>Section <c>StatusPage</c>: a Statuspage-compatible API (BaseUrl, PageId, ApiKey).</summary>
public sealed class StatusPageOptions
{
    public const string Section = "StatusPage";

    /// <summary>API root, for example https://api.statuspage.io/.</summary>
    public Uri? BaseUrl { get; set; }

    public string? PageId { get; set; }

    /// <summary>API key, sent as "Authorization: OAuth &lt;key&gt;"; a secret, worker configuration only.</summary>
    public string? ApiKey { get; set; }

    /// <summary>HTTP timeout of one call.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    public bool IsConfigured => BaseUrl is not null && !string.IsNullOrWhiteSpace(PageId) && !string.IsNullOrWhiteSpace(ApiKey);
}
