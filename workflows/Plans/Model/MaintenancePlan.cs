using System.Text.Json.Serialization;

namespace MaintenanceWorkflows.Workflows.Plans;

/// <summary>
/// One maintenance window as an operator writes it (one YAML file). It travels as the workflow input,
/// so it names channels and targets and never carries a secret.
/// </summary>
public sealed record MaintenancePlan
{
    /// <summary>Slug (a-z, 0-9, '-'); the workflow id is derived from it.</summary>
    public required string Id { get; init; }

    public required string Title { get; init; }

    public required MaintenanceType Type { get; init; }

    public MaintenancePriority Priority { get; init; } = MaintenancePriority.Medium;

    public required MaintenanceWindow Window { get; init; }

    /// <summary>Who asks for the window; by default they may not approve it.</summary>
    public required string Requester { get; init; }

    /// <summary>What is being changed, in a sentence or two (the notices' "Scope").</summary>
    public required string Scope { get; init; }

    /// <summary>Why (seed 004's "Reason").</summary>
    public string? Reason { get; init; }

    /// <summary>Change list for the completion notice ("Changes deployed").</summary>
    public IReadOnlyList<string> Changes { get; init; } = [];

    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>Incident this window responds to (required for emergencies).</summary>
    public IncidentReference? Incident { get; init; }

    public required ImpactAssessment Impact { get; init; }

    public IReadOnlyList<AffectedSystem> Systems { get; init; } = [];

    /// <summary>Grouped descriptions of the work (seed 002's "Maintenance activities" and "Technical details").</summary>
    public IReadOnlyList<ActivityGroup> Activities { get; init; } = [];

    public IReadOnlyList<PlanStep> Steps { get; init; } = [];

    public IReadOnlyList<PlanCheck> Checks { get; init; } = [];

    public RollbackPlan Rollback { get; init; } = new();

    /// <summary>Soak settings; null means the policy's defaults.</summary>
    public VerificationSettings? Verification { get; init; }

    public NoticeSettings Notify { get; init; } = new();

    public ContactInfo Contacts { get; init; } = new();

    public IReadOnlyList<ChecklistItem> Checklist { get; init; } = [];

    public IReadOnlyList<ResourceLink> Resources { get; init; } = [];

    /// <summary>Explicit, approved override of a change freeze (seed 001: "overridden with T-JOSH approval").</summary>
    public FreezeOverride? FreezeOverride { get; init; }
}

/// <summary>Start and end as instants (with the offset in force) plus the IANA zone the window is announced in.</summary>
public sealed record MaintenanceWindow
{
    public required DateTimeOffset Start { get; init; }

    public required DateTimeOffset End { get; init; }

    /// <summary>IANA zone id, e.g. America/Los_Angeles; local times in notices use it.</summary>
    public required string TimeZone { get; init; }

    [JsonIgnore]
    public TimeSpan Duration => End - Start;
}

public sealed record IncidentReference
{
    /// <summary>Incident level as the policy names it (P1..P4).</summary>
    public required string Level { get; init; }

    public string? Id { get; init; }

    public string? Summary { get; init; }
}

public sealed record ImpactAssessment
{
    /// <summary>Expected impact in a sentence (seed 000's "Impact assessment").</summary>
    public required string Summary { get; init; }

    /// <summary>True when users lose service; must be true when a touched component patches with shutdown.</summary>
    public bool Downtime { get; init; }

    public TimeSpan? ExpectedDowntime { get; init; }

    /// <summary>Impact level for API endpoints (seed 002).</summary>
    public string? Api { get; init; }

    public string? Web { get; init; }

    public string? Background { get; init; }

    /// <summary>Brief service interruptions (seed 002's "INTERRUPTION_DETAILS").</summary>
    public string? Interruptions { get; init; }

    public IReadOnlyList<string> WhatToExpect { get; init; } = [];

    public IReadOnlyList<string> UserActions { get; init; } = [];

    /// <summary>What stakeholders should do before, during and after (seed 002's preparation checklist).</summary>
    public PreparationChecklist Preparation { get; init; } = new();
}

public sealed record PreparationChecklist
{
    public IReadOnlyList<string> Before { get; init; } = [];

    public IReadOnlyList<string> During { get; init; } = [];

    public IReadOnlyList<string> After { get; init; } = [];
}

public sealed record AffectedSystem
{
    public required string Name { get; init; }

    /// <summary>Owning team; when the policy's ownership list names the component, they must agree.</summary>
    public string? Team { get; init; }

