using System.Text.Json;
using MaintenanceWorkflows.Starter.Commands;
using MaintenanceWorkflows.Workflows;

namespace MaintenanceWorkflows.EndToEnd.Tests.Demo;

/// <summary>`starter demo`, the main job, through the real command line.</summary>
public sealed class DemoTests : IDisposable
{
    private readonly string output = Directory.CreateTempSubdirectory("demo-").FullName;

    public void Dispose() => Directory.Delete(output, recursive: true);

    [Fact]
    public async Task Demo_TwoExampleWindows_FirstCompletesSecondRollsBackAndReportsAreWritten()
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var exit = await StarterCli.RunAsync(["demo", "--examples", Repo.Path("examples"), "--out", output], stdout, stderr);

        Assert.True(exit == 0, stderr.ToString());
        var text = stdout.ToString();
        Assert.Contains("LOCAL SANDBOX TARGETS", text, StringComparison.Ordinal);
        Assert.Contains("a forged Approve {\"approver\": \"T-JOSH\"} without proof: refused: no proof", text, StringComparison.Ordinal);
        Assert.Contains("ops-lead tries to approve their own window: refused", text, StringComparison.Ordinal);
        Assert.Contains("inbox of josh@spaceduck.bot: 'Your approval codes'", text, StringComparison.Ordinal);
        Assert.Contains("ops-lead (the requester) confirms the request with the confirm code from their own inbox", text, StringComparison.Ordinal);
        Assert.Contains("T-JOSH approves with that code: proof ok (key k1); approved", text, StringComparison.Ordinal);
        // Checklist items count only in their phase: an after-item ticked up front is refused, and ticked once the work completed.
        Assert.Contains("sre-oncall tries to tick after-item 'deployment-log' now: refused: 'deployment-log' is on the after checklist", text, StringComparison.Ordinal);
        Assert.Contains("checklist   maint-lambda-v40-promotion: sre-oncall acknowledges the after-items deployment-log now that the window is Completed", text, StringComparison.Ordinal);
        Assert.Contains("maint-lambda-v40-promotion       phase -> Completed", text, StringComparison.Ordinal);
        Assert.Contains("maint-lambda-v41-promotion       phase -> RollingBack", text, StringComparison.Ordinal);
        Assert.Contains("compensation: prod 41 -> 40 (restored)", text, StringComparison.Ordinal);
        Assert.Contains("alias prod now -> v40", text, StringComparison.Ordinal);

        var reports = Directory.GetFiles(output, "*.report.json").Order(StringComparer.Ordinal)
            .Select(f => JsonSerializer.Deserialize<MaintenanceReport>(File.ReadAllText(f))!)
            .ToList();
        // In file-name order: the agent rollout, the v40 promotion, the v41 promotion.
        Assert.Equal([WindowPhase.Completed, WindowPhase.Completed, WindowPhase.RolledBack], reports.Select(r => r.Outcome));
        Assert.DoesNotContain("not acknowledged", reports[1].Summary, StringComparison.Ordinal);
        Assert.Contains(reports[1].Acknowledgements, a => a.Item == "deployment-log" && a.At >= reports[1].Phases.Single(p => p.Phase == WindowPhase.Completed).At);
        // The rollout: node-09 fails in the last wave, the budget of one host lets it finish.
        Assert.Contains("rollout     canary    1 host(s)  1 done, 0 failed", text, StringComparison.Ordinal);
        Assert.Contains("failed node-09: check failed", text, StringComparison.Ordinal);
        Assert.Contains("Completed: rollout 'update-agents' all 12 host(s) patched in 3 wave(s), 1 failed within the budget of 1", text, StringComparison.Ordinal);
        // The first window's 24-hour notice really passed on the server's clock.
        Assert.True(reports[0].ExecutionStartedAt - reports[0].ScheduledAt >= TimeSpan.FromHours(24));
    }

    [Fact]
    public async Task Demo_NoExamplesDirectory_ClearErrorAndUsageExit()
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var exit = await StarterCli.RunAsync(["demo", "--examples", output], stdout, stderr);

        Assert.Equal(Connection.ExitUsage, exit);
        Assert.Contains("has no policy.yaml", stderr.ToString(), StringComparison.Ordinal);
    }
}
