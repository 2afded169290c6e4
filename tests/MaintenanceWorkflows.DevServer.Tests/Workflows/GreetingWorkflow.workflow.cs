using Temporalio.Workflows;

namespace MaintenanceWorkflows.DevServer.Tests.Workflows;

public sealed record GreetingInput(string Name, TimeSpan Wait);

public sealed record GreetingResult(string Greeting, IReadOnlyList<string> Signals, DateTime StartedAt, DateTime FinishedAt);

public sealed record SignalInput(string Value);

/// <summary>Runs an activity, sleeps on a timer, then waits for a "finish" signal; queryable throughout.</summary>
[Workflow]
public class GreetingWorkflow
{
    private readonly List<string> signals = [];
    private bool finish;

    [WorkflowQuery]
    public string Stage { get; private set; } = "starting";

    [WorkflowQuery]
    public IReadOnlyList<string> Signals => signals;

    [WorkflowRun]
    public async Task<GreetingResult> RunAsync(GreetingInput input)
    {
        var startedAt = Workflow.UtcNow;
        Stage = "activity";
        var greeting = await Workflow.ExecuteActivityAsync(
            (BasicActivities a) => a.Greet(new GreetInput(input.Name)),
            new() { StartToCloseTimeout = TimeSpan.FromSeconds(10) });
        Stage = "timer";
        await Workflow.DelayAsync(input.Wait);
        Stage = "waiting";
        await Workflow.WaitConditionAsync(() => finish);
        Stage = "done";
        return new GreetingResult(greeting.Text, signals, startedAt, Workflow.UtcNow);
    }

    [WorkflowSignal]
    public Task AddAsync(SignalInput input)
    {
        signals.Add(input.Value);
        return Task.CompletedTask;
    }

    [WorkflowSignal]
    public Task FinishAsync(SignalInput input)
    {
        signals.Add(input.Value);
        finish = true;
        return Task.CompletedTask;
    }
}
