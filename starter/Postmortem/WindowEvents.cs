using System.Text.Json;
using MaintenanceWorkflows.Workflows;
using MaintenanceWorkflows.Workflows.Governance;
using MaintenanceWorkflows.Workflows.Plans;
using MaintenanceWorkflows.Workflows.Rollout;

namespace MaintenanceWorkflows.Starter.Postmortem;

/// <summary>
/// What one history event of a maintenance window means, decoded once by <see cref="HistoryReader"/>: the
/// postmortem and the demo's live narration are both built on these, never on the raw events.
/// </summary>
public abstract record WindowEvent(DateTimeOffset At);

/// <summary>The window's workflow started; <see cref="Input"/> is null when the start event carries no readable input (<see cref="Problem"/> says why).</summary>
public sealed record WindowStarted(DateTimeOffset At, MaintenanceWindowInput? Input, string? Problem, string? Identity, string? OriginalRunId) : WindowEvent(At);

/// <summary>The worker prepared the window: the policy, its hash and the schedule, as recorded.</summary>
public sealed record WindowPrepared(DateTimeOffset At, PreparedWindow Prepared) : WindowEvent(At);

/// <summary>The window entered a phase (its <c>Phase</c> search attribute changed phase, or named it for the first time in this run).</summary>
public sealed record PhaseEntered(DateTimeOffset At, WindowPhase Phase) : WindowEvent(At);

/// <summary>
/// The window's <c>Phase</c> attribute showed what a running rollout reported ("rollout 'x': batch 2 (2 of 4): ...");
/// the window writes it only for reports from its own rollouts.
/// </summary>
public sealed record RolloutReported(DateTimeOffset At, string Detail) : WindowEvent(At);

/// <summary>The window's end moved (an extension).</summary>
public sealed record WindowEndMoved(DateTimeOffset At, DateTimeOffset From, DateTimeOffset To) : WindowEvent(At);

/// <summary>A signal, or an update the window accepted for validation, with its argument as JSON when it is JSON.</summary>
public sealed record CommandReceived(DateTimeOffset At, string Name, JsonElement? Payload, SignalChannel Via, string? Identity, string? UpdateId = null) : WindowEvent(At)
{
    /// <summary>A field of the argument by name (case-insensitive), as text; null when absent or not an object.</summary>
    public string? Field(string name) => HistoryReader.Field(Payload, name);
}

/// <summary>An accepted update whose handler then failed it (e.g. a code the worker found wrong): nothing it asked for was done.</summary>
public sealed record UpdateFailed(DateTimeOffset At, string UpdateId, string Reason) : WindowEvent(At);

public sealed record CancelRequested(DateTimeOffset At, string? Identity, string? Cause) : WindowEvent(At);

public sealed record WorkflowTaskFailed(DateTimeOffset At, string? Identity, string Cause, string Message) : WindowEvent(At);

public enum ActivityChange
{
    Scheduled,
    Started,
    Closed,
}

/// <summary>
/// An activity of the window was scheduled, started (again) or closed. A check batch is one activity but
/// one <see cref="ActivityRun"/> per check, so it yields one event per check.
/// </summary>
public sealed record ActivityEvent(DateTimeOffset At, ActivityChange Change, long Key, ActivityRun Run) : WindowEvent(At);

/// <summary>A rollout step started its rollout child workflow (patch, or the undo when the window rolls back).</summary>
public sealed record RolloutStarted(DateTimeOffset At, string WorkflowId, RolloutStep Step, RolloutMode Mode) : WindowEvent(At);

/// <summary>The rollout child closed; <see cref="Result"/> is its compact result (hosts, waves, failures), null when it did not complete.</summary>
public sealed record RolloutClosed(DateTimeOffset At, string WorkflowId, RolloutStep Step, RolloutMode Mode, DateTimeOffset StartedAt, FleetRolloutResult? Result, string? Failure) : WindowEvent(At);

/// <summary>The workflow execution closed (or continued as new).</summary>
public sealed record WindowClosed(DateTimeOffset At, WindowClosure Closure) : WindowEvent(At);
