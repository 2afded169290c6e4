namespace MaintenanceWorkflows.DevServer.Engine;

/// <summary>A reference to dispatchable work; validated against the run when a poll takes it.</summary>
public abstract record QueuedTask(WorkflowRun Run);

public sealed record WorkflowTaskRef(WorkflowRun Run, WorkflowTaskState Task) : QueuedTask(Run);

public sealed record QueryTaskRef(WorkflowRun Run, PendingQuery Query) : QueuedTask(Run);

public sealed record ActivityTaskRef(WorkflowRun Run, ActivityState Activity, int Attempt) : QueuedTask(Run);

/// <summary>
/// Matching for one task queue: a FIFO of tasks and a FIFO of parked long polls. Every member is
/// called with the engine lock held; polls wait on their signal outside it.
/// </summary>
public sealed class TaskQueueState
{
    /// <summary>Temporal's window: a sticky queue nobody polled for this long gets no new tasks.</summary>
    public static readonly TimeSpan StickyPollerWindow = TimeSpan.FromSeconds(10);

    private readonly Queue<QueuedTask> tasks = new();
    private readonly LinkedList<TaskCompletionSource> waiters = new();
    private long lastPollTicks = long.MinValue;

    /// <summary>When the queue came into use: a worker that is starting gets the poller window to poll.</summary>
    private long sinceTicks = Environment.TickCount64;

    /// <summary>Bumped when the queue is unloaded (its worker shut down), so polls parked before that end empty.</summary>
    public int Generation { get; private set; }

    /// <summary>A poll arrived (wall-clock time, as Temporal's matching service counts it).</summary>
    public void Polled() => lastPollTicks = Environment.TickCount64;

    /// <summary>True when a worker is polling now or polled within <see cref="StickyPollerWindow"/>.</summary>
    public bool HasRecentPoller =>
        waiters.Count > 0 || (lastPollTicks != long.MinValue &&
            Environment.TickCount64 - lastPollTicks < (long)StickyPollerWindow.TotalMilliseconds);

    /// <summary>
    /// False when no worker polls the queue: none parked now, none polled within <see cref="StickyPollerWindow"/>
    /// (counted from the queue's first use when it never was polled). Time skipping does not wait for work in such a
    /// queue: a task nobody can take is idle, as in a real cluster whose workers are down.
    /// </summary>
    public bool Attended
    {
        get
        {
            var last = Math.Max(lastPollTicks, sinceTicks);
            return waiters.Count > 0 ||
                (last != long.MinValue && Environment.TickCount64 - last < (long)StickyPollerWindow.TotalMilliseconds);
        }
    }

    /// <summary>
    /// The worker behind a sticky queue shut down: new tasks go to the normal queue at once, parked
    /// polls end empty. Tasks already queued stay until their schedule-to-start timeout moves them.
    /// </summary>
    public void Unload()
    {
        lastPollTicks = long.MinValue;
        sinceTicks = long.MinValue;
        Generation++;
        while (waiters.First is { } first)
        {
            waiters.RemoveFirst();
            first.Value.TrySetResult();
        }
    }

    public void Enqueue(QueuedTask task)
    {
        tasks.Enqueue(task);
        WakeOne();
    }

    public bool TryDequeue(out QueuedTask task) => tasks.TryDequeue(out task!);

    public LinkedListNode<TaskCompletionSource> Park() =>
        waiters.AddLast(new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    /// <summary>
    /// A parked poll leaves without a task. If it had already been woken, pass the wake-up on so a
    /// queued task is not left waiting for the next enqueue.
    /// </summary>
    public void Unpark(LinkedListNode<TaskCompletionSource> node)
    {
        if (node.List != null)
        {
            waiters.Remove(node);
        }
        else if (tasks.Count > 0)
        {
            WakeOne();
        }
    }

    private void WakeOne()
    {
        var first = waiters.First;
        if (first != null)
        {
            waiters.RemoveFirst();
            first.Value.TrySetResult();
        }
    }
}
