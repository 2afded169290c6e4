using Temporalio.Workflows;

namespace MaintenanceWorkflows.DevServer.Tests.Workflows;

/// <summary>What the web UI shows and drives: a signal, an update, a query, and an activity left pending until the run ends.</summary>
[Workflow]
public class UiApiWorkflow
{
    /// <summary>No worker polls this queue, so the activity stays pending (the describe route lists it).</summary>
    public const string NobodyPolls = "ui-api-nobody-polls";

    private readonly List<string> approvals = [];

    [WorkflowQuery]
    public int Approvals => approvals.Count;

    [WorkflowRun]
    public async Task RunAsync()
    {
        // Left running on purpose: the run waits for cancellation or termination, not for this activity.
        _ = Workflow.ExecuteActivityAsync(
            "Unserved", [], new ActivityOptions { TaskQueue = NobodyPolls, ScheduleToCloseTimeout = TimeSpan.FromHours(1) });
        await Workflow.WaitConditionAsync(() => false);
    }

    [WorkflowSignal]
    public Task ApproveAsync(string by)
    {
        approvals.Add(by);
        return Task.CompletedTask;
    }

    [WorkflowUpdate]
    public Task<string> RenameAsync(string name) => Task.FromResult($"renamed to {name}");
}
