using MaintenanceWorkflows.Workflows.Plans;

namespace MaintenanceWorkflows.Workflows;

/// <summary>
/// Start argument of <see cref="MaintenanceWindowWorkflow"/>: the plan only. The policy is the worker's own,
/// recorded by the window's first activity (a policy a client sends along is ignored).
/// </summary>
public sealed record MaintenanceWindowInput
{
    public required MaintenancePlan Plan { get; init; }

    /// <summary>Who scheduled it (the starter's operator); informational.</summary>
    public string? ScheduledBy { get; init; }

    /// <summary>Set only when the window continues as new: what the previous run knew. Never set by clients.</summary>
    public WindowCarry? Carried { get; init; }

    public static string WorkflowIdFor(string planId) => $"maint-{planId}";
}
