namespace MaintenanceWorkflows.Workflows.Plans;

/// <summary>
/// What a notice needs from the policy, and the window's schedule as the workflow holds it: the notice
/// renders the organisation, the plan's incident level, the verification defaults, the escalation contact
/// and the approval facts, and is delivered by channel definitions. The rest of the policy (approvers,
/// gates, freezes, cadence, types) stays out of every notice's input.
/// </summary>
public sealed record NoticePolicy
{
    public required OrganizationInfo Organization { get; init; }

    /// <summary>The policy's definition of the plan's incident level; null when the plan names none (or one the policy lacks).</summary>
    public IncidentLevel? IncidentLevel { get; init; }

    /// <summary>The policy's verification soak and interval, which a plan without its own uses.</summary>
    public required VerificationSettings Verification { get; init; }

    public string? EscalateTo { get; init; }

    public IReadOnlyList<ChannelDefinition> Channels { get; init; } = [];

    /// <summary>The window's schedule (approvals, deadline, gates), never derived again from another time.</summary>
    public required WindowSchedule Schedule { get; init; }

    public static NoticePolicy For(MaintenancePlan plan, MaintenancePolicy policy, WindowSchedule schedule)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(schedule);
        return new NoticePolicy
        {
            Organization = policy.Organization,
            IncidentLevel = plan.Incident is null
                ? null
                : policy.IncidentLevels.FirstOrDefault(l => string.Equals(l.Level, plan.Incident.Level, StringComparison.OrdinalIgnoreCase)),
            Verification = policy.Verification,
            EscalateTo = policy.Approvals.EscalateTo,
            Channels = policy.Channels,
            Schedule = schedule,
        };
    }
}
