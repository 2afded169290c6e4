using MaintenanceWorkflows.Workflows.Plans;

namespace MaintenanceWorkflows.Workflows.Tests.Plans;

/// <summary>Locates the repository's examples and loads them.</summary>
internal static class TestFiles
{
    /// <summary>Monday 1 Feb 2027 12:00 UTC: every example window lies after it.</summary>
    public static readonly DateTimeOffset Now = new(2027, 2, 1, 12, 0, 0, TimeSpan.Zero);

    private static readonly Lazy<string> Root = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "MaintenanceWorkflows.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("repository root (MaintenanceWorkflows.sln) not found above " + AppContext.BaseDirectory);
    });

    public static string RepoRoot => Root.Value;

    public static string Example(string name) => Path.Combine(RepoRoot, "examples", name);

    public static IEnumerable<string> ExamplePlans() =>
        Directory.GetFiles(Path.Combine(RepoRoot, "examples"), "*.yaml")
            .Where(f => Path.GetFileName(f) != "policy.yaml")
            .Order(StringComparer.Ordinal);

    public static MaintenancePolicy Policy() => PlanYaml.LoadPolicyFile(Example("policy.yaml"));

    public static MaintenancePlan Plan(string name, DateTimeOffset? now = null) => PlanYaml.LoadPlanFile(Example(name), now ?? Now);

    /// <summary>The Lambda example with changes applied, for rule tests.</summary>
    public static MaintenancePlan LambdaPlan(Func<MaintenancePlan, MaintenancePlan>? change = null)
    {
        var plan = Plan("lambda-v40-promotion.yaml");
        return change is null ? plan : change(plan);
    }

    public static MaintenanceWindow Window(string start, TimeSpan duration, string zone = "America/Los_Angeles")
    {
        var s = DateTimeOffset.Parse(start, System.Globalization.CultureInfo.InvariantCulture);
        return new MaintenanceWindow { Start = s, End = s + duration, TimeZone = zone };
    }
}
