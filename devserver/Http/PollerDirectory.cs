using System.Collections.Concurrent;
using Google.Protobuf.WellKnownTypes;
using MaintenanceWorkflows.DevServer.Grpc;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.TaskQueue.V1;
using Temporalio.Api.WorkflowService.V1;

namespace MaintenanceWorkflows.DevServer.Http;

/// <summary>
/// Who polls which task queue, learned from the poll RPCs as they arrive: the UI's Workers tab and task
/// queue page list them (DescribeTaskQueue). A poller not seen for five minutes is forgotten, as Temporal does.
/// </summary>
internal sealed class PollerDirectory
{
    private static readonly TimeSpan Forget = TimeSpan.FromMinutes(5);

    /// <summary>Bounds the memory a client sending made-up identities or queue names can take.</summary>
    private const int MaxEntries = 10_000;

    private readonly ConcurrentDictionary<(string Namespace, string Queue, TaskQueueType Type, string Identity), DateTime> seen = new();

    private readonly TimeProvider time;

    public PollerDirectory(TimeProvider time) => this.time = time;

    /// <summary>Starts watching the poll RPCs of a router.</summary>
    public void Watch(GrpcRouter router)
    {
        const string service = Services.ServiceBindings.WorkflowService;
        router.Observe(service, "PollWorkflowTaskQueue", PollWorkflowTaskQueueRequest.Parser,
            req => Record(req.Namespace, req.TaskQueue, TaskQueueType.Workflow, req.Identity));
        router.Observe(service, "PollActivityTaskQueue", PollActivityTaskQueueRequest.Parser,
            req => Record(req.Namespace, req.TaskQueue, TaskQueueType.Activity, req.Identity));
    }

    public void Record(string ns, TaskQueue? queue, TaskQueueType type, string identity)
    {
        if (queue == null || string.IsNullOrEmpty(queue.Name))
        {
            return;
        }
        // A sticky poll is the same worker serving its normal queue.
        var name = queue.Kind == TaskQueueKind.Sticky && !string.IsNullOrEmpty(queue.NormalName) ? queue.NormalName : queue.Name;
        var now = time.GetUtcNow().UtcDateTime;
        if (seen.Count >= MaxEntries)
        {
            Prune(now);
            if (seen.Count >= MaxEntries)
            {
                return;
            }
        }
        seen[(ns, name, type, identity)] = now;
    }

    public DescribeTaskQueueResponse Describe(DescribeTaskQueueRequest req)
    {
        if (string.IsNullOrEmpty(req.TaskQueue?.Name))
        {
            throw GrpcException.InvalidArgument("task_queue.name is required");
        }
        var type = req.TaskQueueType == TaskQueueType.Unspecified ? TaskQueueType.Workflow : req.TaskQueueType;
        var now = time.GetUtcNow().UtcDateTime;
        Prune(now);
        var response = new DescribeTaskQueueResponse();
        foreach (var (key, last) in seen.Where(e => e.Key.Namespace == req.Namespace && e.Key.Queue == req.TaskQueue.Name && e.Key.Type == type)
                     .OrderByDescending(e => e.Value))
        {
            response.Pollers.Add(new PollerInfo
            {
                Identity = key.Identity,
                LastAccessTime = Timestamp.FromDateTime(last),
                RatePerSecond = 100_000,
            });
        }
        return response;
    }

    private void Prune(DateTime now)
    {
        foreach (var (key, last) in seen)
        {
            if (now - last > Forget)
            {
                seen.TryRemove(key, out _);
            }
        }
    }
}
