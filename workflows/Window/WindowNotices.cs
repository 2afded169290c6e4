using MaintenanceWorkflows.Workflows.Contracts;
using MaintenanceWorkflows.Workflows.Plans;
using Temporalio.Common;
using Temporalio.Exceptions;
using Temporalio.Workflows;

namespace MaintenanceWorkflows.Workflows;

/// <summary>Sends notices through the notification activity; a notice that cannot go out is recorded, never fatal.</summary>
internal static class WindowNotices
{
    private static readonly RetryPolicy NoticeRetry = new()
    {
        InitialInterval = TimeSpan.FromSeconds(5),
        BackoffCoefficient = 2,
        MaximumInterval = TimeSpan.FromMinutes(1),
        MaximumAttempts = 4,
    };

    /// <summary>Returns one delivery per channel; an activity that failed outright marks every channel failed.</summary>
    public static async Task<IReadOnlyList<ChannelDelivery>> SendAsync(
        string windowId,
        MaintenancePlan plan,
        NoticePolicy policy,
        NoticeKind kind,
        NoticeFacts facts,
        IReadOnlyList<string> channels,
        DateTimeOffset windowEnd)
    {
        if (channels.Count == 0)
        {
            return [];
        }
        try
        {
            var result = await Workflow.ExecuteActivityAsync<SendNotificationResult>(
                ActivityNames.SendNotification,
                [new SendNotificationInput(windowId, kind, plan, policy, facts, channels, windowEnd)],
                new ActivityOptions
                {
                    StartToCloseTimeout = TimeSpan.FromMinutes(2),
                    RetryPolicy = NoticeRetry,
                    // Notices about a rollback or a cancellation must go out even when the workflow is being cancelled.
                    CancellationToken = CancellationToken.None,
                    Summary = $"notice {kind.ToName()}",
                });
            return result.Deliveries;
        }
        catch (ActivityFailureException e)
        {
            return channels.Select(c => new ChannelDelivery(c, DeliveryStatus.Failed, PlanActivities.Describe(e))).ToList();
        }
    }
}
