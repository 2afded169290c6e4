using MaintenanceWorkflows.Workflows.Governance;

namespace MaintenanceWorkflows.Workflows;

/// <summary>
/// What a waiting window hands to its next run when it continues as new (a long wait, or a flood of
/// signals, would otherwise grow one history towards Temporal's limits). Only pre-start state: the window
/// never continues as new once work has begun. Honoured only in a run Temporal started by continue-as-new,
/// so a client cannot start a window with a forged carry.
/// </summary>
public sealed record WindowCarry
{
    /// <summary>The window's first run: proof codes are bound to it, so codes mailed earlier stay valid.</summary>
    public required string FirstRunId { get; init; }

    public required DateTimeOffset ScheduledAt { get; init; }

    /// <summary>The worker's policy, its hash, the violations and the schedule as the first run recorded them; nothing is derived again.</summary>
    public required PreparedWindow Prepared { get; init; }

    public required bool RequesterConfirmed { get; init; }

    public required WindowPhase Phase { get; init; }

    public required DateTimeOffset PhaseSince { get; init; }

    public required DateTimeOffset WindowEnd { get; init; }

    public required int ExtensionsUsed { get; init; }

    public required bool NoticeSent { get; init; }

    public required int RemindersSent { get; init; }

    public required bool ApprovalEscalated { get; init; }

    public required bool Paused { get; init; }

    public string? AbortReason { get; init; }

    public string? AbortedBy { get; init; }

    public required int Continuations { get; init; }

    public required IReadOnlyList<PhaseChange> Phases { get; init; }

    public required IReadOnlyList<VoteRecord> Votes { get; init; }

    public required IReadOnlyList<RefusalRecord> Refusals { get; init; }

    public required int RefusalCount { get; init; }

    public required IReadOnlyList<AcknowledgementRecord> Acknowledgements { get; init; }

    public required IReadOnlyList<NoticeRecord> Notices { get; init; }

    public required IReadOnlyList<OperatorAction> OperatorActions { get; init; }

    public required int OperatorActionCount { get; init; }
}
