using MaintenanceWorkflows.Workflows.Plans;

namespace MaintenanceWorkflows.Workflows.Contracts;

/// <summary>
/// Run several checks in one activity (a verification round): one history entry per round instead of
/// one per check keeps a day-long soak far inside Temporal's history limits.
/// </summary>
/// <param name="Checks">
/// The plan's own check records, run concurrently: the YAML <c>type:</c> is their JSON discriminator, so a
/// check reads the same in the plan, in history and in the activity.
/// </param>
public sealed record RunChecksInput(IReadOnlyList<PlanCheck> Checks);

/// <param name="Results">One result per requested check, in the requested order; a check that could not run is red with the reason.</param>
public sealed record RunChecksResult(IReadOnlyList<CheckResult> Results);
