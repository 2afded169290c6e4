using Temporalio.Api.Common.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.Failure.V1;
using Temporalio.Api.History.V1;
using Temporalio.Api.Query.V1;
using Temporalio.Api.WorkflowService.V1;

namespace MaintenanceWorkflows.DevServer.Engine;

/// <summary>
/// One workflow run: its history (the source of truth) plus the side records Temporal keeps next
/// to it (request ids, the outstanding workflow task, activity attempts and heartbeats, events
/// buffered while a workflow task is in flight, armed timers).
/// </summary>
public sealed class WorkflowRun
{
    public WorkflowRun(string ns, string workflowId, string runId, WorkflowExecutionStartedEventAttributes start)
    {
        Namespace = ns;
        WorkflowId = workflowId;
        RunId = runId;
        Start = WithoutPayloads(start);
    }

    public string Namespace { get; }

    public string WorkflowId { get; }

    public string RunId { get; }

    /// <summary>
    /// Gets the start attributes the engine consults (queue, type, timeouts, parent), without the input, memo and
    /// search attributes: the input lives only in the started event (a retry or cron run reads it from there), memo
    /// and search attributes in <see cref="Memo"/> and <see cref="SearchAttributes"/>, so a run whose history left
    /// memory keeps no second copy of its payloads.
    /// </summary>
    public WorkflowExecutionStartedEventAttributes Start { get; }

    /// <summary>The workflow's input, from the started event.</summary>
    public Payloads? Input => History.Count > 0 ? History[0].WorkflowExecutionStartedEventAttributes?.Input : null;

    public WorkflowExecution Execution => new() { WorkflowId = WorkflowId, RunId = RunId };

    public HistoryLog History { get; } = new();

    public long NextEventId => History.Count + 1;

    /// <summary>Encoded size of <see cref="History"/> as events were appended (what Temporal reports and limits).</summary>
    public long HistorySizeBytes { get; set; }

    public WorkflowExecutionStatus Status { get; set; } = WorkflowExecutionStatus.Running;

    public bool IsRunning => Status == WorkflowExecutionStatus.Running;

    public DateTime StartTime { get; set; }

    public DateTime ExecutionTime { get; set; }

    public DateTime? CloseTime { get; set; }

    /// <summary>Request ids of the start (and signal-with-start) calls that created or reused this run.</summary>
    public HashSet<string> StartRequestIds { get; } = [];

    /// <summary>Request ids of signals and cancel requests already applied (retries are no-ops).</summary>
    public HashSet<string> AppliedRequestIds { get; } = [];

    public Memo Memo { get; } = new();

    /// <summary>Search attribute payloads as stored (typed: each carries <c>type</c> metadata).</summary>
    public SearchAttributes SearchAttributes { get; } = new();

    /// <summary>The same values decoded, for list filters.</summary>
    public Dictionary<string, object> SearchAttributeValues { get; } = new(StringComparer.Ordinal);

    /// <summary>True until a start delay elapses: events are recorded but no workflow task is scheduled.</summary>
    public bool AwaitingFirstTask { get; set; }

    public bool CancelRequested { get; set; }

    /// <summary>Signals received so far (from clients and other workflows), which Temporal caps per run.</summary>
    public int SignalCount { get; set; }

    public WorkflowTaskState? WorkflowTask { get; set; }

    /// <summary>Numbers workflow tasks within the run (see <see cref="WorkflowTaskState.Sequence"/>).</summary>
    public long WorkflowTaskSequence { get; set; }

