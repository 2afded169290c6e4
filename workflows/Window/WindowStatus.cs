using System.Text.Json.Serialization;
using MaintenanceWorkflows.Workflows.Plans;

namespace MaintenanceWorkflows.Workflows;

/// <summary>Answer of the <c>Status</c> query: what the window is doing and what it waits for.</summary>
public sealed record WindowStatus
{
    public required string PlanId { get; init; }

    public required string Title { get; init; }

    public required MaintenanceType Type { get; init; }

    public required WindowPhase Phase { get; init; }

    public required DateTimeOffset PhaseSince { get; init; }

    public required DateTimeOffset WindowStart { get; init; }

    public required DateTimeOffset WindowEnd { get; init; }

    public required string TimeZone { get; init; }

    /// <summary>The next thing the window waits for and when, e.g. "approval deadline" at 01:00 UTC.</summary>
    public Deadline? NextDeadline { get; init; }

    public required ApprovalStatus Approvals { get; init; }

    public required IReadOnlyList<string> EligibleApprovers { get; init; }

    public required IReadOnlyList<ChecklistItemStatus> Checklist { get; init; }

    public required IReadOnlyList<StepStatus> Steps { get; init; }

    public required bool Paused { get; init; }

    /// <summary>What the window is blocked on right now, for people ("acknowledgement of step 'submit-form'").</summary>
    public string? WaitingFor { get; init; }

    public RefusalRecord? LastRefusal { get; init; }

    /// <summary>SHA-256 of the worker's policy file the window runs under; null until the worker has prepared the window.</summary>
    public string? PolicyHash { get; init; }

    /// <summary>Refused signals and updates so far (only the last few are kept in full).</summary>
    public int RefusalCount { get; init; }

    /// <summary>The latest refusals in full, oldest first (at most <see cref="MaintenanceWindowWorkflow.KeepLast"/>), as the report lists them.</summary>
    public IReadOnlyList<RefusalRecord> Refusals { get; init; } = [];

    /// <summary>The rollout step running now, as its last report said; null when no rollout runs.</summary>
    public WindowRolloutProgress? Rollout { get; init; }
}

/// <summary>A rollout step's last report to its window.</summary>
public sealed record WindowRolloutProgress
{
    public required string StepId { get; init; }

    /// <summary>"batch 2 (2 of 4): 20/200 done, 1 failed, 179 pending, budget 3 left".</summary>
    public required string Line { get; init; }

    /// <summary>The same as numbers; null when the rollout was recorded before it sent them.</summary>
    public Rollout.RolloutSnapshot? Snapshot { get; init; }
}

public sealed record Deadline(string What, DateTimeOffset At);

public sealed record ChecklistItemStatus
{
    public required string Id { get; init; }

    public required string Text { get; init; }

    public required ChecklistPhase Phase { get; init; }

    public required bool Blocking { get; init; }

    /// <summary>Id of the check that ticks it; null for items a person acknowledges.</summary>
    public string? Check { get; init; }

    public required bool Done { get; init; }

    public string? By { get; init; }

    public DateTimeOffset? At { get; init; }
}

[JsonConverter(typeof(JsonStringEnumConverter<StepState>))]
public enum StepState
{
    Pending,
    Running,
    WaitingForAcknowledgement,
    Succeeded,
    Failed,
    Cancelled,
    Undone,
    UndoFailed,
}

public sealed record StepStatus(string Id, string Title, string Type, StepState State);
