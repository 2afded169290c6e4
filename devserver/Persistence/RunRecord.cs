using Google.Protobuf;
using MaintenanceWorkflows.DevServer.Engine;
using Temporalio.Api.Enums.V1;

namespace MaintenanceWorkflows.DevServer.Persistence;

/// <summary>
/// What a run holds beside its history: the side records Temporal keeps in mutable state (request
/// ids, the pending workflow task, activity attempts and heartbeats, timers, children, updates, buffered
/// events, memo and search attributes). Protobuf messages travel as their binary encoding.
/// </summary>
public sealed record RunRecord
{
    public required string Namespace { get; init; }

    public required string WorkflowId { get; init; }

    public required string RunId { get; init; }

    public WorkflowExecutionStatus Status { get; init; }

    public DateTime StartTime { get; init; }

    public DateTime ExecutionTime { get; init; }

    public DateTime? CloseTime { get; init; }

    public List<string> StartRequestIds { get; init; } = [];

    public List<string> AppliedRequestIds { get; init; } = [];

    public bool AwaitingFirstTask { get; init; }

    public bool CancelRequested { get; init; }

    public long LastCompletedWorkflowTaskStartedId { get; init; }

    public long WorkflowTaskSequence { get; init; }

    /// <summary>Signals the run has received (history.maximumSignalsPerExecution counts them).</summary>
    public int SignalCount { get; init; }

    public WorkflowTaskRecord? WorkflowTask { get; init; }

    public List<byte[]> Buffered { get; init; } = [];

    public List<ActivityRecord> Activities { get; init; } = [];

    public List<TimerRecord> Timers { get; init; } = [];

    public List<ChildRecord> Children { get; init; } = [];

    public List<UpdateRecord> Updates { get; init; } = [];

    public byte[] Memo { get; init; } = [];

    public byte[] SearchAttributes { get; init; } = [];

    public static RunRecord From(WorkflowRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        return new RunRecord
        {
            Namespace = run.Namespace,
            WorkflowId = run.WorkflowId,
            RunId = run.RunId,
            Status = run.Status,
            StartTime = run.StartTime,
            ExecutionTime = run.ExecutionTime,
            CloseTime = run.CloseTime,
            StartRequestIds = [.. run.StartRequestIds],
            AppliedRequestIds = [.. run.AppliedRequestIds],
            AwaitingFirstTask = run.AwaitingFirstTask,
            CancelRequested = run.CancelRequested,
            LastCompletedWorkflowTaskStartedId = run.LastCompletedWorkflowTaskStartedId,
            WorkflowTaskSequence = run.WorkflowTaskSequence,
            SignalCount = run.SignalCount,
            WorkflowTask = run.WorkflowTask is { } task
                ? new WorkflowTaskRecord(task.Attempt, task.InHistory, task.InHistory ? task.ScheduledEventId : 0, task.Speculative)
                : null,
            Buffered = run.Buffered.Select(e => e.ToByteArray()).ToList(),
            Activities = run.Activities.Values.Select(a => new ActivityRecord
            {
                ScheduledEventId = a.ScheduledEventId,
                Attempt = a.Attempt,
                FirstScheduledTime = a.FirstScheduledTime,
                AttemptScheduledTime = a.AttemptScheduledTime,
                InBackoff = a.InBackoff,
                RetryAt = a.RetryAt,
                StartedEvent = a.StartedEvent?.ToByteArray(),
                StartedTime = a.StartedTime,
                Identity = a.Identity,
                HeartbeatDetails = a.HeartbeatDetails?.ToByteArray(),
                LastHeartbeatTime = a.LastHeartbeatTime,
                LastFailure = a.LastFailure?.ToByteArray(),
                CancelRequested = a.CancelRequested,
                CancelRequestedEventId = a.CancelRequestedEventId,
            }).ToList(),
            Timers = run.Timers.Values.Select(t => new TimerRecord(t.TimerId, t.StartedEventId, t.Handle.Due)).ToList(),
            Children = run.Children.Values.Select(c => new ChildRecord(
                c.InitiatedEventId, c.Namespace, c.WorkflowId, c.WorkflowType, c.Policy, c.RunId, c.StartedEventId)).ToList(),
            // Admitted updates are not kept (as in Temporal): their callers re-send them.
            Updates = run.Updates.Values
                .Where(u => u.Stage != UpdateWorkflowExecutionLifecycleStage.Admitted)
                .Select(u => new UpdateRecord(u.Id, u.Request.ToByteArray(), u.Stage, u.AcceptedEventId, u.Outcome?.ToByteArray()))
                .ToList(),
            Memo = run.Memo.ToByteArray(),
            SearchAttributes = run.SearchAttributes.ToByteArray(),
        };
    }
}

/// <param name="ScheduledEventId">The scheduled event's id when it is in history (0 for a transient or speculative task).</param>
public sealed record WorkflowTaskRecord(int Attempt, bool InHistory, long ScheduledEventId, bool Speculative);

public sealed record ActivityRecord
{
    public long ScheduledEventId { get; init; }

    public int Attempt { get; init; }

    public DateTime FirstScheduledTime { get; init; }

    public DateTime AttemptScheduledTime { get; init; }

    public bool InBackoff { get; init; }

    public DateTime? RetryAt { get; init; }

    public byte[]? StartedEvent { get; init; }

    public DateTime? StartedTime { get; init; }

    public string Identity { get; init; } = string.Empty;

    public byte[]? HeartbeatDetails { get; init; }

    public DateTime? LastHeartbeatTime { get; init; }

    public byte[]? LastFailure { get; init; }

    public bool CancelRequested { get; init; }

    public long CancelRequestedEventId { get; init; }
}

public sealed record TimerRecord(string TimerId, long StartedEventId, DateTime Due);

public sealed record ChildRecord(
    long InitiatedEventId, string Namespace, string WorkflowId, string WorkflowType, ParentClosePolicy Policy, string? RunId, long StartedEventId);

public sealed record UpdateRecord(string Id, byte[] Request, UpdateWorkflowExecutionLifecycleStage Stage, long AcceptedEventId, byte[]? Outcome);
