using MaintenanceWorkflows.Workflows.Plans;

namespace MaintenanceWorkflows.Workflows;

/// <summary>
/// What a waiting window hands to its next run when it continues as new (a long wait, or a flood of
/// signals, would otherwise grow one history towards Temporal's limits). Only pre-start state: the window
/// never continues as new once work has begun.
/// </summary>
public sealed record WindowCarry
{
    public required DateTimeOffset ScheduledAt { get; init; }

    /// <summary>The schedule as the first run derived it, so a later rule change cannot move this window's timers.</summary>
    public required WindowSchedule Schedule { get; init; }

    public required WindowPhase Phase { get; init; }

    public required DateTimeOffset PhaseSince { get; init; }

    public required DateTimeOffset WindowEnd { get; init; }

    public required bool NoticeSent { get; init; }

    public required int RemindersSent { get; init; }

    public required bool ApprovalEscalated { get; init; }

    public required bool Paused { get; init; }

    public required int Continuations { get; init; }

    public required IReadOnlyList<PhaseChange> Phases { get; init; }

    public required IReadOnlyList<VoteRecord> Votes { get; init; }

    public required IReadOnlyList<RefusalRecord> Refusals { get; init; }

    public required int RefusalCount { get; init; }

    public required IReadOnlyList<AcknowledgementRecord> Acknowledgements { get; init; }

    public required IReadOnlyList<NoticeRecord> Notices { get; init; }

    public required IReadOnlyList<OperatorAction> OperatorActions { get; init; }
}
