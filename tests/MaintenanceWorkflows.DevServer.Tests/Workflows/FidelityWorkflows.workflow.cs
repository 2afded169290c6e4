using Temporalio.Activities;
using Temporalio.Common;
using Temporalio.Exceptions;
using Temporalio.Testing;
using Temporalio.Workflows;

namespace MaintenanceWorkflows.DevServer.Tests.Workflows;

/// <summary>Finishes as soon as an update handler has started, leaving that handler unfinished.</summary>
[Workflow]
public class AbandonedUpdateWorkflow
{
    private bool handlerStarted;

    [WorkflowRun]
    public async Task<string> RunAsync(bool fail)
    {
        await Workflow.WaitConditionAsync(() => handlerStarted);
        return fail ? throw new ApplicationFailureException("finished with a failure", errorType: "Intentional") : "finished";
    }

    [WorkflowUpdate(UnfinishedPolicy = HandlerUnfinishedPolicy.Abandon)]
    public async Task<string> NeverFinishesAsync()
    {
        handlerStarted = true;
        await Workflow.WaitConditionAsync(() => false);
        return "unreachable";
    }
}

public sealed record PriorityReport(int? Key, string? FairnessKey, float? FairnessWeight, string? ChildId);

/// <summary>Reports the priority it sees; optionally starts a child with its own priority and summary.</summary>
[Workflow]
public class PriorityWorkflow
{
    [WorkflowRun]
    public async Task<PriorityReport> RunAsync(bool startChild)
    {
        string? childId = null;
        if (startChild)
        {
            childId = $"{Workflow.Info.WorkflowId}-child";
            await Workflow.ExecuteChildWorkflowAsync(
                (PriorityWorkflow wf) => wf.RunAsync(false),
                new() { Id = childId, Priority = new(4, "high", 2.5f), StaticSummary = "child summary", StaticDetails = "child details" });
        }
        var priority = Workflow.Info.Priority;
        return new PriorityReport(priority?.PriorityKey, priority?.FairnessKey, priority?.FairnessWeight, childId);
    }
}

public sealed record HistoryInfo(int Length, int Size, bool ContinueAsNewSuggested);

public sealed record HistoryInfoReport(HistoryInfo First, HistoryInfo AfterTimers);

/// <summary>
/// Reports what Workflow.* says about history on its first task, then starts day-long timers (history
/// grows) and runs one activity, so its next task sees the longer history.
/// </summary>
[Workflow]
public class HistoryInfoWorkflow
{
    [WorkflowRun]
    public async Task<HistoryInfoReport> RunAsync(int timers)
    {
        var first = Current();
        for (var i = 0; i < timers; i++)
        {
            _ = Workflow.DelayAsync(TimeSpan.FromDays(1));
        }
        await Workflow.ExecuteActivityAsync((BlobActivities a) => a.Measure("x"), new() { StartToCloseTimeout = TimeSpan.FromSeconds(10) });
        return new HistoryInfoReport(first, Current());
    }

    private static HistoryInfo Current() => new(Workflow.CurrentHistoryLength, Workflow.CurrentHistorySize, Workflow.ContinueAsNewSuggested);
}

/// <summary>Sleeps two days; the signal-then-query pair reports workflow time at a new workflow task.</summary>
[Workflow]
public class TwoDaySleepWorkflow
{
    [WorkflowRun]
    public async Task<string> RunAsync()
    {
        await Workflow.DelayAsync(TimeSpan.FromDays(2));
        return "all done";
    }

    [WorkflowSignal]
    public Task PokeAsync() => Task.CompletedTask;

    [WorkflowQuery]
    public DateTime Now => Workflow.UtcNow;
}

/// <summary>An activity that sleeps (through the environment) twice its heartbeat timeout without heartbeating.</summary>
public sealed class EnvironmentSleepActivities
{
    private readonly WorkflowEnvironment env;

    public EnvironmentSleepActivities(WorkflowEnvironment env) => this.env = env;

    [Activity]
    public async Task<string> OversleepHeartbeatAsync()
    {
        var timeout = ActivityExecutionContext.Current.Info.HeartbeatTimeout!.Value;
        await env.DelayAsync(timeout * 2);
        return "slept";
    }
}

[Workflow]
public class HeartbeatMissWorkflow
{
    [WorkflowRun]
    public Task<string> RunAsync() =>
        Workflow.ExecuteActivityAsync(
            (EnvironmentSleepActivities a) => a.OversleepHeartbeatAsync(),
            new()
            {
                ScheduleToCloseTimeout = TimeSpan.FromSeconds(1000),
                HeartbeatTimeout = TimeSpan.FromSeconds(20),
                RetryPolicy = new() { MaximumAttempts = 1 },
            });
}

/// <summary>Passes a payload of the given size to an activity, or returns it as the result.</summary>
[Workflow]
public class BlobWorkflow
{
    [WorkflowRun]
    public async Task<int> RunAsync(int size, bool viaActivity)
    {
        var blob = new string('x', size);
        if (viaActivity)
        {
            return await Workflow.ExecuteActivityAsync(
                (BlobActivities a) => a.Measure(blob), new() { StartToCloseTimeout = TimeSpan.FromSeconds(10) });
        }
        return blob.Length;
    }
}

public sealed class BlobActivities
{
    [Activity]
    public int Measure(string blob) => blob.Length;

    [Activity]
    public string Produce(int size) => new('y', size);
}

/// <summary>Runs the producing activity and returns its result's length.</summary>
[Workflow]
public class BlobResultWorkflow
{
    [WorkflowRun]
    public async Task<int> RunAsync(int size)
    {
        var produced = await Workflow.ExecuteActivityAsync(
            (BlobActivities a) => a.Produce(size),
            new() { StartToCloseTimeout = TimeSpan.FromSeconds(10), RetryPolicy = new() { MaximumAttempts = 5 } });
        return produced.Length;
    }
}

/// <summary>Upserts a search attribute the namespace does not have: the server can never accept its first task.</summary>
[Workflow]
public class UnacceptableTaskWorkflow
{
    public static readonly SearchAttributeKey<string> Missing = SearchAttributeKey.CreateKeyword("NeverRegisteredForBackoff");

    [WorkflowRun]
    public Task RunAsync()
    {
        Workflow.UpsertTypedSearchAttributes(Missing.ValueSet("x"));
        return Workflow.WaitConditionAsync(() => false);
    }
}

/// <summary>Returns a string of the given size as its result.</summary>
[Workflow]
public class EchoBlobWorkflow
{
    [WorkflowRun]
    public Task<string> RunAsync(int size) => Task.FromResult(new string('r', size));
}
