namespace MaintenanceWorkflows.Workflows.Plans;

/// <summary>
/// What only the running window knows when a notice goes out; the plan and policy supply the rest.
/// Every field is optional so one record serves every notice kind.
/// </summary>
public sealed record NoticeFacts
{
    /// <summary>When the notice was produced (workflow time).</summary>
    public DateTimeOffset? At { get; init; }

    public DateTimeOffset? StartedAt { get; init; }

    public DateTimeOffset? CompletedAt { get; init; }

    /// <summary>Actual duration of the work.</summary>
    public TimeSpan? Duration { get; init; }

    /// <summary>Why the window was postponed, cancelled, rolled back or escalated.</summary>
    public string? Reason { get; init; }

    /// <summary>New end after an extension.</summary>
    public DateTimeOffset? NewEnd { get; init; }

    /// <summary>New start after a postponement, when one is known.</summary>
    public DateTimeOffset? NewStart { get; init; }

    /// <summary>Post-deploy verification (completion) or rollback verification results.</summary>
    public IReadOnlyList<VerificationLine> Verification { get; init; } = [];

    /// <summary>Steps that were undone during a rollback, in the order they were undone.</summary>
    public IReadOnlyList<string> RolledBack { get; init; } = [];

    /// <summary>Compensations that failed: what could not be undone and needs a human.</summary>
    public IReadOnlyList<string> NotUndone { get; init; } = [];

    /// <summary>Approvals recorded so far (approval request / escalation).</summary>
    public IReadOnlyList<string> ApprovedBy { get; init; } = [];

    /// <summary>Approvals still needed (approval request / escalation).</summary>
    public int? ApprovalsMissing { get; init; }

    public DateTimeOffset? ApprovalDeadline { get; init; }

    /// <summary>Number of the reminder (1-based) for reminder notices.</summary>
    public int? ReminderNumber { get; init; }

    /// <summary>Where a rollout stands (progress notices).</summary>
    public RolloutNoticeFacts? Rollout { get; init; }
}

/// <summary>A rollout wave that just started, for the progress notice ("patching 3 of 8 hosts").</summary>
public sealed record RolloutNoticeFacts
{
    /// <summary>The rollout step's title.</summary>
    public required string Step { get; init; }

    public required int Wave { get; init; }

    public required int Waves { get; init; }

    public required string WaveName { get; init; }

    /// <summary>Hosts being patched in this wave.</summary>
    public required int WaveHosts { get; init; }

    public required int Hosts { get; init; }

    /// <summary>Hosts patched and verified before this wave.</summary>
    public required int Done { get; init; }

    public required int Failed { get; init; }
}

public sealed record VerificationLine
{
    public required string Name { get; init; }

    public required bool Passed { get; init; }

    public string? Detail { get; init; }
}
