using MaintenanceWorkflows.Workflows.Plans;

namespace MaintenanceWorkflows.Workflows;

/// <summary>
/// Start argument of <see cref="MaintenanceWindowWorkflow"/>: the plan and the policy in force when it
/// was scheduled, so the history records exactly which rules applied.
/// </summary>
public sealed record MaintenanceWindowInput
{
    public required MaintenancePlan Plan { get; init; }

    public required MaintenancePolicy Policy { get; init; }

    /// <summary>Who scheduled it (the starter's operator); informational.</summary>
    public string? ScheduledBy { get; init; }

    /// <summary>Set only when the window continues as new: what the previous run knew. Never set by clients.</summary>
    public WindowCarry? Carried { get; init; }

    public static string WorkflowIdFor(string planId) => $"maint-{planId}";
}
