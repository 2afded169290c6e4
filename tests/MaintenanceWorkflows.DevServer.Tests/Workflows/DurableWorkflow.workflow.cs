using System.Collections.Concurrent;
using Temporalio.Activities;
using Temporalio.Workflows;

namespace MaintenanceWorkflows.DevServer.Tests.Workflows;

public sealed record DurableInput(TimeSpan Timer);

public sealed record DurableResult(string Held, string Quick, IReadOnlyList<string> Signals);

/// <summary>
/// An activity that waits to be released and a timer at the same time, then a second activity,
/// then a "finish" signal: at any moment something is pending on the server.
/// </summary>
[Workflow]
public class DurableWorkflow
{
    private readonly List<string> signals = [];

    [WorkflowRun]
    public async Task<DurableResult> RunAsync(DurableInput input)
    {
        var options = new ActivityOptions { StartToCloseTimeout = TimeSpan.FromMinutes(2) };
        var held = Workflow.ExecuteActivityAsync((DurableActivities a) => a.HoldAsync("held"), options);
        await Workflow.DelayAsync(input.Timer);
        var heldResult = await held;
        var quick = await Workflow.ExecuteActivityAsync((DurableActivities a) => a.Quick("quick"), options);
        await Workflow.WaitConditionAsync(() => signals.Contains("finish"));
        return new DurableResult(heldResult, quick, signals);
    }

    [WorkflowSignal]
    public Task SignalAsync(string value)
    {
        signals.Add(value);
        return Task.CompletedTask;
    }
}

/// <summary>HoldAsync reports that it started and waits until the test releases it.</summary>
public sealed class DurableActivities
{
    public ConcurrentDictionary<string, TaskCompletionSource> Started { get; } = new();

    public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource StartedFor(string workflowId) =>
        Started.GetOrAdd(workflowId, _ => new(TaskCreationOptions.RunContinuationsAsynchronously));

    [Activity]
    public async Task<string> HoldAsync(string value)
    {
        StartedFor(ActivityExecutionContext.Current.Info.WorkflowId ?? string.Empty).TrySetResult();
        await Release.Task.WaitAsync(ActivityExecutionContext.Current.CancellationToken);
        return $"{value} by attempt {ActivityExecutionContext.Current.Info.Attempt}";
    }

    [Activity]
    public string Quick(string value) => value;
}
