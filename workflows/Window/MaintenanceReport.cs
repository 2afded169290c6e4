using System.Text.Json.Serialization;
using MaintenanceWorkflows.Workflows.Contracts;
using MaintenanceWorkflows.Workflows.Plans;

namespace MaintenanceWorkflows.Workflows;

/// <summary>
/// Result of a maintenance window: everything a postmortem needs that the history does not spell out
/// in one place (who approved, which checks saw what, what was undone and what could not be).
/// </summary>
public sealed record MaintenanceReport
{
    public required string PlanId { get; init; }

    public required string Title { get; init; }

    public required MaintenanceType Type { get; init; }

    /// <summary>Final phase: Completed, RolledBack, Postponed, Cancelled, Rejected or Failed.</summary>
    public required WindowPhase Outcome { get; init; }

    /// <summary>Why the window ended the way it did, in a sentence.</summary>
    public required string Summary { get; init; }

    public required DateTimeOffset ScheduledAt { get; init; }

    public required DateTimeOffset WindowStart { get; init; }

    /// <summary>The window's end after any extensions.</summary>
    public required DateTimeOffset WindowEnd { get; init; }

    public required string TimeZone { get; init; }

    /// <summary>When the first step started; null when nothing ran.</summary>
    public DateTimeOffset? ExecutionStartedAt { get; init; }

    public required DateTimeOffset FinishedAt { get; init; }

    public required IReadOnlyList<PhaseChange> Phases { get; init; }

    public required IReadOnlyList<VoteRecord> Votes { get; init; }

    /// <summary>The last refused signals and updates, with the reason (never silently dropped); <see cref="RefusalCount"/> counts them all.</summary>
    public required IReadOnlyList<RefusalRecord> Refusals { get; init; }

    public int RefusalCount { get; init; }

    /// <summary>SHA-256 of the worker's policy file the window ran under; null when no worker prepared it.</summary>
    public string? PolicyHash { get; init; }

    /// <summary>For a postponed window: the next start the policy allows (cadence, notice, freezes, blackouts).</summary>
    public DateTimeOffset? NextSlot { get; init; }

    /// <summary>How many times the window continued as new to keep its history bounded.</summary>
    public int Continuations { get; init; }

    public required IReadOnlyList<AcknowledgementRecord> Acknowledgements { get; init; }

    public required IReadOnlyList<CheckResult> PreChecks { get; init; }

    public VerificationSummary? Verification { get; init; }

    public required IReadOnlyList<StepRecord> Steps { get; init; }

    public required IReadOnlyList<CompensationRecord> Compensations { get; init; }

    /// <summary>Checks run after a rollback to confirm the system is back to its previous state.</summary>
    public required IReadOnlyList<CheckResult> RollbackVerification { get; init; }

    public required IReadOnlyList<NoticeRecord> Notices { get; init; }

    /// <summary>The last operator actions; <see cref="OperatorActionCount"/> counts them all.</summary>
    public required IReadOnlyList<OperatorAction> OperatorActions { get; init; }

    public int OperatorActionCount { get; init; }
}

public sealed record PhaseChange(WindowPhase Phase, DateTimeOffset At, string? Note);

public sealed record VoteRecord(ApprovalVote Vote, SignalChannel Via);

public sealed record RefusalRecord(string Handler, string? By, string Code, string Reason, DateTimeOffset At);

/// <param name="Abandoned">The operator abandoned a manual rollback step instead of doing it.</param>
public sealed record AcknowledgementRecord(string Item, string By, string? Note, DateTimeOffset At, SignalChannel Via, bool Abandoned = false);

/// <summary>Abort, pause, resume, extend and automatic overrun decisions, in order.</summary>
public sealed record OperatorAction(string Action, string By, string? Reason, DateTimeOffset At);

[JsonConverter(typeof(JsonStringEnumConverter<StepOutcome>))]
public enum StepOutcome
{
    Succeeded,
    Failed,
    Cancelled,
}

public sealed record StepRecord
{
    public required string StepId { get; init; }

    public required string Title { get; init; }

    public required string Type { get; init; }

    public required StepOutcome Outcome { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    public required DateTimeOffset FinishedAt { get; init; }

    /// <summary>What happened, for people (e.g. "prod: 39 -> 40", "exit 0").</summary>
    public required string Detail { get; init; }
}

[JsonConverter(typeof(JsonStringEnumConverter<CompensationOutcome>))]
public enum CompensationOutcome
{
    Undone,

    /// <summary>The compensation failed: this change is still in place and needs a human.</summary>
    Failed,

    /// <summary>The step never started (e.g. a manual step aborted before anyone acknowledged it): nothing to undo.</summary>
    NotNeeded,
}

public sealed record CompensationRecord
{
    public required string StepId { get; init; }

    public required string Description { get; init; }

    public required CompensationOutcome Outcome { get; init; }

    public required DateTimeOffset At { get; init; }

    public required string Detail { get; init; }
}

public sealed record NoticeRecord
{
    public required NoticeKind Kind { get; init; }

    public required DateTimeOffset At { get; init; }

    /// <summary>One entry per channel the policy routes this notice to: delivered, failed (with the error), not configured or skipped.</summary>
    public required IReadOnlyList<ChannelDelivery> Deliveries { get; init; }
}
