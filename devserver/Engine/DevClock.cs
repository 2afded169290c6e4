using MaintenanceWorkflows.DevServer.Grpc;
using Microsoft.Extensions.Logging;
using Temporalio.Exceptions;

namespace MaintenanceWorkflows.DevServer.Engine;

/// <summary>
/// The one clock every server-side deadline runs on: workflow timers, activity and workflow-task
/// timeouts, retry backoffs, workflow timeouts and start delays.
/// </summary>
/// <remarks>
/// Time is wall-clock time plus an offset. With time skipping enabled the offset jumps to the next
/// due timer whenever nobody holds time: no client lock (the TestService lock counter, which starts
/// at one like the Java test server's) and no server hold (a workflow or activity task outstanding that a
/// worker has started or can take: work queued where no worker polls holds nothing, so stopping the worker
/// cannot freeze time; see <c>WorkflowEngine.HoldsTime</c>).
/// Callbacks run one after another on the clock's own loop, so a hold taken by a callback is in
/// place before the clock considers jumping again.
/// </remarks>
public sealed class DevClock : IAsyncDisposable
{
    private static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(30);

    private readonly object gate = new();
    private readonly PriorityQueue<ClockTimer, (DateTime Due, long Seq)> timers = new();
    private readonly HashSet<object> holds = [];
    private readonly SemaphoreSlim wake = new(0);
    private readonly CancellationTokenSource stop = new();
    private readonly TimeProvider wallClock;
    private readonly Task loop;
    private TimeSpan offset;
    private int lockCount;

    /// <summary>Unlocked sleeps by callers that held no lock of their own (e.g. an activity sleeping while its workflow is busy).</summary>
    private int holdOverrides;
    private long seq;

    private readonly ILogger logger;

    public DevClock(bool timeSkipping, ILogger logger, TimeProvider? wallClock = null)
    {
        this.logger = logger;
        TimeSkipping = timeSkipping;
        this.wallClock = wallClock ?? TimeProvider.System;
        lockCount = timeSkipping ? 1 : 0;
        loop = Task.Run(RunAsync);
    }

    public bool TimeSkipping { get; }

    /// <summary>Cancelled when the clock is disposed (the server stops).</summary>
    public CancellationToken Stopping => stop.Token;

    public DateTime UtcNow
    {
        get
        {
            lock (gate)
            {
                return WallNow + offset;
            }
        }
    }

    private DateTime WallNow => wallClock.GetUtcNow().UtcDateTime;

    /// <summary>Runs <paramref name="callback"/> on the clock loop once (virtual) time reaches <paramref name="due"/>.</summary>
    public ClockTimer Schedule(DateTime due, Action callback)
    {
        var timer = new ClockTimer(due, callback);
        lock (gate)
        {
            timers.Enqueue(timer, (due, seq++));
        }
        Wake();
        return timer;
    }

    public ClockTimer After(TimeSpan delay, Action callback) => Schedule(UtcNow + delay, callback);

    /// <summary>Holds or releases time on behalf of <paramref name="key"/> (idempotent).</summary>
    public void SetHold(object key, bool held)
    {
        if (!TimeSkipping)
        {
            return;
        }
        var released = false;
        lock (gate)
        {
            if (held)
            {
                holds.Add(key);
            }
            else
            {
                released = holds.Remove(key);
            }
        }
        if (released)
        {
            Wake();
        }
    }

    public void LockTimeSkipping()
    {
        lock (gate)
        {
            lockCount++;
        }
    }

    public void UnlockTimeSkipping()
    {
        lock (gate)
        {
            if (lockCount == 0)
            {
                throw new GrpcException(
                    RpcException.StatusCode.FailedPrecondition,
                    "UnlockTimeSkipping called while time skipping is not locked: every unlock must follow a lock");
            }
            lockCount--;
        }
        Wake();
    }

