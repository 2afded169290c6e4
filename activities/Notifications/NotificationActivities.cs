using MaintenanceWorkflows.Activities.Email;
using MaintenanceWorkflows.Activities.Notifications.Channels;
using MaintenanceWorkflows.Workflows.Contracts;
using MaintenanceWorkflows.Workflows.Plans;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Temporalio.Activities;
using Temporalio.Exceptions;

namespace MaintenanceWorkflows.Activities.Notifications;

/// <summary>
/// Renders a notice once and delivers it on every requested channel; one failing channel never stops the
/// others. A channel that failed in a way a retry can fix (throttling, 5xx, network) fails the activity
/// after the others were tried, so Temporal's retry policy fires; channels already delivered are
/// checkpointed in the heartbeat under the activity's idempotency key (workflow id, run id, activity id)
/// and skipped by the retry, so no channel gets the notice twice.
/// </summary>
public sealed class NotificationActivities(
    NoticeRenderer renderer,
    SesEmailSender email,
    IOptions<EmailOptions> emailOptions,
    ChatWebhookClient chat,
    StatusPageClient statusPage)
{
    [Activity(ActivityNames.SendNotification)]
    public async Task<SendNotificationResult> SendNotificationAsync(SendNotificationInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var context = ActivityExecutionContext.Current;
        var token = context.CancellationToken;
        var logger = context.Logger;

        var facts = input.Facts ?? new NoticeFacts();
        if (facts.NewEnd is null && input.WindowEnd != input.Plan.Window.End)
        {
            facts = facts with { NewEnd = input.WindowEnd };
        }

        RenderedNotice notice;
        try
        {
            notice = renderer.Render(input.Kind, NoticeModel.Create(input.Plan, input.Policy, input.Kind, facts));
        }
        catch (NoticeTemplateException e)
        {
            throw new ApplicationFailureException($"The {input.Kind.ToName()} notice for {input.WindowId} could not be rendered: {e.Message}", ActivityErrorTypes.InvalidInput, nonRetryable: true);
        }

        // A retried attempt (worker crash, timeout) skips channels an earlier attempt already delivered.
        var earlier = await EarlierDeliveriesAsync(context);
        var key = IdempotencyKey(context.Info);
        var deliveries = new List<ChannelDelivery>();
        var retryable = new List<ChannelDelivery>();
        foreach (var channel in input.Channels ?? [])
        {
            if (earlier.TryGetValue(channel, out var done))
            {
                deliveries.Add(done);
                continue;
            }

            ChannelDelivery delivery;
            try
            {
                delivery = await DeliverAsync(input, channel, notice, token);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                throw;
            }
            catch (ApplicationFailureException e) when (e.NonRetryable)
            {
                delivery = new ChannelDelivery(channel, DeliveryStatus.Failed, e.Message);
            }
#pragma warning disable CA1031 // Whatever one channel throws is reported for that channel; the others still get the notice.
            catch (Exception e)
#pragma warning restore CA1031
            {
                delivery = new ChannelDelivery(channel, DeliveryStatus.Failed, e.Message);
                retryable.Add(delivery);
            }

            logger.LogInformation("Notice {Kind} for {Window} on {Channel} ({Key}): {Status} {Detail}", input.Kind, input.WindowId, channel, key, delivery.Status, delivery.Detail);
            deliveries.Add(delivery);
            if (delivery.Status == DeliveryStatus.Delivered)
            {
                context.Heartbeat(deliveries.Where(d => d.Status == DeliveryStatus.Delivered).ToList());
            }
        }

        if (retryable.Count > 0)
        {
            throw new ApplicationFailureException(
                $"The {input.Kind.ToName()} notice for {input.WindowId} was not delivered on {string.Join("; ", retryable.Select(d => $"{d.Channel}: {d.Detail}"))}",
                ActivityErrorTypes.RemoteUnavailable);
        }

        return new SendNotificationResult(deliveries);
    }

    /// <summary>Stable across retries and worker crashes of one activity, different for every other notice.</summary>
    internal static string IdempotencyKey(ActivityInfo info) => $"{info.WorkflowId}/{info.WorkflowRunId}/{info.ActivityId}";

    /// <summary>The status-page state a notice kind moves the maintenance to; null when the kind is not public.</summary>
    internal static StatusPageMaintenanceStatus? StatusFor(NoticeKind kind) => kind switch
    {
        NoticeKind.PreMaintenance or NoticeKind.Reminder or NoticeKind.Postponed => StatusPageMaintenanceStatus.Scheduled,
        NoticeKind.InProgress or NoticeKind.Extended or NoticeKind.Progress => StatusPageMaintenanceStatus.InProgress,
        NoticeKind.Completion or NoticeKind.Rollback or NoticeKind.Cancelled => StatusPageMaintenanceStatus.Completed,
        _ => null,
    };

    private static async Task<Dictionary<string, ChannelDelivery>> EarlierDeliveriesAsync(ActivityExecutionContext context)
    {
        if (context.Info.HeartbeatDetails.Count == 0)
        {
            return [];
        }

        var earlier = await context.Info.HeartbeatDetailAtAsync<List<ChannelDelivery>>(0);
        return earlier.ToDictionary(d => d.Channel, StringComparer.OrdinalIgnoreCase);
    }

    private async Task<ChannelDelivery> DeliverAsync(SendNotificationInput input, string channel, RenderedNotice notice, CancellationToken token)
    {
        var definition = input.Policy.Channels.FirstOrDefault(c => string.Equals(c.Name, channel, StringComparison.OrdinalIgnoreCase));
        if (definition is null)
        {
            var known = string.Join(", ", input.Policy.Channels.Select(c => c.Name));
            return new ChannelDelivery(channel, DeliveryStatus.Failed, $"channel '{channel}' is not defined in the policy (defined: {known}).");
        }

        switch (definition.Kind)
        {
            case ChannelKind.Email:
                if (!emailOptions.Value.Lists.TryGetValue(channel, out var list))
                {
                    return new ChannelDelivery(channel, DeliveryStatus.NotConfigured, $"no Email:Lists:{channel} on this worker.");
                }

                var messageId = await email.SendAsync(new EmailMessage(notice.Subject, notice.Text, notice.Html, list.To, list.Cc, list.Bcc, list.ReplyTo), token);
                return new ChannelDelivery(channel, DeliveryStatus.Delivered, $"SES message {messageId}");

            case ChannelKind.Chat:
                if (!chat.IsConfigured(channel))
                {
                    return new ChannelDelivery(channel, DeliveryStatus.NotConfigured, $"no Chat:Channels:{channel} on this worker.");
                }

                await chat.PostAsync(channel, notice.Subject, notice.Short, token);
                return new ChannelDelivery(channel, DeliveryStatus.Delivered, "posted");

            case ChannelKind.StatusPage:
                if (!statusPage.IsConfigured)
                {
                    return new ChannelDelivery(channel, DeliveryStatus.NotConfigured, "no StatusPage section on this worker.");
                }

                if (StatusFor(input.Kind) is not { } status)
                {
                    return new ChannelDelivery(channel, DeliveryStatus.Skipped, $"{input.Kind.ToName()} notices are internal and not published on the status page.");
                }

                var start = input.Facts?.NewStart ?? input.Plan.Window.Start;
                var end = input.WindowEnd > start ? input.WindowEnd : input.Plan.Window.End;
                var result = await statusPage.UpsertAsync(
                    new StatusPageUpdateInput(input.WindowId, input.Plan.Title, notice.Short, status, start, end, null),
                    token);
                return new ChannelDelivery(channel, DeliveryStatus.Delivered, $"status page incident {result.IncidentId} is {StatusPageClient.ApiStatus(status)}");

            default:
                return new ChannelDelivery(channel, DeliveryStatus.Failed, $"channel kind {definition.Kind} is not supported.");
        }
    }
}
