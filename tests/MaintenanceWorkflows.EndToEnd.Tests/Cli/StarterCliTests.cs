using MaintenanceWorkflows.Starter.Commands;

namespace MaintenanceWorkflows.EndToEnd.Tests.Cli;

/// <summary>`starter validate` and `starter preview` through the real command-line parser.</summary>
public sealed class StarterCliTests : IDisposable
{
    private const string Now = "2027-02-01T12:00:00Z";

    private readonly string temp = Directory.CreateTempSubdirectory("starter-cli-").FullName;

    public void Dispose() => Directory.Delete(temp, recursive: true);

    public static TheoryData<string> ExamplePlans()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(Path.Combine(Repo.Root, "examples"), "*.yaml").Where(f => Path.GetFileName(f) != "policy.yaml").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(file));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ExamplePlans))]
    public async Task Validate_ExamplePlan_ExitsZeroWithSummary(string file)
    {
        var (exit, output, error) = await RunAsync("validate", Example(file), "--now", Now);

        Assert.Equal(0, exit);
        Assert.Contains(": valid (policy: ", output, StringComparison.Ordinal);
        Assert.Contains("(default: next to the plan)", output, StringComparison.Ordinal);
        Assert.Contains("window:", output, StringComparison.Ordinal);
        Assert.Contains("approval:", output, StringComparison.Ordinal);
        Assert.Equal(string.Empty, error);
    }

    [Fact]
    public async Task Validate_LambdaPlan_SummaryShowsLocalTimeGateAndChannels()
    {
        var (_, output, _) = await RunAsync("validate", Example("lambda-v40-promotion.yaml"), "--policy", Example("policy.yaml"), "--now", Now);

        Assert.Contains("2027-02-09 02:00 PST", output, StringComparison.Ordinal);
        Assert.Contains("gate:      t-josh-lambda-promotion: T-JOSH", output, StringComparison.Ordinal);
        Assert.Contains("notice:    2027-02-08 10:00 UTC on status-page", output, StringComparison.Ordinal);
        Assert.DoesNotContain("(default", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_WindowInThePast_ExitsOneAndSaysSo()
    {
        var (exit, output, error) = await RunAsync("validate", Example("lambda-v40-promotion.yaml"), "--now", "2027-03-01T00:00:00Z");

        Assert.Equal(1, exit);
        Assert.Equal(string.Empty, output);
        Assert.Contains("INVALID", error, StringComparison.Ordinal);
        Assert.Contains("[window.in-past]", error, StringComparison.Ordinal);
        Assert.Contains("cannot be scheduled in the past", error, StringComparison.Ordinal);
        Assert.Contains("fix: Choose a new start. The earliest legal start is", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_SeveralViolations_ListsEveryOneWithItsFix()
    {
        var plan = File.ReadAllText(Example("lambda-v40-promotion.yaml"))
            .Replace("start: 2027-02-09T02:00", "start: 2027-02-10T02:00", StringComparison.Ordinal)
            .Replace("requester: ops-lead", "requester: T-JOSH", StringComparison.Ordinal)
            .Replace("    check: smoke-invoke", "    check: smoke-invok", StringComparison.Ordinal);
        var path = Write("bad.yaml", plan);

        var (exit, _, error) = await RunAsync("validate", path, "--policy", Example("policy.yaml"), "--now", Now);

        Assert.Equal(1, exit);
        Assert.Contains("3 errors", error, StringComparison.Ordinal);
        Assert.Contains("[cadence.outside]", error, StringComparison.Ordinal);
        Assert.Contains("[approvals.gate-unsatisfiable]", error, StringComparison.Ordinal);
        Assert.Contains("[checklist.unknown-check]", error, StringComparison.Ordinal);
        Assert.Equal(3, error.Split("fix: ").Length - 1);
    }

    [Fact]
    public async Task Validate_MalformedYaml_ExitsTwoWithFileLineAndColumn()
    {
        var plan = File.ReadAllText(Example("lambda-v40-promotion.yaml")).Replace("  duration: 30m", "  duration: 30", StringComparison.Ordinal);
        var path = Write("plan.yaml", plan);

        var (exit, _, error) = await RunAsync("validate", path, "--policy", Example("policy.yaml"), "--now", Now);

        Assert.Equal(2, exit);
        Assert.Contains($"{path}:11:13: window.duration: expected a duration", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_NoPolicyAnywhere_ExitsTwoAndAsksForPolicy()
    {
        var path = Write("plan.yaml", File.ReadAllText(Example("lambda-v40-promotion.yaml")));

        var (exit, _, error) = await RunAsync("validate", path, "--now", Now);

        Assert.Equal(2, exit);
        Assert.Contains("pass --policy <policy.yaml>", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_MissingFile_ExitsTwoWithoutStackTrace()
    {
        var (exit, _, error) = await RunAsync("validate", Path.Combine(temp, "nope.yaml"), "--policy", Example("policy.yaml"));

        Assert.Equal(2, exit);
        Assert.Contains("cannot read the file", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_BadNow_ExitsTwo()
    {
        var (exit, _, error) = await RunAsync("validate", Example("lambda-v40-promotion.yaml"), "--now", "tomorrow");

        Assert.Equal(2, exit);
        Assert.Contains("--now 'tomorrow'", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Preview_OneNotice_PrintsSubjectTextAndShortWithChannels()
    {
        var (exit, output, _) = await RunAsync("preview", Example("lambda-v40-promotion.yaml"), "--notice", "completion", "--now", Now);

        Assert.Equal(0, exit);
        Assert.StartsWith("===== completion -> status-page =====", output, StringComparison.Ordinal);
        Assert.Contains("Subject: ✅ Maintenance complete: Lambda prod alias promotion - v40 deploy", output, StringComparison.Ordinal);
        Assert.Contains("Post-deploy verification:", output, StringComparison.Ordinal);
        Assert.Contains("----- short (chat / status page) -----", output, StringComparison.Ordinal);
        Assert.DoesNotContain("<html", output, StringComparison.Ordinal);
        Assert.DoesNotContain("===== pre-maintenance", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Preview_AllNotices_PrintsEveryKind()
    {
        var (exit, output, _) = await RunAsync("preview", Example("flask-security-patch.yaml"), "--now", Now, "--html");

        Assert.Equal(0, exit);
        foreach (var kind in new[] { "pre-maintenance", "reminder", "in-progress", "completion", "rollback", "postponed", "cancelled", "approval-request", "escalation", "extended" })
        {
            Assert.Contains($"===== {kind} -> ", output, StringComparison.Ordinal);
        }

        Assert.Contains("<!DOCTYPE html>", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Preview_UnknownNoticeKind_ExitsTwoListingKinds()
    {
        var (exit, _, error) = await RunAsync("preview", Example("lambda-v40-promotion.yaml"), "--notice", "done");

        Assert.Equal(2, exit);
        Assert.Contains("approval-request", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Preview_BrokenTemplateOverride_ExitsTwoNamingTheField()
    {
        Directory.CreateDirectory(Path.Combine(temp, "templates"));
        Write(Path.Combine("templates", "completion.short.sbn"), "{{ facts.completed }}");

        var (exit, _, error) = await RunAsync("preview", Example("lambda-v40-promotion.yaml"), "--templates", Path.Combine(temp, "templates"), "--now", Now);

        Assert.Equal(2, exit);
        Assert.Contains("completed", error, StringComparison.Ordinal);
    }

    private static async Task<(int Exit, string Output, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await StarterCli.RunAsync(args, output, error);
        return (exit, output.ToString(), error.ToString());
    }

    private string Write(string name, string text)
    {
        var path = Path.Combine(temp, name);
        File.WriteAllText(path, text);
        return path;
    }

    private static string Example(string name) => Path.Combine(Repo.Root, "examples", name);
}
