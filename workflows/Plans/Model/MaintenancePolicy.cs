using System.Text.Json.Serialization;

namespace MaintenanceWorkflows.Workflows.Plans;

/// <summary>
/// The organisation's rules every plan is checked against (one YAML file). A snapshot travels with the
/// workflow so its history records which policy applied.
/// </summary>
public sealed record MaintenancePolicy
{
    public required OrganizationInfo Organization { get; init; }

    /// <summary>IANA zone of the cadence and of blackouts that do not name their own.</summary>
    public required string TimeZone { get; init; }

    /// <summary>Slots routine windows must fit in (seed 004: Tue/Thu 02:00-04:00 Pacific).</summary>
    public IReadOnlyList<CadenceSlot> Cadence { get; init; } = [];

    public required TypePolicies Types { get; init; }

    /// <summary>Named notice channels; the worker resolves each name to an address, webhook or page.</summary>
    public IReadOnlyList<ChannelDefinition> Channels { get; init; } = [];

    public required ApprovalPolicy Approvals { get; init; }

    public IReadOnlyList<FreezePeriod> Freezes { get; init; } = [];

    /// <summary>Recurring jobs a window must not overlap (backups, billing, provisioning...).</summary>
    public IReadOnlyList<BlackoutJob> Blackouts { get; init; } = [];

    public IReadOnlyList<IncidentLevel> IncidentLevels { get; init; } = [];

    /// <summary>Who patches what, and what patching it takes (seed 003).</summary>
    public IReadOnlyList<ComponentOwnership> Ownership { get; init; } = [];

    public OverrunPolicy Overrun { get; init; } = new();

    public VerificationSettings Verification { get; init; } = new() { Soak = TimeSpan.FromMinutes(10), Interval = TimeSpan.FromMinutes(1) };

    /// <summary>How long a rollback may take and how often a stuck one is escalated.</summary>
    public RollbackPolicy Rollback { get; init; } = new();
}

/// <summary>A rollback always ends: by its deadline every change is either undone or named in a P1 escalation.</summary>
public sealed record RollbackPolicy
{
    /// <summary>From the start of the rollback until what is still not undone is handed to people (window ends Failed).</summary>
    public TimeSpan Deadline { get; init; } = TimeSpan.FromHours(2);

    /// <summary>A compensation or manual rollback step still unfinished is escalated this often.</summary>
    public TimeSpan EscalateEvery { get; init; } = TimeSpan.FromMinutes(15);
}

public sealed record OrganizationInfo
{
    public required string Name { get; init; }

    /// <summary>Signature on notices (seed 000: "Duck Galaxy Ops").</summary>
    public required string Sender { get; init; }

    public string? SenderTitle { get; init; }

    public string? StatusPageUrl { get; init; }

    public string? SupportEmail { get; init; }

    public string? AuditTrailUrl { get; init; }
}

/// <summary>
/// Slots in one of two forms, in local time in the policy zone: weekdays with a start and end
/// (<see cref="Days"/>, <see cref="Start"/>, <see cref="End"/>), or a cron expression giving the starts and a
/// <see cref="Duration"/>. The loader and <see cref="PolicyRules"/> reject a slot that mixes or lacks both.
/// </summary>
public sealed record CadenceSlot
{
    public IReadOnlyList<Weekday> Days { get; init; } = [];

    /// <summary>Local start in the policy zone.</summary>
    public TimeOnly? Start { get; init; }

    /// <summary>Local end; earlier than <see cref="Start"/> means the slot runs past midnight.</summary>
    public TimeOnly? End { get; init; }

    /// <summary>Standard five-field cron expression whose firings are the slots' local starts, e.g. "0 2 * * TUE,THU".</summary>
    public string? Cron { get; init; }

    /// <summary>Wall-clock length of a cron slot: 2h from 01:30 ends at 03:30 local even on a DST night, as a day/time slot does.</summary>
    public TimeSpan? Duration { get; init; }
}

public sealed record TypePolicies
{
    public required TypePolicy Routine { get; init; }

    public required TypePolicy Urgent { get; init; }

    public required TypePolicy Emergency { get; init; }

    public TypePolicy For(MaintenanceType type) => type switch
    {
        MaintenanceType.Routine => Routine,
        MaintenanceType.Urgent => Urgent,
        MaintenanceType.Emergency => Emergency,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "unknown maintenance type"),
    };
}

public sealed record TypePolicy
{
    public static readonly TimeSpan DefaultStartGrace = TimeSpan.FromMinutes(30);

    /// <summary>Minimum time between the pre-maintenance notice and the window start.</summary>
    public required TimeSpan Notice { get; init; }

    /// <summary>Channel names that carry this type's customer-facing notices.</summary>
    public IReadOnlyList<string> Channels { get; init; } = [];

    /// <summary>Use every channel the policy defines (emergencies).</summary>
    public bool AllChannels { get; init; }

    /// <summary>Whether windows of this type must fit the cadence.</summary>
    public bool RequiresCadence { get; init; }

    /// <summary>Reminders sent this long before the start (skipped when they would fall before the notice).</summary>
    public IReadOnlyList<TimeSpan> Reminders { get; init; } = [];

    /// <summary>Longest window allowed; null means no limit.</summary>
    public TimeSpan? MaxDuration { get; init; }

    /// <summary>
    /// How late after its planned start a window may still begin (e.g. after a worker outage); past the
    /// latest start it is postponed and a new slot proposed, so no change runs hours late.
    /// </summary>
    public TimeSpan StartGrace { get; init; } = DefaultStartGrace;

