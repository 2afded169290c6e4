using MaintenanceWorkflows.Workflows;
using MaintenanceWorkflows.Workflows.Plans;
using Xunit.Abstractions;

namespace MaintenanceWorkflows.EndToEnd.Tests.Windows;

/// <summary>The largest window we promise to carry: 50 steps and a 24-hour soak stay far inside Temporal's limits.</summary>
public sealed class HistoryLimitTests(ITestOutputHelper output)
{
    /// <summary>Temporal warns at 10,240 events and 10 MB and terminates at 51,200 events / 50 MB; stay an order of magnitude below.</summary>
    private const int EventBudget = 3_000;
    private const int ResultBudgetBytes = 512 * 1024;

    [Fact]
    public async Task Run_FiftyStepsAndADaySoak_StaysWithinHistoryBudget()
    {
        await using var harness = await WindowHarness.StartAsync(new Dictionary<string, string?> { ["Policy:Path"] = LargePolicyPath() });
        var plan = await LargePlanAsync(harness);
        var handle = await harness.ScheduleAsync(plan);
        await harness.ApproveAsync(handle);
        await WindowHarness.AcknowledgeChecklistAsync(handle, plan);

        var report = await handle.GetResultAsync();

        Assert.True(report.Outcome == WindowPhase.Completed, report.Summary);
        Assert.Equal(50, report.Steps.Count);
        Assert.Equal(MaintenanceWindowWorkflow.MaxVerificationRounds, report.Verification!.RoundsRun);
        Assert.Equal(TimeSpan.FromHours(24) / MaintenanceWindowWorkflow.MaxVerificationRounds, report.Verification.Interval);
        var history = await handle.FetchHistoryAsync();
        Assert.True(history.Events.Count < EventBudget, $"{history.Events.Count} events");
        output.WriteLine($"50 steps + 24 h soak: {history.Events.Count} history events, {history.Events.Sum(e => (long)e.CalculateSize())} bytes");
        var result = history.Events.Last().WorkflowExecutionCompletedEventAttributes.Result.Payloads_[0];
        Assert.True(result.Data.Length < ResultBudgetBytes, $"report is {result.Data.Length} bytes");
        var largestEvent = history.Events.Max(e => e.CalculateSize());
        Assert.True(largestEvent < ResultBudgetBytes, $"largest event is {largestEvent} bytes");
    }

    /// <summary>The worker's policy without the routine cadence, length limit and blackouts, so a 26-hour window is legal.</summary>
    internal static string LargePolicyPath() => WindowHarness.PolicyVariant(yaml =>
    {
        var relaxed = yaml
            .Replace("    requiresCadence: true\n", string.Empty, StringComparison.Ordinal)
            .Replace("    maxDuration: 2h\n", string.Empty, StringComparison.Ordinal);
        var blackouts = relaxed.IndexOf("\nblackouts:", StringComparison.Ordinal);
        var levels = relaxed.IndexOf("\nincidentLevels:", StringComparison.Ordinal);
        return relaxed[..blackouts] + "\nblackouts: []\n" + relaxed[levels..];
    });

    /// <summary>50 steps (the promotion and 49 one-minute waits) and a 24-hour soak in a 26-hour window; for a worker on <see cref="LargePolicyPath"/>.</summary>
    internal static async Task<MaintenancePlan> LargePlanAsync(WindowHarness harness)
    {
        var plan = await harness.PlanAsync("lambda-v40-promotion.yaml");
        var waits = Enumerable.Range(1, 49).Select(i => (PlanStep)new WaitStep { Id = $"pause-{i}", Title = $"Pause {i}", Duration = TimeSpan.FromMinutes(1) });
        return plan with
        {
            Steps = [.. plan.Steps, .. waits],
            Window = plan.Window with { End = plan.Window.Start + TimeSpan.FromHours(26) },
            Verification = new VerificationSettings { Soak = TimeSpan.FromHours(24), Interval = TimeSpan.FromMinutes(1) },
        };
    }
}
