using System.Globalization;
using MaintenanceWorkflows.Workflows;
using MaintenanceWorkflows.Workflows.Contracts;
using MaintenanceWorkflows.Workflows.Plans;
using Temporalio.Api.Common.V1;
using Temporalio.Api.History.V1;
using Temporalio.Client;
using Temporalio.Converters;

namespace MaintenanceWorkflows.Starter.Demo;

/// <summary>
/// Follows a window's execution history as it grows (long-polling GetWorkflowExecutionHistory, as the
/// Temporal UI does) and prints what a person watching the window cares about, stamped with the
/// event's server time: phases, notices, votes, steps, failing checks, compensations, the outcome.
/// </summary>
public sealed class HistoryNarrator(TextWriter output, object writeLock)
{
    private static readonly IPayloadConverter Converter = DataConverter.Default.PayloadConverter;

    public async Task FollowAsync(WorkflowHandle handle, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(handle);
        var scheduled = new Dictionary<long, (string Type, string? Summary)>();
        var options = new WorkflowHistoryEventFetchOptions { WaitNewEvent = true, Rpc = new RpcOptions { CancellationToken = ct } };
        await foreach (var e in handle.FetchHistoryEventsAsync(options).WithCancellation(ct))
        {
            var line = Describe(e, scheduled);
            if (line is not null)
            {
                Write(e.EventTime.ToDateTimeOffset(), handle.Id, line);
            }
        }
    }

    public void Write(DateTimeOffset at, string windowId, string text)
    {
        lock (writeLock)
        {
            output.WriteLine($"  {at.ToUniversalTime().ToString("ddd yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} UTC  {windowId,-32} {text}");
        }
    }

    private static string? Describe(HistoryEvent e, Dictionary<long, (string Type, string? Summary)> scheduled)
    {
        if (e.ActivityTaskScheduledEventAttributes is { } activity)
        {
            var summary = e.UserMetadata?.Summary is { } s ? Converter.ToValue<string>(s) : null;
            scheduled[e.EventId] = (activity.ActivityType.Name, summary);
            return activity.ActivityType.Name switch
            {
                ActivityNames.SendNotification => DescribeNotice(activity.Input.Payloads_[0]),
                ActivityNames.PromoteLambdaAlias or ActivityNames.RunCommand or ActivityNames.SendHttpRequest => $"{summary}: starting ({activity.ActivityType.Name})",
                _ => null,
            };
        }
        if (e.ActivityTaskCompletedEventAttributes is { } completed && scheduled.TryGetValue(completed.ScheduledEventId, out var info))
        {
            return DescribeResult(info.Type, info.Summary, completed.Result.Payloads_[0]);
        }
        if (e.ActivityTaskFailedEventAttributes is { } failed && scheduled.TryGetValue(failed.ScheduledEventId, out var failedInfo))
        {
            return $"{failedInfo.Summary ?? failedInfo.Type}: FAILED: {failed.Failure.Message}";
        }
        if (e.UpsertWorkflowSearchAttributesEventAttributes is { } upsert &&
            upsert.SearchAttributes.IndexedFields.TryGetValue(MaintenanceSearchAttributes.Phase.Name, out var phase))
        {
            return $"phase -> {Converter.ToValue<string>(phase)}";
        }
        if (e.WorkflowExecutionSignaledEventAttributes is { } signal)
        {
            var payload = signal.Input?.Payloads_.Count > 0 ? signal.Input.Payloads_[0].Data.ToStringUtf8() : "(no argument)";
            return $"signal {signal.SignalName} {payload}";
        }
        if (e.WorkflowExecutionUpdateAcceptedEventAttributes is { } update)
        {
            var request = update.AcceptedRequest.Input;
            var payload = request.Args?.Payloads_.Count > 0 ? request.Args.Payloads_[0].Data.ToStringUtf8() : string.Empty;
            return $"update {request.Name} {payload}";
        }
        if (e.WorkflowExecutionCompletedEventAttributes is { } done)
        {
            var report = Converter.ToValue<MaintenanceReport>(done.Result.Payloads_[0]);
            return $"CLOSED {report.Outcome}: {report.Summary}";
        }
        return null;
    }

    private static string DescribeNotice(Payload input)
    {
        var notice = Converter.ToValue<SendNotificationInput>(input);
        return $"notice {notice.Kind.ToName()} -> {string.Join(", ", notice.Channels)}";
    }

    private static string? DescribeResult(string type, string? summary, Payload result) => type switch
    {
        ActivityNames.PromoteLambdaAlias => Converter.ToValue<PromoteLambdaAliasResult>(result) is var p
            ? $"{summary}: {p.Alias} {p.PreviousVersion} -> {p.NewVersion}"
            : null,
        ActivityNames.RestoreLambdaAlias => Converter.ToValue<RestoreLambdaAliasResult>(result) is var r
            ? $"compensation: {r.Alias} {r.FromVersion} -> {r.RestoredVersion} (restored)"
            : null,
        ActivityNames.SendNotification => Undelivered(Converter.ToValue<SendNotificationResult>(result)),
        ActivityNames.RunChecks => FailedChecks(Converter.ToValue<RunChecksResult>(result)),
        _ => summary is null ? null : $"{summary}: done",
    };

    private static string? FailedChecks(RunChecksResult result)
    {
        var red = result.Results.Where(r => !r.Passed).ToList();
        return red.Count == 0 ? null : string.Join(
            Environment.NewLine + new string(' ', 63),
            red.Select(r => $"check {r.CheckId}: RED {r.Observed} ({r.Message})"));
    }

    private static string? Undelivered(SendNotificationResult result)
    {
        var problems = result.Deliveries.Where(d => d.Status is DeliveryStatus.Failed or DeliveryStatus.NotConfigured).ToList();
        return problems.Count == 0 ? null : $"notice not delivered on {string.Join(", ", problems.Select(d => $"{d.Channel} ({d.Status}: {d.Detail})"))}";
    }
}
