using System.CommandLine;
using System.Globalization;
using MaintenanceWorkflows.Workflows.Plans;

namespace MaintenanceWorkflows.Starter.Commands;

/// <summary>Options and loading shared by every command that takes a plan file.</summary>
public static class PlanInputs
{
    public const int ExitOk = 0;
    public const int ExitInvalid = 1;
    public const int ExitLoadError = 2;

    public const string DefaultPolicy = "examples/policy.yaml";

    public static Argument<string> PlanArgument() => new("plan") { Description = "Maintenance plan (YAML)." };

    public static Option<string?> PolicyOption() => new("--policy")
    {
        Description = $"Policy (YAML). Default: policy.yaml next to the plan, else {DefaultPolicy}.",
    };

    public static Option<string?> NowOption() => new("--now")
    {
        Description = "Treat this instant as now (ISO 8601 with offset, e.g. 2027-02-01T12:00:00Z). Default: the current time.",
    };

    /// <summary>Explicit policy, else policy.yaml beside the plan, else examples/policy.yaml under the working directory.</summary>
    public static (string? Path, string Note) ResolvePolicy(string planPath, string? explicitPolicy)
    {
        if (explicitPolicy is not null)
        {
            return (explicitPolicy, string.Empty);
        }

        var beside = Path.Combine(Path.GetDirectoryName(planPath) is { Length: > 0 } dir ? dir : ".", "policy.yaml");
        if (File.Exists(beside) && !string.Equals(Path.GetFullPath(beside), Path.GetFullPath(planPath), StringComparison.Ordinal))
        {
            return (beside, " (default: next to the plan)");
        }

        return File.Exists(DefaultPolicy)
            ? (DefaultPolicy, " (default)")
            : (null, $"no policy given and none found at {beside} or {Path.GetFullPath(DefaultPolicy)}; pass --policy <policy.yaml>");
    }

    public static bool TryParseNow(string? text, TextWriter error, out DateTimeOffset now)
    {
        now = DateTimeOffset.UtcNow;
        if (text is null)
        {
            return true;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out now))
        {
            if (now.Year is >= YamlValues.MinYear and <= YamlValues.MaxYear)
            {
                return true;
            }

            error.WriteLine($"error: --now '{text}' is out of range; use a date between {YamlValues.MinYear} and {YamlValues.MaxYear}.");
            return false;
        }

        error.WriteLine($"error: --now '{text}' is not a date and time; use ISO 8601, e.g. 2027-02-01T12:00:00Z.");
        return false;
    }

    /// <summary>Loads plan and policy, printing every schema error; null when either failed.</summary>
    public static Loaded? Load(string planPath, string? policyOption, DateTimeOffset now, TextWriter error)
    {
        var (policyPath, note) = ResolvePolicy(planPath, policyOption);
        if (policyPath is null)
        {
            error.WriteLine($"error: {note}.");
            return null;
        }

        var errors = new List<LoadError>();
        MaintenancePolicy? policy = null;
        MaintenancePlan? plan = null;
        try
        {
            policy = PlanYaml.LoadPolicyFile(policyPath);
        }
        catch (PlanLoadException e)
        {
            errors.AddRange(e.Errors);
        }

        try
        {
            plan = PlanYaml.LoadPlanFile(planPath, now);
        }
        catch (PlanLoadException e)
        {
            errors.AddRange(e.Errors);
        }

        if (errors.Count > 0 || plan is null || policy is null)
        {
            error.WriteLine($"{planPath}: cannot load ({errors.Count} problem{(errors.Count == 1 ? string.Empty : "s")}); policy: {policyPath}{note}");
            foreach (var e in errors)
            {
                error.WriteLine($"  {e}");
            }

            return null;
        }

        return new Loaded(plan, policy, policyPath, note);
    }

    public sealed record Loaded(MaintenancePlan Plan, MaintenancePolicy Policy, string PolicyPath, string PolicyNote);
}
