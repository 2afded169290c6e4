using Temporalio.Activities;

namespace MaintenanceWorkflows.Activities;

/// <summary>
/// Heartbeats in the background while an activity waits on a remote call. Temporal tells a running activity that
/// its workflow cancelled it only in a heartbeat reply, so an activity that never heartbeats cannot be stopped by
/// an abort: it runs on (and the workflow waits, for cancellation types that wait) until the call returns or
/// times out. The SDK throttles the beats to what the activity's heartbeat timeout needs.
/// </summary>
public sealed class ActivityHeartbeats : IAsyncDisposable
{
    private readonly CancellationTokenSource stop = new();
    private readonly Task loop;

    private ActivityHeartbeats(ActivityExecutionContext context, TimeSpan every) =>
        loop = BeatAsync(context, every, stop.Token);

    /// <summary>Starts beating when the activity has a heartbeat timeout (a third of it apart); otherwise does nothing.</summary>
    public static ActivityHeartbeats? Start(ActivityExecutionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Info.HeartbeatTimeout is { } timeout && timeout > TimeSpan.Zero
            ? new ActivityHeartbeats(context, timeout / 3)
            : null;
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        try
        {
            await loop;
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }
        stop.Dispose();
    }

    private static async Task BeatAsync(ActivityExecutionContext context, TimeSpan every, CancellationToken token)
    {
        while (!token.IsCancellationRequested && !context.CancellationToken.IsCancellationRequested)
        {
            context.Heartbeat();
            await Task.Delay(every, token);
        }
    }
}
