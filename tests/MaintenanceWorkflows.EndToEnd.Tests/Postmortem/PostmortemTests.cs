using MaintenanceWorkflows.EndToEnd.Tests.Windows;
using MaintenanceWorkflows.Sandbox;
using MaintenanceWorkflows.Sandbox.Status;
using MaintenanceWorkflows.Starter.Commands;
using MaintenanceWorkflows.Starter.Postmortem;
using MaintenanceWorkflows.Workflows;
using MaintenanceWorkflows.Workflows.Plans;
using Temporalio.Client;
using Temporalio.Exceptions;

namespace MaintenanceWorkflows.EndToEnd.Tests.Postmortem;

/// <summary>
/// `starter postmortem` over real windows: the production worker and activities on the time-skipping
/// devserver with the sandbox targets, the history fetched through the client or read from an export.
/// </summary>
public sealed class PostmortemTests : IDisposable
{
    private readonly string temp = Directory.CreateTempSubdirectory("postmortem-").FullName;

    public void Dispose() => Directory.Delete(temp, recursive: true);

    [Fact]
    public async Task Postmortem_CompletedWindow_WritesTimelineApprovalsStepsAndChart()
    {
        await using var harness = await WindowHarness.StartAsync();
        var plan = await harness.PlanAsync("lambda-v40-promotion.yaml");
        var handle = await harness.ScheduleAsync(plan);
        await harness.ApproveAsync(handle, comment: "ship it");
        await WindowHarness.AcknowledgeChecklistAsync(handle, plan);
        var report = await handle.GetResultAsync();
        Assert.Equal(WindowPhase.Completed, report.Outcome);

        var (exit, output, error) = await RunAsync("postmortem", handle.Id, "--out", Out("completed"), "--address", harness.Env.Server.Target);

        Assert.True(exit == 0, error);
        Assert.Contains($"{handle.Id}: Completed, severity none", output, StringComparison.Ordinal);
        var markdown = await File.ReadAllTextAsync(Path.Combine(Out("completed"), PostmortemWriter.MarkdownFile));
        Assert.Contains("- **Outcome:** Completed - completed: 1 step(s) ran and verification passed", markdown, StringComparison.Ordinal);
        Assert.Contains("- **Severity:** none - none: the change went live and passed verification.", markdown, StringComparison.Ordinal);
        Assert.Contains("| Change started | " + Utc(report.ExecutionStartedAt!.Value) + " |", markdown, StringComparison.Ordinal);
        Assert.Contains("| Incident start | n/a (no incident) |", markdown, StringComparison.Ordinal);
        Assert.Contains("| T-JOSH | Approve | signal | recorded: \"ship it\" |", markdown, StringComparison.Ordinal);
        Assert.Contains("| T-JOSH | approved by signal: \"ship it\" |", markdown, StringComparison.Ordinal);
        Assert.Contains("| Succeeded | ", markdown, StringComparison.Ordinal);
        Assert.Contains("step 'promote-prod'", markdown, StringComparison.Ordinal);
        Assert.Contains("prod: 39 -> 40", markdown, StringComparison.Ordinal);
        Assert.Contains("verification round 10: ", markdown, StringComparison.Ordinal);
        Assert.Contains("pre-maintenance notice: status-page delivered", markdown, StringComparison.Ordinal);
        Assert.Contains("Nothing was rolled back.", markdown, StringComparison.Ordinal);
        Assert.Contains("## Root cause", markdown, StringComparison.Ordinal);
        Assert.Contains("## Action items", markdown, StringComparison.Ordinal);
        foreach (var phase in report.Phases)
        {
            Assert.Contains($"| {phase.Phase} | {Utc(phase.At)} |", markdown, StringComparison.Ordinal);
        }
        // The day of notice between scheduling and the pre-checks shows as the NoticeSent phase's duration.
        Assert.Matches(@"\| NoticeSent \| [^|]+ \| [^|]+ \| 1 d( \d min)? \|", markdown);
        AssertChart(Path.Combine(Out("completed"), PostmortemWriter.ChartFile), executionPanel: true);
        Assert.True(File.Exists(Path.Combine(Out("completed"), PostmortemWriter.HistoryFile)));
    }