    /// <summary>Updates by id: admitted ones waiting for the worker, accepted and completed ones for callers and dedupe.</summary>
    public Dictionary<string, UpdateState> Updates { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// The sticky queue of the worker that completed the last workflow task (null when none): the next
    /// tasks go there with only the new events, until a schedule-to-start timeout, a failure or a reset.
    /// </summary>
    public string? StickyQueue { get; set; }

    public TimeSpan StickyScheduleToStartTimeout { get; set; }

    /// <summary>Started event id of the last completed workflow task (0 when none).</summary>
    public long LastCompletedWorkflowTaskStartedId { get; set; }

    /// <summary>Events that arrived while a workflow task was started; appended after its completion.</summary>
    public List<HistoryEvent> Buffered { get; } = [];

    public Dictionary<long, ActivityState> Activities { get; } = [];

    public Dictionary<string, TimerState> Timers { get; } = new(StringComparer.Ordinal);

    /// <summary>Child workflows by initiated event id, until their outcome is recorded here.</summary>
    public Dictionary<long, ChildState> Children { get; } = [];

    /// <summary>Queries waiting for the next workflow task (or for a legacy query task).</summary>
    public List<PendingQuery> Queries { get; } = [];

    public List<ClockTimer> RunTimers { get; } = [];

    /// <summary>
    /// Completed (and replaced) when the run changes, if someone waits for it; null when nobody does, so
    /// the many changes nobody watches cost nothing.
    /// </summary>
    public TaskCompletionSource? Changed { get; set; }

    /// <summary>Completed when the run closes (result waiters need nothing earlier).</summary>
    public TaskCompletionSource Closed { get; } = NewSignal();

    public HistoryEvent? CloseEvent => IsRunning || History.Count == 0 ? null : History[^1];

    private static WorkflowExecutionStartedEventAttributes WithoutPayloads(WorkflowExecutionStartedEventAttributes start)
    {
        if (start.Input == null && start.Memo == null && start.SearchAttributes == null)
        {
            return start;
        }
        var copy = start.Clone();
        copy.Input = null;
        copy.Memo = null;
        copy.SearchAttributes = null;
        return copy;
    }

    public static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Applies typed search attribute values; an unset value removes the attribute.</summary>
    public void UpsertSearchAttributes(SearchAttributes typed)
    {
        foreach (var (name, payload) in typed.IndexedFields)
        {
            var value = Visibility.SearchAttributeRegistry.DecodeTyped(payload);
            if (value == null)
            {
                SearchAttributes.IndexedFields.Remove(name);
                SearchAttributeValues.Remove(name);
            }
            else
            {
                SearchAttributes.IndexedFields[name] = payload;
                SearchAttributeValues[name] = value;
            }
        }
    }
}

public sealed class WorkflowTaskState
{
    public WorkflowTaskState(HistoryEvent scheduledEvent, int attempt, long sequence, bool inHistory, bool speculative, int historyCountAtSchedule)
    {
        ScheduledEvent = scheduledEvent;
        Attempt = attempt;
        Sequence = sequence;
        InHistory = inHistory;
        Speculative = speculative;
        HistoryCountAtSchedule = historyCountAtSchedule;
        ScheduledTime = scheduledEvent.EventTime.ToDateTime();
    }

    /// <summary>
    /// The WorkflowTaskScheduled event. A transient (attempt &gt; 1) or speculative task keeps it out of
    /// history until the task completes; its id is then assigned when a poll takes the task.
    /// </summary>
    public HistoryEvent ScheduledEvent { get; }

    public long ScheduledEventId => ScheduledEvent.EventId;

    public int Attempt { get; }

    /// <summary>Per-run task number: tokens name it, so a stale token never completes a later task with the same ids.</summary>
    public long Sequence { get; }

    /// <summary>True when the scheduled event was appended at schedule time (a normal first attempt).</summary>
    public bool InHistory { get; }

    /// <summary>Scheduled only to deliver updates: if every update is rejected and nothing else happened, it leaves no trace.</summary>
    public bool Speculative { get; }

    /// <summary>History length when scheduled: a speculative task may only vanish if nothing was appended since.</summary>
    public int HistoryCountAtSchedule { get; }

    public DateTime ScheduledTime { get; }

    /// <summary>When a retried task is offered to pollers (after its backoff); <see cref="ScheduledTime"/> otherwise.</summary>
    public DateTime AvailableAt
    {
        get => availableAt ?? ScheduledTime;
        set => availableAt = value;
    }

    private DateTime? availableAt;

    /// <summary>The queue the task was offered on (the normal queue, or the run's sticky queue).</summary>
    public string DispatchQueue { get; set; } = string.Empty;

