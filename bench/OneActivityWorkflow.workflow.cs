using Temporalio.Activities;
using Temporalio.Workflows;

namespace MaintenanceWorkflows.Bench;

public sealed record BenchInput(int Number);

public sealed record BenchResult(int Number);

/// <summary>The benchmark's unit of work: one workflow that runs one activity.</summary>
[Workflow]
public class OneActivityWorkflow
{
    [WorkflowRun]
    public Task<BenchResult> RunAsync(BenchInput input) =>
        Workflow.ExecuteActivityAsync(
            (BenchActivities a) => a.Increment(input),
            new() { StartToCloseTimeout = TimeSpan.FromSeconds(30) });
}

public sealed class BenchActivities
{
    [Activity]
    public BenchResult Increment(BenchInput input) => new(input.Number + 1);
}
