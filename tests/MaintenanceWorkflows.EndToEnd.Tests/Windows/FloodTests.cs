using MaintenanceWorkflows.DevServer;
using MaintenanceWorkflows.Workflows;
using Temporalio.Api.Enums.V1;
using Temporalio.Client;
using Xunit.Abstractions;

namespace MaintenanceWorkflows.EndToEnd.Tests.Windows;

/// <summary>
/// Issue 13's flood: whoever reaches Temporal can send any number of signals. A waiting window refuses the junk
/// cheaply (no activity for unknown names, bad payloads, strangers or malformed codes), stays far inside Temporal's
/// history limits, continues as new, and afterwards completes normally with the codes mailed to its first run.
/// Prints the measured time, events, bytes and the largest event per run.
/// </summary>
public sealed class FloodTests(ITestOutputHelper output)
{
    private const int Signals = 10_000;

    [Fact]
    public async Task Flood_TenThousandJunkSignalsAtAWaitingWindow_HistoryBoundedAndTheWindowStillCompletes()
    {
        // The window must bound itself: the server's own cap (Temporal's history.maximumSignalsPerExecution, 10,000 per
        // run, which would refuse the flood's tail and the approval after it) is off here so every junk signal arrives.
        await using var harness = await WindowHarness.StartAsync(limits: new ServerLimits().WithDynamicConfig("history.maximumSignalsPerExecution=0"));
        var plan = await harness.PlanAsync("lambda-v40-promotion.yaml");
        var first = await harness.ScheduleAsync(plan);
        // Codes are mailed to the first run; they must still count after the window continued as new.
        var code = await harness.CodeAsync(first.Id, "T-JOSH", "approve");
        // Signals go to the window, whichever run is current.
        var window = harness.Client.GetWorkflowHandle<MaintenanceWindowWorkflow, MaintenanceReport>(first.Id);
        var oversized = new string('x', 64 * 1024);

        var watch = System.Diagnostics.Stopwatch.StartNew();
        var sent = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, Signals), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
        {
            var task = (i % 4) switch
            {
                0 => window.SignalAsync($"junk-{i}", [new OperatorCommand { By = "mallory", Reason = "noise" }]),
                // Oversized: a 64 KiB approver name (every 20th of these; the rest a 2 KiB comment).
                1 => window.SignalAsync(WindowHandlers.Approve, [new ApprovalSignal { Approver = i % 80 == 1 ? oversized : "T-JOSH", Comment = new string('c', 2048) }]),
                // A bogus approval with a made-up code: refused at once when it does not even have a code's shape (a 0 or 1
                // in it), otherwise checked by the worker (or refused while the window hands over to a fresh run).
                2 => window.SignalAsync(WindowHandlers.Approve, [new ApprovalSignal { Approver = "T-JOSH", Code = $"k1-FAKE-{i:D4}-XXXX-XXXX" }]),
                _ => window.SignalAsync(WindowHandlers.Reject, [new ApprovalSignal { Approver = $"mallory-{i}", Code = "k1-XXXX-XXXX-XXXX-XXXX" }]),
            };
            await task;
            Interlocked.Increment(ref sent);
        });
        Assert.Equal(Signals, sent);
        await WaitForRefusalsAsync(window, Signals);

        await ApproveAfterTheFloodAsync(window, code);
        await WindowHarness.AcknowledgeChecklistAsync(window, plan);
        // Awaited through the handle the start returned: only it lets the time-skipping server run time on while waiting (and it follows the continued runs).
        var report = await first.GetResultAsync();

        Assert.True(report.Outcome == WindowPhase.Completed, report.Summary);
        Assert.True(report.Continuations >= 1, $"{report.Continuations} continuations");
        Assert.True(report.RefusalCount >= Signals, $"{report.RefusalCount} refusals");
        Assert.Equal(MaintenanceWindowWorkflow.KeepLast, report.Refusals.Count);
        Assert.Single(report.Votes);

        var runs = new List<(string RunId, int Events, long Bytes, int Signals, int Rejected, long Largest)>();
        var completion = 0;
        await foreach (var run in harness.Client.ListWorkflowsAsync($"WorkflowId = '{first.Id}'"))
        {
            var history = await harness.Client.GetWorkflowHandle(run.Id, run.RunId).FetchHistoryAsync();
            runs.Add((
                run.RunId,
                history.Events.Count,
                history.Events.Sum(e => (long)e.CalculateSize()),
                history.Events.Count(e => e.EventType == EventType.WorkflowExecutionSignaled),
                history.Events.Count(e => e.EventType == EventType.WorkflowTaskFailed),
                history.Events.Max(e => (long)e.CalculateSize())));
            var last = history.Events.Last();
            if (last.EventType == EventType.WorkflowExecutionCompleted)
            {
                completion = last.WorkflowExecutionCompletedEventAttributes.Result.Payloads_[0].Data.Length;
            }
        }
        output.WriteLine($"{Signals} junk signals in {watch.Elapsed.TotalSeconds:0.0} s: {runs.Count} runs; events per run {string.Join(", ", runs.Select(r => r.Events))}; " +
            $"signals per run {string.Join(", ", runs.Select(r => r.Signals))}; refused closes (new signals while it continued as new) {string.Join(", ", runs.Select(r => r.Rejected))}; " +
            $"bytes per run {string.Join(", ", runs.Select(r => r.Bytes))}; largest event {runs.Max(r => r.Largest)} bytes; report {completion} bytes; total {runs.Sum(r => r.Events)} events");
        Assert.Equal(report.Continuations + 1, runs.Count);
        Assert.InRange(completion, 1, 256 * 1024);
        // No work per junk signal: each costs its own signal event and a share of the workflow tasks, no activity.
        Assert.True(runs.Sum(r => r.Events) < Signals + 2_000, $"{runs.Sum(r => r.Events)} events for {Signals} signals");
        foreach (var run in runs)
        {
            // Far below Temporal's 51,200-event / 50 MB limits in every run. (Temporal refuses to close a run while new
            // signals wait, so a flood faster than a workflow task lands in one run; it continues as new when the flood stops.)
            Assert.True(run.Events < 51_200 / 4, $"run {run.RunId}: {run.Events} events");
            Assert.True(run.Bytes < 50L * 1024 * 1024 / 2, $"run {run.RunId}: {run.Bytes} bytes");
        }
    }

    /// <summary>
    /// Approves as a person would after the flood: a window still handing over to a fresh run refuses to check codes
    /// for a moment and says so, and the approver sends the same code again.
    /// </summary>
    private static async Task ApproveAfterTheFloodAsync(WorkflowHandle<MaintenanceWindowWorkflow, MaintenanceReport> window, string code)
    {
        for (var attempt = 1; ; attempt++)
        {
            var before = await window.QueryAsync(wf => wf.Status);
            await window.SignalAsync(WindowHandlers.Approve, [new ApprovalSignal { Approver = "T-JOSH", Code = code, Comment = "after the flood" }]);
            var status = await WindowHarness.WaitForAsync(window, s => s.Approvals.ApprovedBy.Contains("T-JOSH", StringComparer.OrdinalIgnoreCase) || s.RefusalCount > before.RefusalCount);
            if (status.Approvals.ApprovedBy.Contains("T-JOSH", StringComparer.OrdinalIgnoreCase))
            {
                return;
            }
            Assert.Equal(MaintenanceWindowWorkflow.RefusedHandover, status.LastRefusal?.Code);
            Assert.True(attempt < 20, $"the approval was refused {attempt} times: {status.LastRefusal?.Reason}");
        }
    }

    /// <summary>The worker checks the well-formed bogus codes: waits up to 5 minutes (in proportion to the flood) for every refusal.</summary>
    private static Task WaitForRefusalsAsync(WorkflowHandle<MaintenanceWindowWorkflow, MaintenanceReport> window, int count) =>
        Poll.UntilAsync(
            () => window.QueryAsync(wf => wf.Status),
            status => status.RefusalCount >= count,
            TimeSpan.FromMinutes(5),
            status => $"only {status.RefusalCount} of {count} junk signals were refused after 5 minutes (phase {status.Phase})");
}