    /// <summary>Completes once (virtual) time has reached <paramref name="until"/>.</summary>
    public async Task SleepUntilAsync(DateTime until, CancellationToken ct)
    {
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var timer = Schedule(until, () => reached.TrySetResult());
        try
        {
            await reached.Task.WaitAsync(ct);
        }
        finally
        {
            timer.Cancel();
        }
    }

    /// <summary>
    /// Lets time skip until (virtual) time reaches <paramref name="until"/>, then restores the lock state.
    /// The wake-up is armed before time is released and the lock is retaken inside the timer callback, on
    /// the clock loop, so time cannot jump past <paramref name="until"/> to a later timer. A caller holding
    /// no lock (an activity sleeping while time is held for its own run) releases the server's holds for
    /// the sleep instead, as Temporal's test server releases the lock it took for the activity.
    /// </summary>
    public async Task SleepUnlockedUntilAsync(DateTime until, CancellationToken ct)
    {
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var releasedLock = false;
        void Restore()
        {
            lock (gate)
            {
                if (releasedLock)
                {
                    lockCount++;
                }
                else
                {
                    holdOverrides--;
                }
            }
        }
        var timer = new ClockTimer(until, () =>
        {
            Restore();
            reached.TrySetResult();
        });
        lock (gate)
        {
            releasedLock = lockCount > 0;
            if (releasedLock)
            {
                lockCount--;
            }
            else
            {
                holdOverrides++;
            }
            timers.Enqueue(timer, (until, seq++));
        }
        Wake();
        try
        {
            await reached.Task.WaitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            if (timer.Cancel())
            {
                // The callback will never run, so what it would have restored is restored here.
                Restore();
                Wake();
            }
            throw;
        }
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
            // Expected when the loop was waiting.
        }
        stop.Dispose();
        wake.Dispose();
    }

    private void Wake()
    {
        if (wake.CurrentCount == 0)
        {
            wake.Release();
        }
    }

    private async Task RunAsync()
    {
        var due = new List<ClockTimer>();
        while (!stop.IsCancellationRequested)
        {
            var wait = MaxWait;
            lock (gate)
            {
                while (timers.TryPeek(out var head, out _) && head.Cancelled)
                {
                    timers.Dequeue();
                }
                if (timers.TryPeek(out var next, out _))
                {
                    var now = WallNow + offset;
                    if (next.Due > now && TimeSkipping && lockCount == 0 && (holds.Count == 0 || holdOverrides > 0))
                    {
                        offset += next.Due - now;
                        now = next.Due;
                    }
                    while (timers.TryPeek(out var t, out _) && t.Due <= now)
                    {
                        due.Add(timers.Dequeue());
                    }
                    if (due.Count == 0)
                    {
                        var untilNext = next.Due - now;
                        wait = untilNext < MaxWait ? untilNext : MaxWait;
                    }
                }
            }
            if (due.Count > 0)
            {
                foreach (var timer in due)
                {
                    try
                    {
                        timer.Fire();
                    }
#pragma warning disable CA1031 // One failing callback must not stop every other timer.
                    catch (Exception ex)
#pragma warning restore CA1031
                    {
                        logger.LogError(ex, "Timer callback due at {Due:o} failed", timer.Due);
                    }
                }
                due.Clear();
                continue;
            }
            await wake.WaitAsync(wait, stop.Token);
        }
    }
}

/// <summary>A callback scheduled on the <see cref="DevClock"/>; cancel it when its reason is gone.</summary>
public sealed class ClockTimer
{
    private readonly Action callback;
    private int state;

    internal ClockTimer(DateTime due, Action callback)
    {
        Due = due;
        this.callback = callback;
    }

    public DateTime Due { get; }

    public bool Cancelled => Volatile.Read(ref state) == 2;

    /// <summary>Cancels the timer; true when it had not fired (and now never will).</summary>
    public bool Cancel() => Interlocked.CompareExchange(ref state, 2, 0) == 0;

    internal void Fire()
    {
        if (Interlocked.CompareExchange(ref state, 1, 0) == 0)
        {
            callback();
        }
    }
}
