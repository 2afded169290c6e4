namespace MaintenanceWorkflows.Workflows.Plans;

/// <summary>
/// Everything the workflow needs for its timers and gates, derived from plan + policy + the time the
/// window was scheduled. Pure data: the workflow computes it once from its input and replays identically.
/// </summary>
public sealed record WindowSchedule
{
    public required DateTimeOffset ScheduledAt { get; init; }

    public required DateTimeOffset WindowStart { get; init; }

    public required DateTimeOffset WindowEnd { get; init; }

    /// <summary>The window does not start after this (start plus the type's grace, never after the end).</summary>
    public required DateTimeOffset LatestStart { get; init; }

    /// <summary>The pre-maintenance notice must reach every routed channel, or the window is held.</summary>
    public required bool NoticeRequired { get; init; }

    public required RollbackPolicy Rollback { get; init; }

    /// <summary>When the pre-maintenance notice goes out (never before <see cref="ScheduledAt"/>).</summary>
    public required DateTimeOffset NoticeAt { get; init; }

    /// <summary>True when the notice goes out at once (emergencies, or a notice time already reached).</summary>
    public required bool NoticeImmediately { get; init; }

    /// <summary>Reminder instants, ascending, all after the notice and before the start.</summary>
    public required IReadOnlyList<DateTimeOffset> Reminders { get; init; }

    public required DateTimeOffset ApprovalRequestAt { get; init; }

    /// <summary>Approvals must be complete by then, or the window is cancelled.</summary>
    public required DateTimeOffset ApprovalDeadline { get; init; }

    /// <summary>Escalate when approvals are still missing at this time; null when the policy sets no escalation.</summary>
    public DateTimeOffset? EscalationAt { get; init; }

    public required int RequiredApprovals { get; init; }

    /// <summary>Approver ids whose vote counts (requester excluded unless the policy allows self-approval).</summary>
    public required IReadOnlyList<string> EligibleApprovers { get; init; }

    /// <summary>Gates this plan triggers; each needs at least one approval from its list.</summary>
    public required IReadOnlyList<RequiredGate> Gates { get; init; }

    public required string Requester { get; init; }

    public required bool RequesterMayApprove { get; init; }

    /// <summary>Channel names per notice kind.</summary>
    public required IReadOnlyList<NoticeRoute> Routes { get; init; }

    public required OverrunPolicy Overrun { get; init; }

    public required VerificationSettings Verification { get; init; }

    public IReadOnlyList<string> ChannelsFor(NoticeKind kind) =>
        Routes.FirstOrDefault(r => r.Kind == kind)?.Channels ?? [];
}

public sealed record RequiredGate
{
    public required string Id { get; init; }

    public required IReadOnlyList<string> Approvers { get; init; }

    public required string Reason { get; init; }
}

public sealed record NoticeRoute
{
    public required NoticeKind Kind { get; init; }

    public required IReadOnlyList<string> Channels { get; init; }
}
