using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using MaintenanceWorkflows.Starter.Postmortem;
using MaintenanceWorkflows.Workflows.Contracts;
using MaintenanceWorkflows.Workflows.Rollout;
using Temporalio.Api.History.V1;
using Temporalio.Client;

namespace MaintenanceWorkflows.Starter.Demo;

/// <summary>
/// Follows a window's execution history as it grows (long-polling GetWorkflowExecutionHistory, as the
/// Temporal UI does) and prints what a person watching the window cares about, stamped with the
/// event's server time: phases, rollout waves, notices, votes, steps, failing checks, compensations, the
/// outcome. The events are decoded by the same <see cref="HistoryReader"/> the postmortem uses.
/// </summary>
public sealed class HistoryNarrator(TextWriter output, object writeLock)
{
    public async Task FollowAsync(WorkflowHandle handle, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(handle);
        var reader = new HistoryReader();
        var options = new WorkflowHistoryEventFetchOptions { WaitNewEvent = true, Rpc = new RpcOptions { CancellationToken = ct } };
        await foreach (var e in handle.FetchHistoryEventsAsync(options).WithCancellation(ct))
        {
            Narrate(reader, handle.Id, e);
        }
    }

    /// <summary>Narrates a history that is already written (an export, a finished window), as following it would have.</summary>
    public void Narrate(string windowId, IEnumerable<HistoryEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        var reader = new HistoryReader();
        foreach (var e in events)
        {
            Narrate(reader, windowId, e);
        }
    }

    private void Narrate(HistoryReader reader, string windowId, HistoryEvent e)
    {
        foreach (var windowEvent in reader.Read(e))
        {
            if (Describe(windowEvent) is { } line)
            {
                Write(windowEvent.At, windowId, line);
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

    private static string? Describe(WindowEvent windowEvent) => windowEvent switch
    {
        PhaseEntered entered => $"phase -> {entered.Phase}",
        RolloutReported reported => reported.Detail,

        // A rollout's reports carry the token it shares with its window; the Phase lines above say the same.
        CommandReceived { Name: RolloutHandlers.Progress } => null,
        CommandReceived { Via: Workflows.SignalChannel.Signal } signal => $"signal {signal.Name} {WithoutCodes(signal.Payload) ?? "(no argument)"}",
        CommandReceived update => $"update {update.Name} {WithoutCodes(update.Payload)}",
        ActivityEvent activity => DescribeActivity(activity),
        RolloutClosed { Result: { } result } rollout => $"{rollout.Mode.ToString().ToLowerInvariant()} rollout '{rollout.Step.Id}' {result.Outcome}",
        WindowClosed { Closure.Report: { } report } => $"CLOSED {report.Outcome}: {report.Summary}",
        WindowClosed closed => $"CLOSED {closed.Closure.Status}: {closed.Closure.Failure}",
        _ => null,
    };

    private static string? DescribeActivity(ActivityEvent e)
    {
        var run = e.Run;
        return (e.Change, run.Outcome) switch
        {
            (ActivityChange.Scheduled, _) => run.ActivityType switch
            {
                ActivityNames.SendNotification => $"notice {run.Subject} -> {string.Join(", ", run.Channels)}",
                ActivityNames.PromoteLambdaAlias or ActivityNames.RunCommand or ActivityNames.SendHttpRequest => $"{run.Summary}: starting ({run.ActivityType})",
                _ => null,
            },
            (ActivityChange.Closed, ActivityOutcome.Succeeded) => run.Result switch
            {
                PromoteLambdaAliasResult p => $"{run.Summary}: {p.Alias} {p.PreviousVersion} -> {p.NewVersion}",
                RestoreLambdaAliasResult r => $"compensation: {r.Alias} {r.FromVersion} -> {r.RestoredVersion} (restored)",
                _ when run.Kind == ActivityKind.Notice => Undelivered(run.Deliveries),
                _ when run.CheckResult is { Passed: false } red => $"check {red.CheckId}: RED {red.Observed} ({red.Message})",
                _ when run.Kind == ActivityKind.Check => null,
                _ => run.Summary is null ? null : $"{run.Summary}: done",
            },
            (ActivityChange.Closed, _) => $"{run.Summary ?? run.ActivityType}: {(run.Outcome == ActivityOutcome.Failed ? "FAILED" : run.Outcome.ToString().ToUpperInvariant())}: {run.Detail}",
            _ => null,
        };
    }

    /// <summary>The argument as JSON with any proof code masked: the narration is a log, and a code is a credential until it is used.</summary>
    private static string? WithoutCodes(JsonElement? payload)
    {
        if (payload is not { } element)
        {
            return null;
        }
        if (JsonNode.Parse(element.GetRawText()) is not JsonObject obj)
        {
            return element.GetRawText();
        }
        foreach (var name in obj.Select(p => p.Key).Where(k => string.Equals(k, "code", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            if (obj[name] is JsonValue value && value.TryGetValue<string>(out var code) && code.Length > 0)
            {
                obj[name] = "(proof code)";
            }
        }
        return obj.ToJsonString();
    }

    private static string? Undelivered(IReadOnlyList<ChannelDelivery> deliveries)
    {
        var problems = deliveries.Where(d => d.Status is DeliveryStatus.Failed or DeliveryStatus.NotConfigured).ToList();
        return problems.Count == 0 ? null : $"notice not delivered on {string.Join(", ", problems.Select(d => $"{d.Channel} ({d.Status}: {d.Detail})"))}";
    }
}
