namespace MaintenanceWorkflows.Activities.Notifications;

/// <summary>Section <c>Notifications</c>.</summary>
public sealed class NotificationOptions
{
    public const string Section = "Notifications";

    /// <summary>Directory of *.sbn files that replace same-named embedded templates; empty for the embedded set.</summary>
    public string? TemplatesDirectory { get; set; }
}