    [Fact]
    public async Task Postmortem_RolledBackWindow_ReportsDetectionResolutionAndWhatWasUndone()
    {
        await using var harness = await WindowHarness.StartAsync();
        harness.World.Function.Alias(SandboxWorld.ProdAlias).FunctionVersion = "40";
        harness.World.Service.Break("41", VersionFault.BadGateway);
        var plan = await harness.PlanAsync("lambda-v41-promotion.yaml");
        var handle = await harness.ScheduleAsync(plan);
        await harness.ApproveAsync(handle);
        await WindowHarness.AcknowledgeChecklistAsync(handle, plan);
        var report = await handle.GetResultAsync();
        Assert.True(report.Outcome == WindowPhase.RolledBack, report.Summary);

        var (exit, output, error) = await RunAsync("postmortem", handle.Id, "--out", Out("rolled-back"), "--address", harness.Env.Server.Target);

        Assert.True(exit == 0, error);
        Assert.Contains($"{handle.Id}: RolledBack, severity P2", output, StringComparison.Ordinal);
        var markdown = await File.ReadAllTextAsync(Path.Combine(Out("rolled-back"), PostmortemWriter.MarkdownFile));
        Assert.Contains("- **Severity:** P2 - P2 (Major feature broken; respond within 1 hour; Slack alert)", markdown, StringComparison.Ordinal);
        Assert.Contains("- **Observed:** rollback trigger: ", markdown, StringComparison.Ordinal);
        var promote = Assert.Single(report.Steps);
        var rollingBack = report.Phases.Single(p => p.Phase == WindowPhase.RollingBack).At;
        var rolledBack = report.Phases.Single(p => p.Phase == WindowPhase.RolledBack).At;
        Assert.Contains($"| Incident start | {Utc(promote.FinishedAt)} |", markdown, StringComparison.Ordinal);
        Assert.Matches(@"\| Detected \| [0-9: -]+ - verification check '[a-z0-9-]+' \(round 1\): RED: ", markdown);
        Assert.Contains($"| Rollback started | {Utc(rollingBack)} |", markdown, StringComparison.Ordinal);
        Assert.Contains($"| Resolved | {Utc(rolledBack)} |", markdown, StringComparison.Ordinal);
        Assert.DoesNotContain("NOT RESOLVED", markdown, StringComparison.Ordinal);
        Assert.Contains("What was rolled back:", markdown, StringComparison.Ordinal);
        Assert.Matches(@"- `promote-prod` at [0-9: -]+: restore alias [^ ]+:prod - prod: 41 -> 40", markdown);
        Assert.Matches(@"undo promote-prod: restore [^ ]+:prod to 40 succeeded: prod: 41 -> 40", markdown);
        Assert.Contains("- nothing: every change was undone", markdown, StringComparison.Ordinal);
        Assert.Contains("Verification of the rollback:", markdown, StringComparison.Ordinal);
        Assert.Contains("undo promote-prod: ", markdown, StringComparison.Ordinal);
        Assert.Contains("rollback notice: ", markdown, StringComparison.Ordinal);
        Assert.Contains("| failure | ", markdown, StringComparison.Ordinal);
        AssertChart(Path.Combine(Out("rolled-back"), PostmortemWriter.ChartFile), executionPanel: true);
    }

    [Fact]
    public async Task Postmortem_CancelledBeforeStart_SaysNothingChanged()
    {
        await using var harness = await WindowHarness.StartAsync();
        var plan = await harness.PlanAsync("lambda-v40-promotion.yaml");
        var handle = await harness.ScheduleAsync(plan);
        await handle.CancelAsync();
        // Temporal's status says Canceled (no result); the window's own phase says what happened.
        await Assert.ThrowsAsync<Temporalio.Exceptions.WorkflowFailedException>(() => handle.GetResultAsync());
        Assert.Equal(WindowPhase.Cancelled, (await handle.QueryAsync(wf => wf.Status)).Phase);

        var (exit, output, error) = await RunAsync("postmortem", handle.Id, "--out", Out("cancelled"), "--address", harness.Env.Server.Target);

        Assert.True(exit == 0, error);
        Assert.Contains($"{handle.Id}: Cancelled, severity none", output, StringComparison.Ordinal);
        var markdown = await File.ReadAllTextAsync(Path.Combine(Out("cancelled"), PostmortemWriter.MarkdownFile));
        Assert.Contains("- **Severity:** none - none: the window ended as Cancelled before anything changed.", markdown, StringComparison.Ordinal);
        Assert.Contains("| Change started | never: nothing was changed |", markdown, StringComparison.Ordinal);
        Assert.Contains("Temporal cancellation requested", markdown, StringComparison.Ordinal);
        Assert.Contains("No step ran.", markdown, StringComparison.Ordinal);
        Assert.Contains("Nothing was rolled back.", markdown, StringComparison.Ordinal);
        Assert.Contains("No votes were cast.", markdown, StringComparison.Ordinal);
        Assert.Contains("| Cancelled | ", markdown, StringComparison.Ordinal);
        Assert.Contains("cancelled notice: ", markdown, StringComparison.Ordinal);
        AssertChart(Path.Combine(Out("cancelled"), PostmortemWriter.ChartFile), executionPanel: false);
    }

