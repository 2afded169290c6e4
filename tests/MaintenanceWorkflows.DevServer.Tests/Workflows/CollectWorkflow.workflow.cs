using Temporalio.Exceptions;
using Temporalio.Workflows;

namespace MaintenanceWorkflows.DevServer.Tests.Workflows;

public sealed record CollectInput(int Count);

public sealed record CollectResult(IReadOnlyList<string> Values);

/// <summary>Issues no command on its first task (so a test can complete that task by hand), then collects signals; fails when one of them is "fail".</summary>
[Workflow]
public class CollectWorkflow
{
    private readonly List<string> values = [];

    [WorkflowQuery]
    public int Count => values.Count;

    [WorkflowRun]
    public async Task<CollectResult> RunAsync(CollectInput input)
    {
        await Workflow.WaitConditionAsync(() => values.Count >= input.Count);
        if (values.Contains("fail"))
        {
            throw new ApplicationFailureException("asked to fail", errorType: "Asked");
        }
        return new CollectResult(values);
    }

    [WorkflowSignal]
    public Task AddAsync(SignalInput input)
    {
        values.Add(input.Value);
        return Task.CompletedTask;
    }
}
