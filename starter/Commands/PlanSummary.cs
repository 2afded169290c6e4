using MaintenanceWorkflows.Workflows.Plans;

namespace MaintenanceWorkflows.Starter.Commands;

/// <summary>The few lines an operator wants to see about a valid plan: when, who approves, what runs.</summary>
public static class PlanSummary
{
    public static void Write(TextWriter output, MaintenancePlan plan, WindowSchedule schedule)
    {
        var zone = plan.Window.TimeZone;
        output.WriteLine($"  {plan.Id}: {plan.Title} ({plan.Type.ToString().ToLowerInvariant()}, priority {plan.Priority.ToString().ToLowerInvariant()})");
        output.WriteLine($"  window:    {ZoneMath.FormatUtc(plan.Window.Start)} - {ZoneMath.FormatUtc(plan.Window.End)}  |  {ZoneMath.FormatLocal(plan.Window.Start, zone)} - {ZoneMath.FormatLocal(plan.Window.End, zone)}");
        output.WriteLine($"  notice:    {(schedule.NoticeImmediately ? "at once" : ZoneMath.FormatUtc(schedule.NoticeAt))} on {Join(schedule.ChannelsFor(NoticeKind.PreMaintenance))}");
        if (schedule.Reminders.Count > 0)
        {
            output.WriteLine($"  reminders: {string.Join(", ", schedule.Reminders.Select(ZoneMath.FormatUtc))}");
        }

        output.WriteLine($"  approval:  {schedule.RequiredApprovals} of {Join(schedule.EligibleApprovers)} by {ZoneMath.FormatUtc(schedule.ApprovalDeadline)}{(schedule.EscalationAt is { } e ? $", escalate at {ZoneMath.FormatUtc(e)}" : string.Empty)}");
        foreach (var gate in schedule.Gates)
        {
            output.WriteLine($"  gate:      {gate.Id}: {string.Join(" or ", gate.Approvers)}");
        }

        var withRollback = plan.Steps.Count(s => s.HasCompensation);
        output.WriteLine($"  steps:     {plan.Steps.Count} ({withRollback} with rollback): {string.Join(", ", plan.Steps.Select(s => s.Id))}");
        foreach (var rollout in plan.Steps.OfType<RolloutStep>())
        {
            output.WriteLine($"  rollout:   {RolloutLine(rollout)}");
        }
        output.WriteLine($"  checks:    {plan.Checks.Count(c => c.RunsPre)} pre, {plan.Checks.Count(c => c.RunsVerify)} verify; soak {YamlValues.FormatDuration(schedule.Verification.Soak)} every {YamlValues.FormatDuration(schedule.Verification.Interval)}");
        output.WriteLine($"  checklist: {plan.Checklist.Count} items ({plan.Checklist.Count(i => !i.IsAutomated)} manual, {plan.Checklist.Count(i => i.Blocking)} blocking)");
    }

    /// <summary>The rollout's waves as they will run (inline hosts), or what the worker will resolve (a named fleet).</summary>
    private static string RolloutLine(RolloutStep rollout)
    {
        var strategy = rollout.Strategy;
        var rules = $"budget {strategy.MaxFailedHosts} failed, onFailure {YamlValues.EnumName(strategy.OnFailure)}" +
            (strategy.Pause is { } pause ? $", {(pause.Approval ? "continue gate" : $"pause {YamlValues.FormatDuration(pause.Duration!.Value)}")} after {(pause.After == PauseAfter.Canary ? "the canary" : "each batch")}" : string.Empty);
        if (rollout.Fleet is { } fleet)
        {
            return $"{rollout.Id}: fleet '{fleet}' (resolved by the worker); {rules}";
        }
        var hosts = RolloutRules.ExpandHosts(rollout.Hosts, new List<string>());
        var waves = RolloutRules.PlanWaves(hosts.Count, strategy);
        return $"{rollout.Id}: {hosts.Count} host(s) in {waves.Count} wave(s) ({string.Join(", ", waves.Select(w => $"{w.Name} {w.Count}"))}); {rules}";
    }

    private static string Join(IReadOnlyList<string> items) => items.Count == 0 ? "(none)" : string.Join(", ", items);
}
