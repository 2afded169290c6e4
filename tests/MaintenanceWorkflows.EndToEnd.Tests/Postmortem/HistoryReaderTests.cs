using MaintenanceWorkflows.Starter.Demo;
using MaintenanceWorkflows.Starter.Postmortem;
using MaintenanceWorkflows.Workflows;
using MaintenanceWorkflows.Workflows.Contracts;
using MaintenanceWorkflows.Workflows.Plans;
using MaintenanceWorkflows.Workflows.Rollout;
using Temporalio.Api.Enums.V1;
using Temporalio.Common;

namespace MaintenanceWorkflows.EndToEnd.Tests.Postmortem;

/// <summary>
/// The one history reader over the replay corpus: histories recorded from the real workflow by earlier workers
/// (their notice inputs still carry the whole policy), read by the postmortem and by the demo's narration alike.
/// </summary>
public sealed class HistoryReaderTests
{
    private static readonly string[] CorpusNames = ["abort", "emergency", "extend", "happy-path", "large-50-steps-24h-soak", "postponed", "rejection", "rollback"];

    public static TheoryData<string> Corpus => [.. CorpusNames];

    [Theory]
    [MemberData(nameof(Corpus))]
    public async Task Parse_RecordedCorpusHistory_ReadsTheOutcomeStepsCompensationsAndVotesTheWindowRecorded(string name)
    {
        var history = await CorpusAsync(name);

        var parsed = HistoryParser.Parse(history.Id, history);

        var report = Assert.IsType<MaintenanceReport>(parsed.Report);
        Assert.Equal(report.Outcome, parsed.CurrentPhase);
        Assert.Equal(report.Phases.Select(p => p.Phase), parsed.Phases.Select(p => p.Phase));
        // Compensations are what ran once the window was RollingBack: the same steps the report says were undone.
        Assert.Equal(report.Compensations.Select(c => c.StepId).Order(), parsed.Compensations.Select(c => c.Subject).Distinct().Order());
        Assert.All(parsed.Compensations, c => Assert.Equal(WindowPhase.RollingBack, c.Phase));
        Assert.Equal(report.Steps.Count(s => s.Type is StepTypes.LambdaPromote or StepTypes.HttpRequest or StepTypes.Command), parsed.Steps.Select(s => s.Subject).Distinct().Count());
        // Votes come from the signals; the report (no refusals in the corpus) settles every one as recorded.
        Assert.Equal(report.Votes.Select(v => (v.Vote.Approver, v.Vote.Decision)), parsed.Votes.Select(v => (v.Approver, v.Decision)));
        Assert.All(parsed.Votes, v => Assert.True(v.Settled && v.Recorded));
        var markdown = PostmortemRenderer.Render(PostmortemAnalysis.Analyze(parsed), DateTimeOffset.UnixEpoch);
        Assert.Contains($"- **Outcome:** {report.Outcome} - ", markdown, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Corpus))]
    public async Task Narrate_RecordedCorpusHistory_NamesEveryNoticeAndTheClose(string name)
    {
        var history = await CorpusAsync(name);
        using var output = new StringWriter();

        new HistoryNarrator(output, new object()).Narrate(history.Id, history.Events);

        var lines = output.ToString().Split('\n');
        var scheduledNotices = history.Events.Count(e => e.EventType == EventType.ActivityTaskScheduled && e.ActivityTaskScheduledEventAttributes.ActivityType.Name == ActivityNames.SendNotification);
        // Recorded when notice inputs carried the whole policy: read as JSON fields, every notice still names its kind and channel.
        Assert.Equal(scheduledNotices, lines.Count(l => System.Text.RegularExpressions.Regex.IsMatch(l, @" notice [a-z-]+ -> [a-z-]+")));
        var report = HistoryParser.Parse(history.Id, history).Report!;
        Assert.Contains(lines, l => l.Contains($"CLOSED {report.Outcome}: {report.Summary}", StringComparison.Ordinal));
        // Votes and extensions show, their proof codes do not.
        if (name == "happy-path")
        {
            Assert.Contains(lines, l => l.Contains("signal Approve {\"Approver\":\"T-JOSH\",\"Code\":\"(proof code)\"", StringComparison.Ordinal));
        }
        Assert.DoesNotMatch(@"k1-[A-Z0-9]{4}-[A-Z0-9]{4}", output.ToString());
        // Every phase the window entered, in order, as its report lists them.
        var narrated = lines.Select(l => System.Text.RegularExpressions.Regex.Match(l, @" phase -> (\w+)")).Where(m => m.Success).Select(m => m.Groups[1].Value);
        Assert.Equal(report.Phases.Select(p => p.Phase.ToString()), narrated);
    }

    [Fact]
    public async Task Parse_RunningWindowFromAFile_LeavesVotesUnsettledUnlessTheWindowsRefusalsAreGiven()
    {
        var full = await CorpusAsync("happy-path");
        var events = full.Events.ToList();
        // Cut the history just after the approval signal: a window still running, as a file export would hold it.
        var cut = events.FindIndex(e => e.EventType == EventType.WorkflowExecutionSignaled && e.WorkflowExecutionSignaledEventAttributes.SignalName == WindowHandlers.Approve);
        var running = new WorkflowHistory(full.Id, events.Take(cut + 1).ToList());

        var unsettled = HistoryParser.Parse(running.Id, running);
        var vote = Assert.Single(unsettled.Votes);
        Assert.True(unsettled.IsRunning);
        Assert.False(vote.Settled);
        Assert.False(vote.Recorded);
        Assert.Contains("not yet settled", PostmortemRenderer.Render(PostmortemAnalysis.Analyze(unsettled), DateTimeOffset.UnixEpoch), StringComparison.Ordinal);

        // The window's Status listed no refusal: the vote counted.
        var recorded = Assert.Single(HistoryParser.Parse(running.Id, running, new RecordedRefusals([], Complete: true)).Votes);
        Assert.True(recorded.Settled && recorded.Recorded);

        // The window's Status listed this vote's refusal: it is shown with the window's own reason.
        var refusal = new RefusalRecord(WindowHandlers.Approve, vote.Approver, "vote.proof-invalid", "the code is not valid", vote.At);
        var refused = Assert.Single(HistoryParser.Parse(running.Id, running, new RecordedRefusals([refusal], Complete: true)).Votes);
        Assert.True(refused.Settled);
        Assert.False(refused.Recorded);
        Assert.Equal("the code is not valid", refused.RefusedBecause);
    }

    [Fact]
    public void RolloutSection_TenThousandHosts_ListsOnlyTheHostsThatDidNotEndPatchedUpToTheCap()
    {
        const int hosts = 10_000;
        var strategy = new RolloutStrategy { Canary = new HostCount { Count = 1 }, Waves = [new HostCount { Percent = 10 }, new HostCount { Percent = 100 }], MaxFailedHosts = new HostCount { Count = 100 } };
        var names = Enumerable.Range(1, hosts).Select(i => $"agent-{i:00000}").ToList();
        var states = new string(HostState.Done, hosts).ToCharArray();
        var failedHosts = Enumerable.Range(0, 60).Select(k => 2000 + (k * 100)).ToList();
        foreach (var i in failedHosts)
        {
            states[i] = HostState.Failed;
        }
        var at = new DateTimeOffset(2027, 3, 2, 10, 0, 0, TimeSpan.Zero);
        var waves = RolloutRules.PlanWaves(hosts, strategy)
            .Select(w => new WaveRecord { Number = w.Number, Name = w.Name, Hosts = w.Count, StartedAt = at.AddMinutes(w.Number), FinishedAt = at.AddMinutes(w.Number + 1), Done = w.Count, Failed = 0 })
            .ToList();
        var run = new RolloutRun
        {
            Step = new RolloutStep { Id = "agents", Title = "Update the agents", Hosts = ["agent-{00001..10000}"], Strategy = strategy },
            StartedAt = at,
            ClosedAt = at.AddMinutes(5),
            Patch = new FleetRolloutResult
            {
                Outcome = Workflows.Rollout.RolloutOutcome.Completed,
                Summary = "all patched within the budget",
                Hosts = new RolloutHosts { Names = names, States = new string(states) },
                Waves = waves,
                Failures = failedHosts.Take(FleetRolloutWorkflow.KeepFailures).Select(i => new HostFailure(names[i], "503 after patching", at.AddMinutes(2))).ToList(),
                FailureCount = failedHosts.Count,
            },
        };

        var section = RolloutSection.From(run);

        Assert.Equal((hosts, hosts - 60, 60, 0), (section.Hosts, section.Patched, section.Failed, section.NotStarted));
        Assert.True(section.Collapsed);
        Assert.Equal(RolloutSection.MaxHostRows, section.HostRows.Count);
        Assert.Equal(10, section.HostsNotListed);
        Assert.All(section.HostRows, row => Assert.StartsWith("FAILED", row.Result, StringComparison.Ordinal));
        Assert.Equal("FAILED: 503 after patching", section.HostRows[0].Result);
        Assert.Equal("batch 2", section.HostRows[0].Wave);
        Assert.Equal(3, section.Waves.Count);
    }

    private static async Task<WorkflowHistory> CorpusAsync(string name) =>
        WorkflowHistory.FromJson($"maint-{name}", await File.ReadAllTextAsync(Repo.Path("tests", "MaintenanceWorkflows.EndToEnd.Tests", "Replay", "histories", $"{name}.json")));
}