    /// <summary>
    /// Whether the pre-maintenance notice is a gate: when it could not be delivered on every channel it is
    /// routed to, the window is held (postponed and escalated) instead of running unannounced. Only
    /// types with a notice period are held.
    /// </summary>
    public bool NoticeRequired { get; init; } = true;

    public required TypeApprovalRule Approval { get; init; }
}

public sealed record TypeApprovalRule
{
    public required int Required { get; init; }

    /// <summary>Approver ids allowed to approve this type; empty means every approver in the policy.</summary>
    public IReadOnlyList<string> Approvers { get; init; } = [];

    /// <summary>Approvals must be in this long before the start.</summary>
    public TimeSpan? DeadlineBeforeStart { get; init; }

    /// <summary>Alternatively, this long after the request went out (emergencies, whose start is "now").</summary>
    public TimeSpan? DeadlineAfterRequest { get; init; }

    /// <summary>Escalate when approvals are still missing this long after the request.</summary>
    public TimeSpan? EscalateAfter { get; init; }

    /// <summary>What a vote must carry; <see cref="ProofMode.Code"/> unless the policy turns it off for this type.</summary>
    public ProofMode Proof { get; init; } = ProofMode.Code;
}

public sealed record ChannelDefinition
{
    public required string Name { get; init; }

    public required ChannelKind Kind { get; init; }

    /// <summary>Who reads this channel, e.g. customers, ops, approvers.</summary>
    public string? Audience { get; init; }
}

public sealed record Approver
{
    public required string Id { get; init; }

    public string? Name { get; init; }

    public string? Email { get; init; }

    public IReadOnlyList<string> Roles { get; init; } = [];
}

public sealed record ApprovalPolicy
{
    public IReadOnlyList<Approver> Approvers { get; init; } = [];

    /// <summary>
    /// People who may steer a running window (abort, pause, resume, extend, acknowledge) besides the
    /// approvers; a steering signal from any other name is refused.
    /// </summary>
    public IReadOnlyList<Approver> Operators { get; init; } = [];

    /// <summary>Seed practice: nobody approves their own window.</summary>
    public bool RequesterMayApprove { get; init; }

    /// <summary>
    /// Votes count only once the plan's requester confirmed the request with their own code, so naming someone
    /// else as requester (to approve one's own change) does not work: that person would have to confirm it.
    /// </summary>
    public bool RequesterConfirms { get; init; }

    /// <summary>Extra approvals a kind of step always needs (seed 001: every alias promotion needs T-JOSH).</summary>
    public IReadOnlyList<ApprovalGate> Gates { get; init; } = [];

    /// <summary>Channels that carry approval requests.</summary>
    public IReadOnlyList<string> Channels { get; init; } = [];

    /// <summary>Channels that carry escalations.</summary>
    public IReadOnlyList<string> EscalationChannels { get; init; } = [];

    /// <summary>Who escalations address (a role or a person).</summary>
    public string? EscalateTo { get; init; }
}

public sealed record ApprovalGate
{
    public required string Id { get; init; }

    /// <summary>Step type that triggers the gate, e.g. lambda.promote.</summary>
    public required string StepType { get; init; }

    /// <summary>At least one of these must approve.</summary>
    public required IReadOnlyList<string> Approvers { get; init; }

    public string? Reason { get; init; }
}

public sealed record FreezePeriod
{
    public required string Id { get; init; }

    public required DateTimeOffset Start { get; init; }

    public required DateTimeOffset End { get; init; }

    public required string Reason { get; init; }

    /// <summary>Types the freeze blocks; emergencies are exempt unless listed.</summary>
    public IReadOnlyList<MaintenanceType> AppliesTo { get; init; } = [MaintenanceType.Routine, MaintenanceType.Urgent];

    /// <summary>Approvers who may lift the freeze for one window.</summary>
    public IReadOnlyList<string> OverrideApprovers { get; init; } = [];
}

/// <summary>A recurring job in local wall-clock time; its instants are computed per day so DST is honoured.</summary>
public sealed record BlackoutJob
{
    public required string Id { get; init; }

    public required string Job { get; init; }

    /// <summary>Weekdays it runs on; empty with no <see cref="DaysOfMonth"/> means every day.</summary>
    public IReadOnlyList<Weekday> Days { get; init; } = [];

    /// <summary>Days of the month it runs on (billing on the 1st).</summary>
    public IReadOnlyList<int> DaysOfMonth { get; init; } = [];

    public required TimeOnly Start { get; init; }

    /// <summary>Earlier than <see cref="Start"/> means the job runs past midnight.</summary>
    public required TimeOnly End { get; init; }

    /// <summary>IANA zone of the job's clock; null means the policy's zone.</summary>
    public string? TimeZone { get; init; }

    /// <summary>Only plans touching one of these systems conflict; empty means every plan.</summary>
    public IReadOnlyList<string> Systems { get; init; } = [];
}

public sealed record IncidentLevel
{
    /// <summary>P1..P4.</summary>
    public required string Level { get; init; }

    public required string Definition { get; init; }

    /// <summary>As people say it ("15 min", "Next sprint").</summary>
    public required string ResponseTime { get; init; }

    public TimeSpan? RespondWithin { get; init; }

    public required string Escalation { get; init; }
}

public sealed record ComponentOwnership
{
    public required string Component { get; init; }

    public required string Owner { get; init; }

    public PatchMode Patching { get; init; } = PatchMode.Restart;

    public string? Notes { get; init; }
}

public sealed record OverrunPolicy
{
    public OverrunAction Action { get; init; } = OverrunAction.Extend;

    public TimeSpan Extension { get; init; } = TimeSpan.FromMinutes(30);

    public int MaxExtensions { get; init; } = 1;
}
