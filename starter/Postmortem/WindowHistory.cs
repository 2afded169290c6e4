using MaintenanceWorkflows.Workflows;
using MaintenanceWorkflows.Workflows.Contracts;
using MaintenanceWorkflows.Workflows.Plans;
using MaintenanceWorkflows.Workflows.Rollout;

namespace MaintenanceWorkflows.Starter.Postmortem;

/// <summary>
/// What a window's execution history says happened, event by event. Built by <see cref="HistoryParser"/>
/// from the history alone, so it works for running windows (no result yet) as well as closed ones.
/// </summary>
public sealed record WindowHistory
{
    public required string WindowId { get; init; }

    public string? RunId { get; init; }

    public required MaintenanceWindowInput Input { get; init; }

    /// <summary>The worker's policy the window ran under, as recorded in its history.</summary>
    public required MaintenancePolicy Policy { get; init; }

    public required string PolicyHash { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>Client identity that started the workflow (the starter, the UI...).</summary>
    public string? StartedBy { get; init; }

    /// <summary>Time of the newest event: "now" for a running window.</summary>
    public required DateTimeOffset LastEventAt { get; init; }

    /// <summary>Null while the window runs.</summary>
    public WindowClosure? Closure { get; init; }

    public required IReadOnlyList<PhaseSpan> Phases { get; init; }

    /// <summary>Every meaningful event in order, for people.</summary>
    public required IReadOnlyList<TimelineEntry> Timeline { get; init; }

    public required IReadOnlyList<ActivityRun> Activities { get; init; }

    public required IReadOnlyList<VoteEvent> Votes { get; init; }

    /// <summary>Window ends after extensions, in order (the plan's end first).</summary>
    public required IReadOnlyList<DateTimeOffset> WindowEnds { get; init; }

    /// <summary>Rollout steps, in the order they started, with their children's compact results.</summary>
    public IReadOnlyList<RolloutRun> Rollouts { get; init; } = [];

    public MaintenancePlan Plan => Input.Plan;

    public MaintenanceReport? Report => Closure?.Report;

    public bool IsRunning => Closure is null;

    /// <summary>The window's own outcome when it reported one, else the last phase the history shows.</summary>
    public WindowPhase CurrentPhase => Report?.Outcome ?? (Phases.Count == 0 ? WindowPhase.Scheduled : Phases[^1].Phase);

    public IEnumerable<ActivityRun> Steps => Activities.Where(a => a.Kind == ActivityKind.Step);

    public IEnumerable<ActivityRun> Compensations => Activities.Where(a => a.Kind == ActivityKind.Compensation);

    public IEnumerable<ActivityRun> Checks => Activities.Where(a => a.Kind == ActivityKind.Check);

    public IEnumerable<ActivityRun> Notices => Activities.Where(a => a.Kind == ActivityKind.Notice);
}

/// <summary>How the workflow execution closed: its Temporal status and, when it completed, the window's report.</summary>
public sealed record WindowClosure(string Status, DateTimeOffset At, MaintenanceReport? Report, string? Failure);

/// <summary>A phase and how long the window stayed in it; <see cref="End"/> is null for the phase it is in now.</summary>
public sealed record PhaseSpan(WindowPhase Phase, DateTimeOffset Start, DateTimeOffset? End)
{
    public TimeSpan DurationUntil(DateTimeOffset now) => (End ?? now) - Start;
}

public enum TimelineCategory
{
    Window,
    Phase,
    Approval,
    Refusal,
    Checklist,
    Operator,
    Check,
    Step,
    Compensation,
    Notice,
    Rollout,
    Failure,
}

/// <summary>One line of the postmortem's timeline: when, what kind, who, and what happened.</summary>
public sealed record TimelineEntry(DateTimeOffset At, TimelineCategory Category, string? Who, string What);

public enum ActivityKind
{
    Step,
    Compensation,
    Check,
    Notice,
    Other,
}

public enum ActivityOutcome
{
    Running,
    Succeeded,
    Failed,
    TimedOut,
    Cancelled,
}

public enum CheckStage
{
    None,
    PreCheck,
    Verification,
    RollbackVerification,
}

/// <summary>One activity of the window as the history tells it, with its input and result decoded.</summary>
public sealed record ActivityRun
{
    public required string ActivityId { get; init; }

    public required string ActivityType { get; init; }

    public required ActivityKind Kind { get; init; }

    /// <summary>Step id, check id, or notice kind name.</summary>
    public required string Subject { get; init; }

    public required string Title { get; init; }

    public required WindowPhase Phase { get; init; }

    public CheckStage Stage { get; init; }

    /// <summary>1-based verification round, 0 outside verification.</summary>
    public int Round { get; init; }

    public required DateTimeOffset ScheduledAt { get; init; }

    public DateTimeOffset? ClosedAt { get; init; }

    public ActivityOutcome Outcome { get; init; } = ActivityOutcome.Running;

    public int Attempts { get; init; } = 1;

    /// <summary>What happened, for people: "prod: 39 -> 40", a failure message, a check's observation.</summary>
    public string Detail { get; init; } = string.Empty;

    public CheckResult? CheckResult { get; init; }

    public IReadOnlyList<ChannelDelivery> Deliveries { get; init; } = [];

    /// <summary>The summary the workflow gave the activity ("compensation", a step's title...).</summary>
    public string? Summary { get; init; }

    /// <summary>A notice's channels, as scheduled.</summary>
    public IReadOnlyList<string> Channels { get; init; } = [];

    /// <summary>The decoded result of a Lambda promotion or restore, for those who phrase it their own way.</summary>
    public object? Result { get; init; }

    public DateTimeOffset End(DateTimeOffset now) => ClosedAt ?? now;
}

/// <summary>
/// An approval or rejection, by signal or update, and whether the window recorded it. <see cref="Settled"/> is
/// false when nothing the window recorded says yet (a running window read from a file): the postmortem does not
/// guess by re-running the approval rules.
/// </summary>
public sealed record VoteEvent(DateTimeOffset At, string Approver, VoteDecision Decision, string? Comment, SignalChannel Via, bool Recorded, string? RefusedBecause, bool Settled = true);

/// <summary>A rollout step as the window's history tells it: the patch run and, when the window rolled back, the undo run.</summary>
public sealed record RolloutRun
{
    public required RolloutStep Step { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    public DateTimeOffset? ClosedAt { get; init; }

    /// <summary>The patch run's result; null while it runs or when it did not complete (<see cref="Failure"/>).</summary>
    public FleetRolloutResult? Patch { get; init; }

    public string? Failure { get; init; }

    public DateTimeOffset? UndoStartedAt { get; init; }

    public DateTimeOffset? UndoClosedAt { get; init; }

    public FleetRolloutResult? Undo { get; init; }

    public string? UndoFailure { get; init; }

    /// <summary>The last progress the window showed for it (while it runs): "batch 2 (2 of 4): ...".</summary>
    public string? LastReport { get; init; }

    public DateTimeOffset? LastReportAt { get; init; }
}

/// <summary>Refusals the window itself recorded: from its report once closed, or from its Status while it runs.</summary>
/// <param name="Refusals">The refusals, oldest first.</param>
/// <param name="Complete">False when the window kept only the latest ones (older commands are then not settled).</param>
public sealed record RecordedRefusals(IReadOnlyList<RefusalRecord> Refusals, bool Complete);
