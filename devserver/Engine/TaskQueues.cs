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
    private readonly Queue<QueuedTask> tasks = new();
    private readonly LinkedList<TaskCompletionSource> waiters = new();

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
