using System.Text.Json.Serialization;
using MaintenanceWorkflows.Workflows.Plans;

namespace MaintenanceWorkflows.Workflows.Contracts;

/// <summary>
/// Render one notice from the plan's templates and send it on the named channels. The plan travels with it
/// because the templates show its fields; of the policy only what a notice renders or is delivered by, with
/// the window's schedule. Channel names are resolved by the worker (addresses, webhooks, status page), so
/// nothing secret is in here.
/// </summary>
/// <param name="WindowId">Workflow id of the window (status-page marker, message ids).</param>
/// <param name="Kind">Which notice.</param>
/// <param name="Plan">The window's plan.</param>
/// <param name="Policy">The part of the worker's policy the notice uses, and the window's schedule.</param>
/// <param name="Facts">What only the running window knows (times, verification, reasons).</param>
/// <param name="Channels">Channel names from the policy; each is delivered independently.</param>
/// <param name="WindowEnd">Current end of the window (after extensions).</param>
public sealed record SendNotificationInput(
    string WindowId,
    NoticeKind Kind,
    MaintenancePlan Plan,
    NoticePolicy Policy,
    NoticeFacts Facts,
    IReadOnlyList<string> Channels,
    DateTimeOffset WindowEnd);

/// <summary>Per-channel outcome; one channel failing never stops the others.</summary>
/// <param name="Deliveries">One entry per requested channel, in the requested order.</param>
public sealed record SendNotificationResult(IReadOnlyList<ChannelDelivery> Deliveries);

[JsonConverter(typeof(JsonStringEnumConverter<DeliveryStatus>))]
public enum DeliveryStatus
{
    Delivered,
    Failed,

    /// <summary>The worker has no configuration for the channel (e.g. a local run without a status page).</summary>
    NotConfigured,

    /// <summary>The channel does not carry this kind of notice (e.g. approval requests on the public status page).</summary>
    Skipped,
}

/// <param name="Channel">Channel name.</param>
/// <param name="Status">What happened.</param>
/// <param name="Detail">Message id, status-page incident id, or the error.</param>
/// <param name="At">When the workflow saw the outcome (set by the workflow, not the activity).</param>
public sealed record ChannelDelivery(string Channel, DeliveryStatus Status, string Detail, DateTimeOffset? At = null);
