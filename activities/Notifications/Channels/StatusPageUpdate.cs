using System.Text.Json.Serialization;

namespace MaintenanceWorkflows.Activities.Notifications.Channels;

/// <summary>Lifecycle of a scheduled maintenance on the status page (Statuspage's scheduled incident statuses).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<StatusPageMaintenanceStatus>))]
public enum StatusPageMaintenanceStatus
{
    /// <summary>Announced, not started.</summary>
    Scheduled,

    /// <summary>The window is running.</summary>
    InProgress,

    /// <summary>The window is over.</summary>
    Completed,
}

/// <summary>
/// Create or transition the window's scheduled maintenance on the configured status page (what a status-page
/// notice does). The maintenance is found again by the window id, so retries and later transitions need no stored id.
/// </summary>
/// <param name="WindowId">Maintenance window id (marker in the maintenance's name).</param>
/// <param name="Title">Title shown on the status page.</param>
/// <param name="Body">Update text for this transition.</param>
/// <param name="Status">Status to move to.</param>
/// <param name="ScheduledFor">Window start (UTC).</param>
/// <param name="ScheduledUntil">Window end (UTC).</param>
/// <param name="ComponentIds">Status-page component ids affected; null for none.</param>
public sealed record StatusPageUpdateInput(
    string WindowId,
    string Title,
    string Body,
    StatusPageMaintenanceStatus Status,
    DateTimeOffset ScheduledFor,
    DateTimeOffset ScheduledUntil,
    IReadOnlyList<string>? ComponentIds);

/// <summary>The status page's view after the update.</summary>
/// <param name="IncidentId">Status page's id of the scheduled maintenance.</param>
/// <param name="Status">Status now shown.</param>
/// <param name="Created">True when this call created the maintenance.</param>
/// <param name="Shortlink">Public link to the maintenance, when the page returns one.</param>
public sealed record StatusPageUpdateResult(
    string IncidentId,
    StatusPageMaintenanceStatus Status,
    bool Created,
    string? Shortlink);
