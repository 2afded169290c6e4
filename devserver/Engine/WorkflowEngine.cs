using Google.Protobuf.WellKnownTypes;
using MaintenanceWorkflows.DevServer.Grpc;
using Microsoft.Extensions.Logging;
using Temporalio.Api.Common.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.History.V1;

namespace MaintenanceWorkflows.DevServer.Engine;

/// <summary>
/// The workflow engine: all state behind one lock. Long polls and waiters park on
/// TaskCompletionSources outside the lock.
/// </summary>
public sealed partial class WorkflowEngine
{
    /// <summary>Marks an activity close event whose started event is the event appended just before it.</summary>
    private const long StartedEventJustBefore = -1;

    private static readonly TimeSpan DefaultWorkflowTaskTimeout = TimeSpan.FromSeconds(10);

    private readonly object gate = new();
    private int depth;

    /// <summary>Runs whose history is in memory, with when each was last used and its size then (durable store only).</summary>
    private readonly Dictionary<WorkflowRun, (long Touch, long Bytes)> loadedHistories = [];
    private long loadedHistoryBytes;
    private long historyTouches;
    private readonly Dictionary<string, NamespaceState> namespaces = new(StringComparer.Ordinal);
    private readonly Dictionary<string, WorkflowRun> runsById = new(StringComparer.Ordinal);
    private readonly Dictionary<string, PendingQuery> queriesById = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Ns, string Queue, bool Activity), TaskQueueState> queues = [];
    private readonly IWorkflowStore store;
    private readonly ILogger logger;

    /// <summary>Runs with work queued where no worker polls: their hold on time is re-checked while they wait.</summary>
    private readonly HashSet<WorkflowRun> waitingForWorkers = [];
    private readonly Timer? workerWatch;

    public WorkflowEngine(DevClock clock, IEnumerable<string> namespaceNames, IWorkflowStore store, ILogger logger, ServerLimits? limits = null)
    {
        Clock = clock;
        Limits = limits ?? new ServerLimits();
        this.store = store;
        this.logger = logger;
        if (clock.TimeSkipping)
        {
            workerWatch = new Timer(_ => RefreshWorkerHolds(), null, Timeout.Infinite, Timeout.Infinite);
            clock.Stopping.Register(workerWatch.Dispose);
        }
        var stored = store.Load();
        using (Locked())
        {
            foreach (var (name, id) in stored.Namespaces)
            {
                var ns = new NamespaceState(name, id);
                if (stored.SearchAttributes.TryGetValue(name, out var custom) && custom.Count > 0)
                {
                    ns.SearchAttributes.Add(custom);
                }
                namespaces[name] = ns;
            }
            foreach (var name in namespaceNames.Append("default"))
            {
                namespaces.TryAdd(name, new NamespaceState(name));
            }
            store.NamespacesChanged(namespaces.Values.Select(n => (n.Name, n.Id)).ToList());
            Restore(stored.Runs);
        }
    }

    public DevClock Clock { get; }

    public ServerLimits Limits { get; }

    public IReadOnlyCollection<NamespaceState> Namespaces
    {
        get
        {
            using (Locked())
            {
                return namespaces.Values.ToList();
            }
        }
    }

    /// <summary>
    /// Adds a namespace (RegisterNamespace), kept by a durable store like those given with --namespace. A name
    /// already in use is refused with Temporal's NamespaceAlreadyExists.
    /// </summary>
    public Temporalio.Api.WorkflowService.V1.RegisterNamespaceResponse RegisterNamespace(Temporalio.Api.WorkflowService.V1.RegisterNamespaceRequest req)
    {
        ArgumentNullException.ThrowIfNull(req);
        if (string.IsNullOrEmpty(req.Namespace))
        {
            throw GrpcException.InvalidArgument("namespace is required: name the namespace to register");
        }
        if (req.Namespace.Length > MaxNamespaceLength || !req.Namespace.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            throw GrpcException.InvalidArgument(
                $"namespace '{Truncate(req.Namespace)}' is not valid: use at most {MaxNamespaceLength} letters, digits, '-', '_' or '.'");
        }
        using (Locked())
        {
            if (namespaces.ContainsKey(req.Namespace))
            {
                throw new GrpcException(
                    Temporalio.Exceptions.RpcException.StatusCode.AlreadyExists, "Namespace already exists.", new Temporalio.Api.ErrorDetails.V1.NamespaceAlreadyExistsFailure());
            }
            namespaces[req.Namespace] = new NamespaceState(req.Namespace);
            store.NamespacesChanged(namespaces.Values.Select(n => (n.Name, n.Id)).ToList());
        }
        return new Temporalio.Api.WorkflowService.V1.RegisterNamespaceResponse();
    }

    private const int MaxNamespaceLength = 255;

    private static string Truncate(string text) => text.Length <= 64 ? text : string.Concat(text.AsSpan(0, 64), "…");

    public NamespaceState GetNamespace(string name)
    {
        using (Locked())
        {
            return RequireNamespace(name);
        }
    }

    private NamespaceState RequireNamespace(string name)
    {
        if (string.IsNullOrEmpty(name))
        {
            throw GrpcException.InvalidArgument("namespace is required");
        }
        return namespaces.TryGetValue(name, out var ns) ? ns : throw GrpcException.NamespaceNotFound(name);
    }

    /// <summary>
    /// Takes the engine lock. Leaving the outermost scope flushes the store, so everything one
    /// operation changed is written in one transaction before its RPC is answered.
    /// </summary>
    private GateScope Locked()
    {
        Monitor.Enter(gate);
        depth++;
        return new GateScope(this);
    }

    private void Unlock()
    {
        try
        {
            if (depth == 1)
            {
                store.Flush();
                TrimHistories();
            }
        }
        finally
        {
            depth--;
            Monitor.Exit(gate);
        }
    }

    private readonly struct GateScope : IDisposable
    {
        private readonly WorkflowEngine engine;

        public GateScope(WorkflowEngine engine) => this.engine = engine;

        public void Dispose() => engine.Unlock();
    }

    /// <summary>Gets how many runs have their history in memory now, and its bytes (diagnostics and the bench).</summary>
    public (int Runs, long Bytes) HistoriesInMemory
    {
        get
        {
            using (Locked())
            {
                var loaded = runsById.Values.Where(r => r.History.IsLoaded).ToList();
                return (loaded.Count, loaded.Sum(r => r.HistorySizeBytes));
            }
        }
    }

    /// <summary>Notes that <paramref name="run"/>'s history is in memory and was just used (see <see cref="TrimHistories"/>).</summary>
    private void TouchHistory(WorkflowRun run)
    {
        if (!store.KeepsHistories)
        {
            return;
        }
        if (loadedHistories.Remove(run, out var previous))
        {
            loadedHistoryBytes -= previous.Bytes;
        }
        loadedHistories[run] = (++historyTouches, run.HistorySizeBytes);
        loadedHistoryBytes += run.HistorySizeBytes;
    }

    /// <summary>
    /// With a durable store, keeps the histories held in memory under <see cref="ServerLimits.HistoryCacheBytes"/>:
    /// once over it, the least recently used written histories are dropped down to three quarters of it. A dropped
    /// history is read back from the store by whatever needs it next (a worker's replay, a history page).
    /// </summary>
    private void TrimHistories()
    {
        if (loadedHistoryBytes <= Limits.HistoryCacheBytes)
        {
            return;
        }
        var target = Limits.HistoryCacheBytes / 4 * 3;
        foreach (var (run, entry) in loadedHistories.OrderBy(p => p.Value.Touch).ToList())
        {
            if (loadedHistoryBytes <= target)
            {
                break;
            }
            if (!store.IsWritten(run))
            {
                continue;
            }
            var kept = run;
            run.History.Unload(() => store.ReadHistory(kept.RunId), () => TouchHistory(kept));
            loadedHistories.Remove(run);
            loadedHistoryBytes -= entry.Bytes;
        }
    }

    /// <summary>Runs <paramref name="action"/> while no operation is in progress (e.g. closing the store).</summary>
    public void Quiesce(Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        lock (gate)
        {
            action();
        }
    }

    /// <summary>Finds a run: the given run id, or the latest run of the workflow id when run id is empty.</summary>
    private WorkflowRun FindRun(string ns, WorkflowExecution? execution)
    {
        var nsState = RequireNamespace(ns);
        if (execution == null || string.IsNullOrEmpty(execution.WorkflowId))
        {
            throw GrpcException.InvalidArgument("workflow_execution.workflow_id is required");
        }
        if (!string.IsNullOrEmpty(execution.RunId))
        {
            if (runsById.TryGetValue(execution.RunId, out var run) && run.Namespace == ns &&
                run.WorkflowId == execution.WorkflowId)
            {
                return run;
            }
            throw GrpcException.NotFound(
                $"workflow execution not found for workflow id '{execution.WorkflowId}' and run id '{execution.RunId}'");
        }
        if (nsState.Workflows.TryGetValue(execution.WorkflowId, out var runs) && runs.Count > 0)
        {
            return runs[^1];
        }
        throw GrpcException.NotFound($"workflow execution not found for workflow id '{execution.WorkflowId}'");
    }

    private TaskQueueState Queue(string ns, string name, bool activity)
    {
        if (!queues.TryGetValue((ns, name, activity), out var queue))
        {
            queue = new TaskQueueState();
            queues[(ns, name, activity)] = queue;
        }
        return queue;
    }

    /// <summary>Appends one event to history now: assigns its id and time, wakes history waiters.</summary>
    private HistoryEvent Append(WorkflowRun run, HistoryEvent evt)
    {
        evt.EventId = run.NextEventId;
        evt.EventTime ??= Timestamp.FromDateTime(Clock.UtcNow);
        LinkActivityStarted(run, evt);
        run.History.Add(evt);
        run.HistorySizeBytes += evt.CalculateSize();
        return evt;
    }

    private static void LinkActivityStarted(WorkflowRun run, HistoryEvent evt)
    {
        var previous = run.History.Count > 0 ? run.History[^1].EventId : 0;
        switch (evt.AttributesCase)
        {
            case HistoryEvent.AttributesOneofCase.ActivityTaskCompletedEventAttributes
                when evt.ActivityTaskCompletedEventAttributes.StartedEventId == StartedEventJustBefore:
                evt.ActivityTaskCompletedEventAttributes.StartedEventId = previous;
                break;
            case HistoryEvent.AttributesOneofCase.ActivityTaskFailedEventAttributes
                when evt.ActivityTaskFailedEventAttributes.StartedEventId == StartedEventJustBefore:
                evt.ActivityTaskFailedEventAttributes.StartedEventId = previous;
                break;
            case HistoryEvent.AttributesOneofCase.ActivityTaskTimedOutEventAttributes
                when evt.ActivityTaskTimedOutEventAttributes.StartedEventId == StartedEventJustBefore:
                evt.ActivityTaskTimedOutEventAttributes.StartedEventId = previous;
                break;
            case HistoryEvent.AttributesOneofCase.ActivityTaskCanceledEventAttributes
                when evt.ActivityTaskCanceledEventAttributes.StartedEventId == StartedEventJustBefore:
                evt.ActivityTaskCanceledEventAttributes.StartedEventId = previous;
                break;
            default:
                break;
        }
    }

    /// <summary>
    /// Records events that did not come from the workflow (signals, activity and timer outcomes,
    /// cancel requests): buffered while a workflow task is started, otherwise appended, and a
    /// workflow task is scheduled so the workflow sees them.
    /// </summary>
    private void AddExternalEvents(WorkflowRun run, params HistoryEvent[] events)
    {
        var now = Timestamp.FromDateTime(Clock.UtcNow);
        foreach (var evt in events)
        {
            evt.EventTime ??= now;
            if (run.WorkflowTask?.StartedEvent != null)
            {
                run.Buffered.Add(evt);
            }
            else
            {
                Append(run, evt);
            }
        }
        if (run.WorkflowTask == null && !run.AwaitingFirstTask)
        {
            ScheduleWorkflowTask(run, 1);
        }
    }

    private int FlushBuffered(WorkflowRun run)
    {
        var count = run.Buffered.Count;
        foreach (var evt in run.Buffered)
        {
            Append(run, evt);
        }
        run.Buffered.Clear();
        return count;
    }

    /// <summary>
    /// Ends every operation that changed a run: time-skipping hold, persistence, history waiters.
    /// </summary>
    private void Commit(WorkflowRun run)
    {
        EnforceHistoryLimits(run);
        Clock.SetHold(run, HoldsTime(run));
        store.RunChanged(run);
        TouchHistory(run);
        if (!run.IsRunning)
        {
            run.Closed.TrySetResult();
        }
        var changed = run.Changed;
        run.Changed = null;
        changed?.TrySetResult();
    }

    /// <summary>
    /// Whether time skipping must wait for this run: a workflow or activity task outstanding that a worker has
    /// started or can take. A task queued where no worker polls (<see cref="TaskQueueState.Attended"/>) does not
    /// hold time: with the workers down, the run's timers fire and time moves on as in a real cluster, and the
    /// task waits for the next worker. Such runs are re-checked every second and when a worker polls again.
    /// </summary>
    private bool HoldsTime(WorkflowRun run)
    {
        var busy = false;
        var unattended = false;
        if (run.IsRunning && run.WorkflowTask is { } task && !run.AwaitingFirstTask)
        {
            if (task.StartedEvent != null || Queue(run.Namespace, task.DispatchQueue, activity: false).Attended)
            {
                busy = true;
            }
            else
            {
                unattended = true;
            }
        }
        if (run.IsRunning)
        {
            foreach (var activity in run.Activities.Values)
            {
                if (activity.InBackoff)
                {
                    continue;
                }
                if (activity.Started || Queue(run.Namespace, activity.Attributes.TaskQueue.Name, activity: true).Attended)
                {
                    busy = true;
                }
                else
                {
                    unattended = true;
                }
            }
        }
        if (workerWatch != null)
        {
            if (unattended)
            {
                if (waitingForWorkers.Add(run) && waitingForWorkers.Count == 1)
                {
                    WatchWorkers(true);
                }
            }
            else if (waitingForWorkers.Remove(run) && waitingForWorkers.Count == 0)
            {
                WatchWorkers(false);
            }
        }
        return busy;
    }

    private static readonly TimeSpan WorkerWatchInterval = TimeSpan.FromSeconds(1);

    private void WatchWorkers(bool on)
    {
        try
        {
            workerWatch?.Change(on ? WorkerWatchInterval : Timeout.InfiniteTimeSpan, on ? WorkerWatchInterval : Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
            // The server is shutting down.
        }
    }

    /// <summary>Re-checks the hold of every run waiting for a worker (a queue's poller came or went).</summary>
    private void RefreshWorkerHolds()
    {
        try
        {
            using (Locked())
            {
                foreach (var run in waitingForWorkers.ToList())
                {
                    Clock.SetHold(run, HoldsTime(run));
                }
            }
        }
        catch (ObjectDisposedException)
        {
            // The server is shutting down.
        }
    }

    private static HistoryEvent NewEvent(EventType type) => new() { EventType = type };

    private static Duration? ToDuration(TimeSpan span) => span > TimeSpan.Zero ? Duration.FromTimeSpan(span) : null;

    private static TimeSpan FromDuration(Duration? duration) => duration?.ToTimeSpan() ?? TimeSpan.Zero;
}

public sealed class NamespaceState
{
    public NamespaceState(string name, string? id = null)
    {
        Name = name;
        Id = id ?? Guid.NewGuid().ToString();
        SearchAttributes = new Visibility.SearchAttributeRegistry(name);
    }

    public string Name { get; }

    public Visibility.SearchAttributeRegistry SearchAttributes { get; }

    public string Id { get; }

    /// <summary>Runs per workflow id, oldest first; the last is the current run.</summary>
    public Dictionary<string, List<WorkflowRun>> Workflows { get; } = new(StringComparer.Ordinal);
}
