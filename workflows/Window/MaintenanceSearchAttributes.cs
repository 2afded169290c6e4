using MaintenanceWorkflows.Workflows.Plans;
using Temporalio.Common;

namespace MaintenanceWorkflows.Workflows;

/// <summary>
/// Custom search attributes of a maintenance window, for `starter list`, the calendar and the Temporal
/// UI's filters. They must be registered on the namespace (the worker does it on start; docker-compose
/// does it with the admin tools).
/// </summary>
public static class MaintenanceSearchAttributes
{
    public static SearchAttributeKey<string> Phase { get; } = SearchAttributeKey.CreateKeyword("Phase");

    public static SearchAttributeKey<string> PlanId { get; } = SearchAttributeKey.CreateKeyword("PlanId");

    public static SearchAttributeKey<string> MaintenanceType { get; } = SearchAttributeKey.CreateKeyword("MaintenanceType");

    public static SearchAttributeKey<DateTimeOffset> WindowStart { get; } = SearchAttributeKey.CreateDateTimeOffset("WindowStart");

    public static SearchAttributeKey<DateTimeOffset> WindowEnd { get; } = SearchAttributeKey.CreateDateTimeOffset("WindowEnd");

    public static SearchAttributeKey<IReadOnlyCollection<string>> AffectedSystems { get; } = SearchAttributeKey.CreateKeywordList("AffectedSystems");

    public static IReadOnlyList<SearchAttributeKey> All { get; } = [Phase, PlanId, MaintenanceType, WindowStart, WindowEnd, AffectedSystems];

    /// <summary>The attributes a window starts with; the workflow keeps Phase and WindowEnd current.</summary>
    public static SearchAttributeCollection For(MaintenancePlan plan, WindowPhase phase)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return new SearchAttributeCollection.Builder()
            .Set(Phase, phase.ToString())
            .Set(PlanId, plan.Id)
            .Set(MaintenanceType, plan.Type.ToString())
            .Set(WindowStart, plan.Window.Start)
            .Set(WindowEnd, plan.Window.End)
            .Set(AffectedSystems, plan.Systems.Select(s => s.Name).ToList())
            .ToSearchAttributeCollection();
    }
}
