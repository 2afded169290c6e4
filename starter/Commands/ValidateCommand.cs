using System.CommandLine;
using MaintenanceWorkflows.Workflows.Plans;

namespace MaintenanceWorkflows.Starter.Commands;

/// <summary>`starter validate plan.yaml [--policy p.yaml] [--now t]`: 0 and a summary when valid, 1 with every violation, 2 when it cannot load.</summary>
public static class ValidateCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var plan = PlanInputs.PlanArgument();
        var policy = PlanInputs.PolicyOption();
        var now = PlanInputs.NowOption();
        var command = new Command("validate", "Check a plan against the policy and list every problem with its fix.") { plan, policy, now };
        command.SetAction(parse => Run(parse.GetValue(plan)!, parse.GetValue(policy), parse.GetValue(now), output, error));
        return command;
    }

    public static int Run(string planPath, string? policyPath, string? nowText, TextWriter output, TextWriter error)
    {
        if (!PlanInputs.TryParseNow(nowText, error, out var now))
        {
            return PlanInputs.ExitLoadError;
        }

        var loaded = PlanInputs.Load(planPath, policyPath, now, error);
        if (loaded is null)
        {
            return PlanInputs.ExitLoadError;
        }

        var violations = PlanValidator.Validate(loaded.Plan, loaded.Policy, now);
        var errors = violations.Where(v => v.Severity == ViolationSeverity.Error).ToList();
        var warnings = violations.Where(v => v.Severity == ViolationSeverity.Warning).ToList();
        if (errors.Count > 0)
        {
            error.WriteLine($"{planPath}: INVALID, {errors.Count} error{(errors.Count == 1 ? string.Empty : "s")}{(warnings.Count > 0 ? $" and {warnings.Count} warning(s)" : string.Empty)} (policy: {loaded.PolicyPath}{loaded.PolicyNote}; now: {ZoneMath.FormatUtc(now)})");
            foreach (var violation in errors.Concat(warnings))
            {
                Print(error, violation);
            }

            return PlanInputs.ExitInvalid;
        }

        output.WriteLine($"{planPath}: valid (policy: {loaded.PolicyPath}{loaded.PolicyNote})");
        PlanSummary.Write(output, loaded.Plan, ScheduleRules.Derive(loaded.Plan, loaded.Policy, now));
        foreach (var warning in warnings)
        {
            Print(output, warning);
        }

        return PlanInputs.ExitOk;
    }

    private static void Print(TextWriter writer, PlanViolation violation)
    {
        writer.WriteLine($"  {(violation.Severity == ViolationSeverity.Error ? "error" : "warning")} [{violation.Code}] {violation.Path}: {violation.Message}");
        writer.WriteLine($"      fix: {violation.Fix}");
    }
}