    /// <summary>Moves a task nobody took from the sticky queue back to the normal queue.</summary>
    public ClockTimer? StickyTimeout { get; set; }

    /// <summary>Puts the task on its queue when the retry backoff ends.</summary>
    public ClockTimer? Backoff { get; set; }

    /// <summary>Built when a poll takes the task; appended only when the task completes, fails or times out.</summary>
    public HistoryEvent? StartedEvent { get; set; }

    public ClockTimer? Timeout { get; set; }

    public List<PendingQuery> DeliveredQueries { get; } = [];

    /// <summary>Updates whose requests rode on this task; the completion must accept or reject each.</summary>
    public List<UpdateState> DeliveredUpdates { get; } = [];
}

public sealed class ActivityState
{
    public ActivityState(long scheduledEventId, ActivityTaskScheduledEventAttributes attributes, DateTime scheduledTime)
    {
        ScheduledEventId = scheduledEventId;
        Attributes = attributes;
        FirstScheduledTime = scheduledTime;
        AttemptScheduledTime = scheduledTime;
    }

    public long ScheduledEventId { get; }

    public ActivityTaskScheduledEventAttributes Attributes { get; }

    public string ActivityId => Attributes.ActivityId;

    public int Attempt { get; set; } = 1;

    public DateTime FirstScheduledTime { get; }

    public DateTime AttemptScheduledTime { get; set; }

    /// <summary>Waiting out a retry backoff: not on any queue, not holding time.</summary>
    public bool InBackoff { get; set; }

    /// <summary>When the backoff ends (while <see cref="InBackoff"/>).</summary>
    public DateTime? RetryAt { get; set; }

    public HistoryEvent? StartedEvent { get; set; }

    public bool Started => StartedEvent != null;

    public DateTime? StartedTime { get; set; }

    public string Identity { get; set; } = string.Empty;

    public Payloads? HeartbeatDetails { get; set; }

    public DateTime? LastHeartbeatTime { get; set; }

    /// <summary>Failure of the previous attempt, reported on the next attempt's started event.</summary>
    public Failure? LastFailure { get; set; }

    public bool CancelRequested { get; set; }

    /// <summary>Paused by PauseActivity: not dispatched, and a failed attempt waits for the unpause.</summary>
    public bool Paused { get; set; }

    /// <summary>ResetActivity arrived while an attempt ran: its end starts attempt 1.</summary>
    public bool ResetRequested { get; set; }

    public long CancelRequestedEventId { get; set; }

    public ClockTimer? ScheduleToCloseTimer { get; set; }

    public ClockTimer? ScheduleToStartTimer { get; set; }

    public ClockTimer? StartToCloseTimer { get; set; }

    public ClockTimer? HeartbeatTimer { get; set; }

    public ClockTimer? RetryTimer { get; set; }

    public void CancelAttemptTimers()
    {
        ScheduleToStartTimer?.Cancel();
        StartToCloseTimer?.Cancel();
        HeartbeatTimer?.Cancel();
        RetryTimer?.Cancel();
    }

    public void CancelAllTimers()
    {
        CancelAttemptTimers();
        ScheduleToCloseTimer?.Cancel();
    }
}

public sealed class TimerState
{
    public TimerState(string timerId, long startedEventId, ClockTimer handle)
    {
        TimerId = timerId;
        StartedEventId = startedEventId;
        Handle = handle;
    }

    public string TimerId { get; }

    public long StartedEventId { get; }

    public ClockTimer Handle { get; }
}

public sealed class PendingQuery
{
    public PendingQuery(WorkflowRun run, WorkflowQuery query)
    {
        Run = run;
        Query = query;
    }

    public string Id { get; } = Guid.NewGuid().ToString();

    public WorkflowRun Run { get; }

    public WorkflowQuery Query { get; }

    public TaskCompletionSource<QueryWorkflowResponse> Result { get; } =
        new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>True once handed out as a legacy query task (rather than riding on a workflow task).</summary>
    public bool Legacy { get; set; }
}