    [Fact]
    public async Task Postmortem_HistoryFileAfterServerIsGone_MatchesTheLivePostmortem()
    {
        var historyPath = Path.Combine(temp, "history.json");
        string windowId;
        string live;
        await using (var harness = await WindowHarness.StartAsync())
        {
            harness.World.Function.Alias(SandboxWorld.ProdAlias).FunctionVersion = "40";
            harness.World.Service.Break("41", VersionFault.BadGateway);
            var plan = await harness.PlanAsync("lambda-v41-promotion.yaml");
            var handle = await harness.ScheduleAsync(plan);
            await harness.ApproveAsync(handle);
            await WindowHarness.AcknowledgeChecklistAsync(handle, plan);
            await handle.GetResultAsync();
            windowId = handle.Id;
            await File.WriteAllTextAsync(historyPath, (await handle.FetchHistoryAsync()).ToJson());
            var (liveExit, _, liveError) = await RunAsync("postmortem", windowId, "--out", Out("live"), "--address", harness.Env.Server.Target);
            Assert.True(liveExit == 0, liveError);
            live = await File.ReadAllTextAsync(Path.Combine(Out("live"), PostmortemWriter.MarkdownFile));
        }

        // Nothing listens on port 1: the command must not try to connect when given a history file.
        var (exit, output, error) = await RunAsync("postmortem", windowId, "--history", historyPath, "--out", Out("from-file"), "--address", "127.0.0.1:1");

        Assert.True(exit == 0, error);
        Assert.Contains($"{windowId}: RolledBack, severity P2", output, StringComparison.Ordinal);
        Assert.DoesNotContain("history.json", output, StringComparison.Ordinal);
        var fromFile = await File.ReadAllTextAsync(Path.Combine(Out("from-file"), PostmortemWriter.MarkdownFile));
        Assert.Equal(WithoutGeneratedLine(live), WithoutGeneratedLine(fromFile));
        AssertChart(Path.Combine(Out("from-file"), PostmortemWriter.ChartFile), executionPanel: true);
    }

    [Fact]
    public async Task Postmortem_RunningWindow_ShowsRecordedAndRefusedVotesAsOfTheLastEvent()
    {
        await using var harness = await WindowHarness.StartAsync();
        var plan = await harness.PlanAsync("lambda-v40-promotion.yaml");
        var handle = await harness.ScheduleAsync(plan);
        // The requester approving their own window is refused by the window; T-JOSH's vote counts.
        await handle.SignalAsync(WindowHandlers.Approve, [new ApprovalSignal { Approver = plan.Requester, Comment = "my own" }]);
        await harness.ApproveAsync(handle, comment: "gate ok");
        await handle.QueryAsync(wf => wf.Status);
        await harness.WaitForIdleActivitiesAsync(handle);

        var (exit, output, error) = await RunAsync("postmortem", handle.Id, "--out", Out("running"), "--address", harness.Env.Server.Target);

        Assert.True(exit == 0, error);
        Assert.Contains("(still running), severity none", output, StringComparison.Ordinal);
        var markdown = await File.ReadAllTextAsync(Path.Combine(Out("running"), PostmortemWriter.MarkdownFile));
        Assert.Contains("| State | RUNNING - as of the last event at ", markdown, StringComparison.Ordinal);
        Assert.Contains("- **Outcome:** RUNNING (in Scheduled) - still running: in Scheduled since ", markdown, StringComparison.Ordinal);
        Assert.Matches($@"\| {plan.Requester} \| Approve \| signal \| refused: [^|]*may not approve it[^|]* \|", markdown);
        Assert.Contains("| T-JOSH | Approve | signal | recorded: \"gate ok\" |", markdown, StringComparison.Ordinal);
        Assert.Contains("| Scheduled | ", markdown, StringComparison.Ordinal);
        Assert.Contains("| (current) |", markdown, StringComparison.Ordinal);
        // One notification activity per channel, so Temporal retries only the channel that failed.
        Assert.Contains("approval-request notice: email-approvers delivered", markdown, StringComparison.Ordinal);
        Assert.Contains("approval-request notice: slack-team-ops delivered", markdown, StringComparison.Ordinal);
        AssertChart(Path.Combine(Out("running"), PostmortemWriter.ChartFile), executionPanel: false);
    }

