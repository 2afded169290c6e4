using MaintenanceWorkflows.DevServer.Grpc;
using Temporalio.Api.TaskQueue.V1;
using Temporalio.Api.WorkflowService.V1;

namespace MaintenanceWorkflows.DevServer.Engine;

/// <summary>
/// Sticky task queues, as Temporal keeps them: a worker that completes a workflow task names its own
/// sticky queue; the run's next tasks go there carrying only the events after the last completed task
/// (the worker has the rest cached). A task nobody takes from the sticky queue within its
/// schedule-to-start timeout, a failed or timed-out task, ResetStickyTaskQueue, or the worker's
/// ShutdownWorker moves the run back to the normal queue, where any worker gets the full history.
/// </summary>
public sealed partial class WorkflowEngine
{
    /// <summary>The SDKs' default sticky schedule-to-start timeout, used when a worker sends none.</summary>
    public static readonly TimeSpan DefaultStickyScheduleToStartTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Longer than any worker would wait for its own cache; beyond it the value is a mistake.</summary>
    public static readonly TimeSpan MaxStickyScheduleToStartTimeout = TimeSpan.FromDays(1);

    private const int MaxTaskQueueNameLength = 1000;

    /// <summary>Checks a completion's sticky attributes before anything is applied; (null, zero) means "not sticky".</summary>
    private static (string? Queue, TimeSpan Timeout) ValidateStickyAttributes(StickyExecutionAttributes? sticky)
    {
        if (sticky?.WorkerTaskQueue == null)
        {
            return (null, TimeSpan.Zero);
        }
        var name = sticky.WorkerTaskQueue.Name;
        if (string.IsNullOrEmpty(name))
        {
            throw GrpcException.InvalidArgument(
                "sticky_attributes.worker_task_queue.name is required when sticky_attributes is set (leave sticky_attributes unset to turn stickiness off)");
        }
        if (name.Length > MaxTaskQueueNameLength)
        {
            throw GrpcException.InvalidArgument(
                $"sticky_attributes.worker_task_queue.name is {name.Length} characters; the limit is {MaxTaskQueueNameLength}");
        }
        TimeSpan timeout;
        try
        {
            timeout = FromDuration(sticky.ScheduleToStartTimeout);
        }
        catch (Exception ex) when (ex is InvalidOperationException or OverflowException)
        {
            throw GrpcException.InvalidArgument(
                $"sticky_attributes.schedule_to_start_timeout is not a valid duration: {ex.Message}");
        }
        if (timeout < TimeSpan.Zero || timeout > MaxStickyScheduleToStartTimeout)
        {
            throw GrpcException.InvalidArgument(
                $"sticky_attributes.schedule_to_start_timeout must be between 0 (the {DefaultStickyScheduleToStartTimeout.TotalSeconds:0} s default) " +
                $"and {MaxStickyScheduleToStartTimeout.TotalHours:0} h, not {sticky.ScheduleToStartTimeout}");
        }
        return (name, timeout == TimeSpan.Zero ? DefaultStickyScheduleToStartTimeout : timeout);
    }

    /// <summary>The run's next workflow task goes to its normal queue with full history; the workflow must exist.</summary>
    public ResetStickyTaskQueueResponse ResetStickyTaskQueue(ResetStickyTaskQueueRequest req)
    {
        using (Locked())
        {
            var run = FindRun(req.Namespace, req.Execution);
            run.StickyQueue = null;
            return new ResetStickyTaskQueueResponse();
        }
    }

    /// <summary>
    /// A worker is stopping: its sticky queue is unloaded, so runs sticky to it get their next tasks on
    /// the normal queue at once instead of after a schedule-to-start timeout (Temporal unloads it too).
    /// </summary>
    public ShutdownWorkerResponse ShutdownWorker(ShutdownWorkerRequest req)
    {
        using (Locked())
        {
            RequireNamespace(req.Namespace);
            if (!string.IsNullOrEmpty(req.StickyTaskQueue) &&
                queues.TryGetValue((req.Namespace, req.StickyTaskQueue, false), out var queue))
            {
                queue.Unload();
            }
            return new ShutdownWorkerResponse();
        }
    }
}
