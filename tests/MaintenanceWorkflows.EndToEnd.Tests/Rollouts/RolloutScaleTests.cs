using MaintenanceWorkflows.EndToEnd.Tests.Windows;
using MaintenanceWorkflows.Sandbox.Fleet;
using MaintenanceWorkflows.Workflows;
using MaintenanceWorkflows.Workflows.Plans;
using MaintenanceWorkflows.Workflows.Rollout;
using Temporalio.Api.Enums.V1;
using Temporalio.Client;

namespace MaintenanceWorkflows.EndToEnd.Tests.Rollouts;

/// <summary>Rollouts at fleet size: histories stay bounded (chunks of at most 100 hosts) and the rollout continues as new when its own history grows.</summary>
public sealed class RolloutScaleTests
{
    /// <summary>No single history of a 1,000-host rollout comes near Temporal's limits; the bench measures time and memory.</summary>
    public const int HistoryBound = 2_000;

    [Fact]
    public async Task Rollout_1000Hosts_UnderTimeSkipping_KeepsEveryHistoryBounded()
    {
        await using var harness = await WindowHarness.StartAsync();
        var rollout = LocalFleet.HttpRollout("h-{0001..1000}", new RolloutStrategy
        {
            Canary = new HostCount { Count = 1 },
            Waves = [new HostCount { Percent = 10 }, new HostCount { Percent = 50 }, new HostCount { Percent = 100 }],
            MaxFailedHosts = new HostCount { Percent = 1 },
        });
        harness.World.Fleet.FailAfterPatch("h-0500", "h-0900");
        var plan = await RolloutTests.PlanAsync(harness, rollout);
        var window = await harness.ScheduleAsync(plan);
        await harness.ApproveAsync(window);

        var report = await window.GetResultAsync();

        Assert.Equal(WindowPhase.Completed, report.Outcome);
        Assert.Equal(1000, harness.World.Fleet.Patched().Count);
        var result = await harness.Client.GetWorkflowHandle(FleetRolloutWorkflow.IdFor(window.Id, rollout.Id)).GetResultAsync<FleetRolloutResult>();
        Assert.Equal(2, result.FailureCount);
        Assert.Equal([1, 99, 400, 500], result.Waves.Select(w => w.Hosts));
        var histories = new List<(string Id, int Events)>();
        await foreach (var execution in harness.Client.ListWorkflowsAsync($"TaskQueue = '{harness.TaskQueue}'"))
        {
            histories.Add((execution.Id, execution.HistoryLength));
        }
        // The window, the rollout and one chunk per 100 hosts of each wave (1 + 1 + 4 + 5).
        Assert.Equal(13, histories.Count);
        Assert.All(histories, h => Assert.True(h.Events < HistoryBound, $"{h.Id} has {h.Events} events"));
    }

    [Fact]
    public async Task Rollout_LongHistory_ContinuesAsNewBetweenWavesAndKeepsItsState()
    {
        await using var harness = await WindowHarness.StartAsync();
        harness.World.Fleet.FailAfterPatch("c-05");
        var input = new FleetRolloutInput
        {
            WindowId = $"standalone-{Guid.NewGuid():N}",
            CodeRunId = "none",
            Step = LocalFleet.HttpRollout("c-{01..08}", new RolloutStrategy { BatchSize = new HostCount { Count = 2 }, MaxFailedHosts = new HostCount { Count = 1 } }),
            WindowDuration = TimeSpan.FromHours(2),
            GateExpires = DateTimeOffset.UtcNow.AddHours(2),
            ContinueAsNewAfterEvents = 1,
        };

        var handle = await harness.Client.StartWorkflowAsync(
            (FleetRolloutWorkflow wf) => wf.RunAsync(input),
            new WorkflowOptions(FleetRolloutWorkflow.IdFor(input.WindowId, input.Step.Id), harness.TaskQueue));
        var result = await handle.GetResultAsync();

        Assert.Equal(RolloutOutcome.Completed, result.Outcome);
        Assert.Equal("DDDDFDDD", result.Hosts!.States);
        Assert.Equal(4, result.Waves.Count);
        Assert.Equal(1, result.FailureCount);
        // Every wave after the first started in a new run: the first run's history ends in ContinuedAsNew.
        var first = await harness.Client.GetWorkflowHandle(handle.Id, runId: handle.FirstExecutionRunId ?? handle.ResultRunId).FetchHistoryAsync();
        Assert.Equal(EventType.WorkflowExecutionContinuedAsNew, first.Events.Last().EventType);
    }
}