    [Fact]
    public async Task Postmortem_ApprovalUpdateTheWorkerRefused_ShownRefusedNotRecorded()
    {
        await using var harness = await WindowHarness.StartAsync();
        var plan = await harness.PlanAsync("lambda-v40-promotion.yaml");
        var handle = await harness.ScheduleAsync(plan);
        // A code of the right shape passes the update's validator, so the update is accepted (it is in the history);
        // the worker then finds the code wrong and the handler fails the update.
        await Assert.ThrowsAsync<WorkflowUpdateFailedException>(() => handle.ExecuteUpdateAsync(
            wf => wf.SubmitApprovalAsync(new ApprovalVote { Approver = "T-JOSH", Decision = VoteDecision.Approve, Comment = "forged", Code = "k1-ABCD-EFGH-JKMN-PQRS" })));
        await harness.WaitForIdleActivitiesAsync(handle);

        var (exit, _, error) = await RunAsync("postmortem", handle.Id, "--out", Out("refused-update"), "--address", harness.Env.Server.Target);

        Assert.True(exit == 0, error);
        var markdown = await File.ReadAllTextAsync(Path.Combine(Out("refused-update"), PostmortemWriter.MarkdownFile));
        Assert.Matches(@"\| T-JOSH \| Approve \| update \| refused: [^|]+ \|", markdown);
        Assert.DoesNotContain("| T-JOSH | Approve | update | recorded", markdown, StringComparison.Ordinal);
        Assert.Contains("SubmitApproval update refused: ", markdown, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Postmortem_HistoryFileIsNotAHistory_ExitsOneAndSaysHowToExport()
    {
        var path = Path.Combine(temp, "bad.json");
        await File.WriteAllTextAsync(path, "{\"hello\": \"world\"");

        var (exit, _, error) = await RunAsync("postmortem", "maint-x", "--history", path, "--out", Out("bad"));

        Assert.Equal(PostmortemCommand.ExitBadHistory, exit);
        Assert.Contains("is not a workflow history in JSON", error, StringComparison.Ordinal);
        Assert.Contains("temporal workflow show --workflow-id maint-x --output json", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Out("bad")));
    }

    [Fact]
    public async Task Postmortem_HistoryFileMissing_ExitsOneNamingTheFile()
    {
        var path = Path.Combine(temp, "nope.json");

        var (exit, _, error) = await RunAsync("postmortem", "maint-x", "--history", path);

        Assert.Equal(PostmortemCommand.ExitBadHistory, exit);
        Assert.Contains($"cannot read the history file {path}", error, StringComparison.Ordinal);
    }

    private static string Utc(DateTimeOffset at) => at.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);

    private static string WithoutGeneratedLine(string markdown) =>
        string.Join('\n', markdown.Split('\n').Where(l => !l.StartsWith("| Generated |", StringComparison.Ordinal)));

    /// <summary>A real PNG of the chart's width; taller than the lifecycle panel alone when the execution panel is drawn.</summary>
    private static void AssertChart(string path, bool executionPanel)
    {
        var bytes = File.ReadAllBytes(path);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], bytes[..4]);
        var width = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16, 4));
        var height = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20, 4));
        Assert.Equal(TimelineChart.Width, width);
        if (executionPanel)
        {
            Assert.True(height > 400, $"height {height}: the execution panel is missing");
        }
        else
        {
            Assert.True(height <= 400, $"height {height}: an execution panel was drawn for a window that never ran");
        }
    }

    private string Out(string name) => Path.Combine(temp, name);

    private static async Task<(int Exit, string Output, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await StarterCli.RunAsync(args, output, error);
        return (exit, output.ToString(), error.ToString());
    }
}
