using Temporalio.Workflows;

namespace MaintenanceWorkflows.DevServer.Tests.Workflows;

public sealed record SleepInput(TimeSpan Duration);

public sealed record SleepResult(DateTime Before, DateTime After);

/// <summary>Sleeps on a workflow timer and reports workflow time before and after.</summary>
[Workflow]
public class SleepWorkflow
{
    [WorkflowRun]
    public async Task<SleepResult> RunAsync(SleepInput input)
    {
        var before = Workflow.UtcNow;
        await Workflow.DelayAsync(input.Duration);
        return new SleepResult(before, Workflow.UtcNow);
    }
}