    public SystemRole Role { get; init; } = SystemRole.Primary;
}

public sealed record ActivityGroup
{
    public required string Category { get; init; }

    public IReadOnlyList<string> Items { get; init; } = [];
}

public sealed record RollbackPlan
{
    public TimeSpan? EstimatedDuration { get; init; }

    /// <summary>Human-readable rollback procedures for the notices; the executable ones are the steps' rollbacks.</summary>
    public IReadOnlyList<string> Procedures { get; init; } = [];

    public RollbackTriggers Triggers { get; init; } = new();
}

/// <summary>Thresholds measured during the soak; crossing any of them rolls the window back.</summary>
public sealed record RollbackTriggers
{
    /// <summary>Roll back when the share of successful verify probes drops below this percentage.</summary>
    public double? AvailabilityBelowPercent { get; init; }

    /// <summary>Roll back when the share of failed verify probes exceeds this percentage.</summary>
    public double? ErrorRateAbovePercent { get; init; }

    /// <summary>Roll back when the probe latency at <see cref="LatencyPercentile"/> exceeds this.</summary>
    public TimeSpan? LatencyAbove { get; init; }

    public int LatencyPercentile { get; init; } = 95;

    /// <summary>Roll back when any blocking verify check fails this many times in a row.</summary>
    public int BlockingCheckFailures { get; init; } = 1;

    /// <summary>Triggers a human judges (e.g. "critical security incident during maintenance").</summary>
    public IReadOnlyList<string> Manual { get; init; } = [];
}

public sealed record VerificationSettings
{
    /// <summary>How long verify checks are repeated after the steps.</summary>
    public required TimeSpan Soak { get; init; }

    public required TimeSpan Interval { get; init; }
}

public sealed record NoticeSettings
{
    /// <summary>Channel names (defined in the policy) added to the type's channels.</summary>
    public IReadOnlyList<string> Channels { get; init; } = [];

    /// <summary>Who the notices address, e.g. "customers", "stakeholders".</summary>
    public IReadOnlyList<string> Audiences { get; init; } = [];

    public string? StatusPageUrl { get; init; }

    public string? DashboardUrl { get; init; }

    /// <summary>Chat channel people follow for updates, as shown to them (e.g. #maintenance).</summary>
    public string? ChatChannel { get; init; }

    public string? AuditTrailUrl { get; init; }
}

public sealed record Contact
{
    public required string Name { get; init; }

    public string? Email { get; init; }

    public string? Phone { get; init; }
}

public sealed record TeamMember
{
    public required string Role { get; init; }

    public required string Name { get; init; }
}

public sealed record EscalationInfo
{
    /// <summary>Unresolved issues go to <see cref="To"/> after this long.</summary>
    public TimeSpan? After { get; init; }

    public string? To { get; init; }

    /// <summary>Who is told at once on critical issues (seed 002: CTO).</summary>
    public string? Critical { get; init; }

    /// <summary>Post-maintenance review within this long.</summary>
    public TimeSpan? ReviewWithin { get; init; }
}

public sealed record ContactInfo
{
    public Contact? Primary { get; init; }

    public Contact? Secondary { get; init; }

    public Contact? Emergency { get; init; }

    public string? SupportEmail { get; init; }

    public string? SupportPhone { get; init; }

    public string? OnCall { get; init; }

    public string? EmergencyHotline { get; init; }

    public IReadOnlyList<TeamMember> Team { get; init; } = [];

    public EscalationInfo Escalation { get; init; } = new();
}

public sealed record ChecklistItem
{
    public required string Id { get; init; }

    public required string Text { get; init; }

    public required ChecklistPhase Phase { get; init; }

    /// <summary>Id of the check that ticks this item; null means an operator acknowledges it by signal.</summary>
    public string? Check { get; init; }

    /// <summary>A blocking item must be done before the window moves past its phase.</summary>
    public bool Blocking { get; init; } = true;

    public string? Owner { get; init; }

    [JsonIgnore]
    public bool IsAutomated => Check is not null;
}

public sealed record ResourceLink
{
    public required string Title { get; init; }

    public required string Url { get; init; }
}

public sealed record FreezeOverride
{
    /// <summary>Id of the policy freeze being overridden.</summary>
    public required string Freeze { get; init; }

    /// <summary>Who must approve the override; must be one of the freeze's override approvers.</summary>
    public required string Approver { get; init; }

    public required string Reason { get; init; }
}
