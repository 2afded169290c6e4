using Temporalio.Activities;
using Temporalio.Workflows;

namespace MaintenanceWorkflows.DevServer.Tests.Workflows;

/// <summary>Runs one activity by name with a short heartbeat timeout, waiting for its cancellation to finish.</summary>
[Workflow]
public class ControlledActivityWorkflow
{
    [WorkflowRun]
    public Task<string> RunAsync(string activity) =>
        Workflow.ExecuteActivityAsync<string>(
            activity,
            [],
            new()
            {
                StartToCloseTimeout = TimeSpan.FromMinutes(1),
                HeartbeatTimeout = TimeSpan.FromSeconds(1),
                CancellationType = ActivityCancellationType.WaitCancellationCompleted,
            });
}

/// <summary>Activities that heartbeat until cancelled and report why (pause or reset), as the SDK's own tests do.</summary>
public sealed class ControlledActivities
{
    public TaskCompletionSource Reached { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    [Activity("catch-pause")]
    public async Task<string> CatchPauseAsync()
    {
        var ctx = ActivityExecutionContext.Current;
        while (!ctx.CancellationToken.IsCancellationRequested)
        {
            ctx.Heartbeat();
            Reached.TrySetResult();
            await Task.Delay(TimeSpan.FromMilliseconds(300), CancellationToken.None);
        }
        return $"reason {ctx.CancelReason}, paused {ctx.CancellationDetails?.IsPaused}";
    }

    [Activity("catch-reset")]
    public async Task<string> CatchResetAsync()
    {
        var ctx = ActivityExecutionContext.Current;
        while (!ctx.CancellationToken.IsCancellationRequested)
        {
            ctx.Heartbeat("before-reset");
            Reached.TrySetResult();
            await Task.Delay(TimeSpan.FromMilliseconds(300), CancellationToken.None);
        }
        return $"reason {ctx.CancelReason}, reset {ctx.CancellationDetails?.IsReset}";
    }

    /// <summary>Lets the pause cancellation escape (the attempt fails); the next attempt reports the details it was given.</summary>
    [Activity("fail-on-pause")]
    public async Task<string> FailOnPauseAsync()
    {
        var ctx = ActivityExecutionContext.Current;
        if (ctx.Info.Attempt > 1)
        {
            return $"attempt {ctx.Info.Attempt}, details {ctx.Info.HeartbeatDetails.FirstOrDefault()?.Data?.ToStringUtf8()}";
        }
        while (true)
        {
            ctx.Heartbeat("pre-pause");
            Reached.TrySetResult();
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(300), ctx.CancellationToken);
            }
            finally
            {
                ctx.Heartbeat("post-pause");
            }
        }
    }
}

/// <summary>Keeps updates in a list; the update returns the list so far.</summary>
[Workflow]
public class UpdateWithStartWorkflow
{
    private readonly List<string> items = [];

    [WorkflowRun]
    public async Task<IReadOnlyList<string>> RunAsync(string first)
    {
        items.Insert(0, first);
        await Workflow.WaitConditionAsync(() => items.Contains("done"));
        return items;
    }

    [WorkflowUpdate]
    public Task<IReadOnlyList<string>> AddAsync(string item)
    {
        items.Add(item);
        return Task.FromResult<IReadOnlyList<string>>(items.ToList());
    }
}
