using System.CommandLine;
using MaintenanceWorkflows.Starter.Calendar;
using MaintenanceWorkflows.Workflows.Plans;

namespace MaintenanceWorkflows.Starter.Commands;

/// <summary>`starter slots [--next N] [--policy FILE] [--plan FILE] [--now T]`: the next routine windows the cadence allows, freezes and blackouts skipped.</summary>
public static class SlotsCommand
{
    public const int DefaultCount = 5;

    public static Command Create(TextWriter output, TextWriter error)
    {
        var next = new Option<int>("--next") { Description = $"How many usable slots to list (default {DefaultCount}).", DefaultValueFactory = _ => DefaultCount };
        var policy = new Option<string?>("--policy") { Description = $"Policy (YAML). Default: {PlanInputs.DefaultPolicy}." };
        var plan = new Option<string?>("--plan")
        {
            Description = "Fit this plan: its duration, type, systems (only blackouts touching them apply) and freeze override. Default: any routine window, every blackout applies.",
        };
        var now = PlanInputs.NowOption();
        var command = new Command("slots", "List the next routine maintenance slots the policy's cadence allows, skipping freezes and blackouts.") { next, policy, plan, now };
        command.SetAction(parse => Run(parse.GetValue(next), parse.GetValue(policy), parse.GetValue(plan), parse.GetValue(now), output, error));
        return command;
    }

    public static int Run(int count, string? policyPath, string? planPath, string? nowText, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        if (count < 1)
        {
            error.WriteLine($"error: --next {count}: give a number of slots of at least 1, e.g. --next {DefaultCount}.");
            return PlanInputs.ExitLoadError;
        }
        if (!PlanInputs.TryParseNow(nowText, error, out var now))
        {
            return PlanInputs.ExitLoadError;
        }
        MaintenancePolicy policy;
        MaintenancePlan? plan = null;
        string policyNote;
        if (planPath is not null)
        {
            var loaded = PlanInputs.Load(planPath, policyPath, now, error);
            if (loaded is null)
            {
                return PlanInputs.ExitLoadError;
            }
            (policy, plan, policyNote) = (loaded.Policy, loaded.Plan, $"{loaded.PolicyPath}{loaded.PolicyNote}");
        }
        else
        {
            var path = policyPath ?? PlanInputs.DefaultPolicy;
            if (policyPath is null && !File.Exists(path))
            {
                error.WriteLine($"error: no policy given and none at {Path.GetFullPath(path)}; pass --policy <policy.yaml>.");
                return PlanInputs.ExitLoadError;
            }
            try
            {
                policy = PlanYaml.LoadPolicyFile(path);
            }
            catch (PlanLoadException e)
            {
                error.WriteLine($"{path}: cannot load ({e.Errors.Count} problem{(e.Errors.Count == 1 ? string.Empty : "s")})");
                foreach (var problem in e.Errors)
                {
                    error.WriteLine($"  {problem}");
                }
                return PlanInputs.ExitLoadError;
            }
            policyNote = policyPath is null ? $"{path} (default)" : path;
        }
        if (policy.Cadence.Count == 0)
        {
            error.WriteLine($"error: the policy ({policyNote}) defines no cadence, so routine windows are not tied to slots; add a 'cadence' list (days, start and end, or cron and duration) to the policy.");
            return PlanInputs.ExitInvalid;
        }

        var probe = plan ?? SlotFinder.AnyRoutineWindow(policy);
        var rules = policy.Types.For(probe.Type);
        var lead = rules.Approval.DeadlineBeforeStart is { } before && before > rules.Notice ? before : rules.Notice;
        var earliest = now + lead;
        var minimum = plan?.Window.Duration ?? TimeSpan.FromMinutes(1);
        output.WriteLine($"Next {probe.Type.ToString().ToLowerInvariant()} slots (policy {policyNote}; zone {policy.TimeZone})");
        output.WriteLine($"  now {ZoneMath.FormatUtc(now)}; earliest start {ZoneMath.FormatUtc(earliest)} ({Postmortem.Durations.Format(lead)} of notice and approval lead)");
        output.WriteLine(plan is null
            ? "  fitting: any routine window; every freeze and blackout applies (pass --plan to fit a plan)"
            : $"  fitting: {plan.Id} ({Postmortem.Durations.Format(minimum)}, systems: {(plan.Systems.Count == 0 ? "none" : string.Join(", ", plan.Systems.Select(s => s.Name)))})");
        var found = 0;
        foreach (var slot in SlotFinder.Walk(policy, probe, earliest, minimum))
        {
            if (!slot.Usable)
            {
                output.WriteLine($"  skipped  {SlotFinder.FormatLocal(slot.Slot, policy.TimeZone)}  |  {SlotFinder.FormatUtc(slot.Slot)}: {Blocked(slot)}");
                continue;
            }
            found++;
            foreach (var free in slot.Free)
            {
                var partial = free != slot.Slot ? $"  (part of {SlotFinder.FormatUtc(slot.Slot)}; {Blocked(slot)})" : string.Empty;
                output.WriteLine($"  {found,3}.    {SlotFinder.FormatLocal(free, policy.TimeZone)}  |  {SlotFinder.FormatUtc(free)}  [{Postmortem.Durations.Format(free.End - free.Start)}]{partial}");
            }
            if (found >= count)
            {
                return PlanInputs.ExitOk;
            }
        }
        output.WriteLine($"  only {found} slot(s) within {SlotFinder.Horizon.TotalDays:0} days.");
        return PlanInputs.ExitOk;
    }

    private static string Blocked(SlotOccurrence slot) => slot.Conflicts.Count == 0
        ? "before the earliest start"
        : string.Join("; ", slot.Conflicts.Select(c => $"{c.Kind} {c.Id} ({c.Description}) {ZoneMath.FormatUtc(c.Start)} - {ZoneMath.FormatUtc(c.End)}"));
}
