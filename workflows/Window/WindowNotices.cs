using MaintenanceWorkflows.Workflows.Contracts;
using MaintenanceWorkflows.Workflows.Plans;
using Temporalio.Common;
using Temporalio.Exceptions;
using Temporalio.Workflows;

namespace MaintenanceWorkflows.Workflows;

/// <summary>
/// Sends a notice on one channel through the notification activity. A channel failure (SES throttle,
/// Statuspage 5xx) fails the activity so Temporal retries it; the activity keys each delivery by its
/// workflow id, run id and activity id, so a retry never sends twice. What still failed after the retries
/// is returned as a failed delivery, for the workflow to record and to judge.
/// </summary>
internal static class WindowNotices
{
    /// <summary>About ten minutes of retries: long enough for a throttle or a short outage, short enough to act on.</summary>
    private static readonly RetryPolicy NoticeRetry = new()
    {
        InitialInterval = TimeSpan.FromSeconds(5),
        BackoffCoefficient = 2,
        MaximumInterval = TimeSpan.FromMinutes(2),
        MaximumAttempts = 8,
        NonRetryableErrorTypes = [ActivityErrorTypes.InvalidInput],
    };

    public static async Task<ChannelDelivery> SendAsync(
        string windowId,
        MaintenancePlan plan,
        NoticePolicy policy,
        NoticeKind kind,
        NoticeFacts facts,
        string channel,
        DateTimeOffset windowEnd)
    {
        try
        {
            var result = await Workflow.ExecuteActivityAsync<SendNotificationResult>(
                ActivityNames.SendNotification,
                [new SendNotificationInput(windowId, kind, plan, policy, facts, [channel], windowEnd)],
                new ActivityOptions
                {
                    StartToCloseTimeout = TimeSpan.FromMinutes(2),
                    RetryPolicy = NoticeRetry,
                    // Notices about a rollback or a cancellation must go out even when the workflow is being cancelled.
                    CancellationToken = CancellationToken.None,
                    Summary = $"notice {kind.ToName()}",
                });
            var delivery = result.Deliveries.FirstOrDefault() ?? new ChannelDelivery(channel, DeliveryStatus.Failed, "the notification activity returned no delivery");
            return delivery with { At = Workflow.UtcNow };
        }
        catch (ActivityFailureException e)
        {
            return new ChannelDelivery(channel, DeliveryStatus.Failed, PlanActivities.Describe(e), Workflow.UtcNow);
        }
    }
}
