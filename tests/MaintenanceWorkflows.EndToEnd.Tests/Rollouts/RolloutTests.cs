using MaintenanceWorkflows.EndToEnd.Tests.Windows;
using MaintenanceWorkflows.Sandbox;
using MaintenanceWorkflows.Sandbox.Fleet;
using MaintenanceWorkflows.Workflows;
using MaintenanceWorkflows.Workflows.Contracts;
using MaintenanceWorkflows.Workflows.Plans;
using MaintenanceWorkflows.Workflows.Rollout;
using Temporalio.Client;

namespace MaintenanceWorkflows.EndToEnd.Tests.Rollouts;

/// <summary>
/// Rollout steps in whole windows: the real worker patches the sandbox fleet with allow-listed local commands,
/// checks each host over HTTP, and halts, rolls back, pauses and continues as the strategy says.
/// </summary>
public sealed class RolloutTests
{
    private const string StepId = "patch-nodes";

    [Fact]
    public async Task Rollout_CanaryFails_HaltsBeforeAnyBatch()
    {
        await using var harness = await WindowHarness.StartAsync();
        harness.World.Fleet.FailAfterPatch("node-01");
        var plan = await PlanAsync(harness, Rollout("node-{01..06}", new RolloutStrategy
        {
            Canary = new HostCount { Count = 1 },
            BatchSize = new HostCount { Count = 2 },
            MaxFailedHosts = new HostCount { Count = 2 },
        }));

        var report = await RunAsync(harness, plan);

        // The budget would allow two failures, but a failed canary halts at once; onFailure: halt leaves it for a human.
        Assert.Equal(WindowPhase.Failed, report.Outcome);
        Assert.Equal(["node-01"], harness.World.Fleet.Patched());
        var step = Assert.Single(report.Steps);
        Assert.Equal(StepOutcome.Failed, step.Outcome);
        Assert.Contains("the canary failed", step.Detail, StringComparison.Ordinal);
        var result = await RolloutResultAsync(harness, plan);
        Assert.Equal(RolloutOutcome.Halted, result.Outcome);
        Assert.Equal("F.....", result.Hosts!.States);
        Assert.Single(result.Waves);
        Assert.Equal(["node-01"], result.StillChanged);
        Assert.Contains(report.Compensations, c => c.Detail.Contains("node-01", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Rollout_FailureWithinBudget_Continues()
    {
        await using var harness = await WindowHarness.StartAsync();
        harness.World.Fleet.FailAfterPatch("node-04");
        var plan = await PlanAsync(harness, Rollout("node-{01..06}", new RolloutStrategy
        {
            BatchSize = new HostCount { Count = 2 },
            MaxFailedHosts = new HostCount { Count = 1 },
        }));

        var report = await RunAsync(harness, plan);

        Assert.Equal(WindowPhase.Completed, report.Outcome);
        Assert.Equal(6, harness.World.Fleet.Patched().Count);
        var result = await RolloutResultAsync(harness, plan);
        Assert.Equal(RolloutOutcome.Completed, result.Outcome);
        Assert.Equal("DDDFDD", result.Hosts!.States);
        Assert.Equal(3, result.Waves.Count);
        var failure = Assert.Single(result.Failures);
        Assert.Equal("node-04", failure.Host);
        Assert.Contains("503", failure.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(RolloutFailureAction.RollbackAll, WindowPhase.RolledBack)]
    [InlineData(RolloutFailureAction.RollbackFailed, WindowPhase.Failed)]
    public async Task Rollout_OverBudget_HaltsAndRollsBackPerOnFailure(RolloutFailureAction onFailure, WindowPhase outcome)
    {
        await using var harness = await WindowHarness.StartAsync();
        harness.World.Fleet.FailAfterPatch("node-03");
        var plan = await PlanAsync(harness, Rollout("node-{01..06}", new RolloutStrategy
        {
            BatchSize = new HostCount { Count = 2 },
            MaxUnavailable = new HostCount { Count = 1 },
            MaxFailedHosts = new HostCount { Count = 0 },
            OnFailure = onFailure,
        }));

        var report = await RunAsync(harness, plan);

        Assert.Equal(outcome, report.Outcome);
        var result = await RolloutResultAsync(harness, plan);
        Assert.Equal(RolloutOutcome.Halted, result.Outcome);
        // Batch 2 halted at node-03's failure (one host at a time, so node-04 never started); batch 3 never ran.
        var expected = onFailure == RolloutFailureAction.RollbackAll ? "UUU..." : "DDU...";
        Assert.Equal(expected, result.Hosts!.States);
        Assert.Equal(onFailure == RolloutFailureAction.RollbackAll ? [] : ["node-01", "node-02"], harness.World.Fleet.Patched());
        Assert.DoesNotContain("node-05", harness.World.Fleet.Patched());
    }

    [Fact]
    public async Task Rollout_ContinueGate_RefusesForgedAndStrangersThenTakesTheApproversCode()
    {
        await using var harness = await WindowHarness.StartAsync();
        var plan = await PlanAsync(harness, Rollout("node-{01..04}", new RolloutStrategy
        {
            Canary = new HostCount { Count = 1 },
            Waves = [new HostCount { Percent = 100 }],
            Pause = new RolloutPause { After = PauseAfter.Canary, Approval = true },
        }));
        var window = await StartAtWindowAsync(harness, plan);
        var rollout = harness.Client.GetWorkflowHandle(FleetRolloutWorkflow.IdFor(window.Id, StepId));
        var waiting = await WaitForRolloutAsync(rollout, s => s.WaitingFor?.Contains("a continue", StringComparison.Ordinal) == true);
        Assert.Equal(1, waiting.Done);
        Assert.Equal(["node-01"], harness.World.Fleet.Patched());

        await rollout.SignalAsync(RolloutHandlers.Continue, [new ContinueCommand { By = "T-JOSH" }]);
        await rollout.SignalAsync(RolloutHandlers.Continue, [new ContinueCommand { By = "mallory", Code = "k1-AAAA-BBBB-CCCC-DDDD" }]);
        await rollout.SignalAsync(RolloutHandlers.Continue, [new ContinueCommand { By = "T-JOSH", Code = "k1-AAAA-BBBB-CCCC-DDDD" }]);
        await rollout.SignalAsync(RolloutHandlers.Continue, [new ContinueCommand { By = new string('x', 5000) }]);
        await rollout.SignalAsync(RolloutHandlers.Continue, ["not an object"]);
        // The approval code is T-JOSH's too, but for another decision: refused.
        var approveCode = await harness.CodeAsync(window.Id, "T-JOSH", "approve");
        await rollout.SignalAsync(RolloutHandlers.Continue, [new ContinueCommand { By = "T-JOSH", Code = approveCode }]);
        var refused = await WaitForRolloutAsync(rollout, s => s.RefusalCount == 6);
        Assert.Equal(1, refused.Done);
        Assert.Equal(["node-01"], harness.World.Fleet.Patched());
        // A stranger's progress signal to the window is refused too, and changes nothing.
        await window.SignalAsync(RolloutHandlers.Progress, [new RolloutProgressSignal { Token = "guess", StepId = StepId, Line = "all done", Snapshot = new RolloutSnapshot { Wave = 2, Waves = 2, Hosts = 4, Done = 4 } }]);
        var afterForgery = await WindowHarness.WaitForAsync(window, s => s.LastRefusal?.Code == MaintenanceWindowWorkflow.RefusedRolloutProgress);
        Assert.Equal(1, afterForgery.Rollout?.Snapshot?.Done);
        Assert.DoesNotContain("all done", (await window.DescribeAsync()).TypedSearchAttributes.Get(MaintenanceSearchAttributes.Phase), StringComparison.Ordinal);

        var code = await harness.CodeAsync(window.Id, "ops-lead", FleetRolloutWorkflow.ContinuePurpose(StepId, 0));
        await rollout.SignalAsync(RolloutHandlers.Continue, [new ContinueCommand { By = "ops-lead", Code = code, Comment = "canary looks good" }]);
        var report = await window.GetResultAsync();

        Assert.Equal(WindowPhase.Completed, report.Outcome);
        Assert.Equal(4, harness.World.Fleet.Patched().Count);
        var result = await RolloutResultAsync(harness, plan);
        Assert.Contains("continued by ops-lead (proof ok", result.Waves[0].Note, StringComparison.Ordinal);
        // Nothing secret in the rollout's history: no key, and no code but the one that was used and is bound to this gate.
        var history = (await rollout.FetchHistoryAsync()).ToJson();
        Assert.DoesNotContain(harness.SigningKey, history, StringComparison.Ordinal);
        Assert.DoesNotContain(approveCode, history.Replace("\"" + approveCode + "\"", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rollout_WaitingBetweenWaves_WindowPhaseAttributeAndStatusShowTheRollout()
    {
        await using var harness = await WindowHarness.StartAsync();
        var plan = await PlanAsync(harness, Rollout("node-{01..04}", new RolloutStrategy
        {
            Canary = new HostCount { Count = 1 },
            Waves = [new HostCount { Percent = 100 }],
            MaxFailedHosts = new HostCount { Count = 1 },
            Pause = new RolloutPause { After = PauseAfter.Canary, Approval = true },
        }));
        var window = await StartAtWindowAsync(harness, plan);
        var rollout = harness.Client.GetWorkflowHandle(FleetRolloutWorkflow.IdFor(window.Id, StepId));
        await WaitForRolloutAsync(rollout, s => s.WaitingFor?.Contains("a continue", StringComparison.Ordinal) == true);

        // The window's own status carries the rollout's counts, not only its child's.
        var status = await WindowHarness.WaitForAsync(window, s => s.Rollout?.Snapshot is { Wave: 1, Done: 1 });
        var snapshot = status.Rollout!.Snapshot!;
        Assert.Equal(StepId, status.Rollout.StepId);
        Assert.Equal((2, 4, 0, 3, 1, false), (snapshot.Waves, snapshot.Hosts, snapshot.Failed, snapshot.Pending, snapshot.BudgetLeft, snapshot.WaveRunning));
        var written = new StringWriter();
        MaintenanceWorkflows.Starter.Commands.StatusCommand.Write(written, window.Id, status);
        Assert.Contains("rollout:   'patch-nodes' canary, wave 1 of 2: 1/4 hosts done, 0 failed, 3 pending, failure budget 1 left", written.ToString(), StringComparison.Ordinal);

        // So does its Phase search attribute, and `starter list --phase InProgress` still finds it.
        var phase = (await window.DescribeAsync()).TypedSearchAttributes.Get(MaintenanceSearchAttributes.Phase);
        Assert.Equal("InProgress: rollout 'patch-nodes': canary (1 of 2): 1/4 done, 0 failed, 3 pending, budget 1 left", phase);
        var listed = new List<string>();
        await foreach (var execution in harness.Client.ListWorkflowsAsync(MaintenanceWorkflows.Starter.Commands.ListCommand.Query(WindowPhase.InProgress, includeClosed: false)))
        {
            listed.Add(execution.Id);
        }
        Assert.Contains(window.Id, listed);
        Assert.Equal(("InProgress", "rollout 'patch-nodes': canary (1 of 2): 1/4 done, 0 failed, 3 pending, budget 1 left"), MaintenanceWorkflows.Starter.Commands.ListCommand.SplitPhase(phase));

        using (var listOutput = new StringWriter())
        {
            Assert.Equal(0, await MaintenanceWorkflows.Starter.Commands.StarterCli.RunAsync(["list", "--phase", "InProgress", "--address", harness.Env.Server.Target], listOutput, TextWriter.Null));
            Assert.Contains("InProgress (1)", listOutput.ToString(), StringComparison.Ordinal);
            Assert.Contains($"{window.Id}", listOutput.ToString(), StringComparison.Ordinal);
            Assert.Contains("[rollout 'patch-nodes': canary (1 of 2): 1/4 done, 0 failed, 3 pending, budget 1 left]", listOutput.ToString(), StringComparison.Ordinal);
        }

        // A postmortem of the running window says where the rollout stands, from what the window showed.
        var running = await PostmortemAsync(harness, plan);
        Assert.Contains("- **Outcome:** running - the window last showed rollout 'patch-nodes': canary (1 of 2): 1/4 done, 0 failed, 3 pending, budget 1 left", running, StringComparison.Ordinal);
        Assert.Contains("rollout 'patch-nodes' still running; the window last showed rollout 'patch-nodes': canary (1 of 2)", running, StringComparison.Ordinal);

        var code = await harness.CodeAsync(window.Id, "ops-lead", FleetRolloutWorkflow.ContinuePurpose(StepId, 0));
        await rollout.SignalAsync(RolloutHandlers.Continue, [new ContinueCommand { By = "ops-lead", Code = code }]);
        var report = await window.GetResultAsync();

        // Once the rollout is over the attribute is the bare phase again.
        Assert.Equal(WindowPhase.Completed, report.Outcome);
        Assert.Equal("Completed", (await window.DescribeAsync()).TypedSearchAttributes.Get(MaintenanceSearchAttributes.Phase));
    }

    [Fact]
    public async Task Rollout_ThreeWaves_StatusPageGetsOneProgressNoticePerWave()
    {
        await using var harness = await WindowHarness.StartAsync();
        var plan = await PlanAsync(harness, Rollout("node-{01..06}", new RolloutStrategy { BatchSize = new HostCount { Count = 2 } }));

        var report = await RunAsync(harness, plan);

        Assert.Equal(WindowPhase.Completed, report.Outcome);
        // One notice per wave, not per host: the six hosts in three waves give three, each delivered once.
        var progress = report.Notices.Where(n => n.Kind == NoticeKind.Progress).ToList();
        Assert.Equal(3, progress.Count);
        Assert.All(progress, n => Assert.Equal(DeliveryStatus.Delivered, Assert.Single(n.Deliveries).Status));
        var incident = Assert.Single(harness.World.StatusPage.Incidents.Values);
        var bodies = incident.Bodies.Where(b => b.Contains("Patching", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, bodies.Count);
        Assert.Contains("Patching 2 of 6 hosts (batch 1, wave 1 of 3; 0 done)", bodies[0], StringComparison.Ordinal);
        Assert.Contains("Patching 4 of 6 hosts (batch 2, wave 2 of 3; 2 done)", bodies[1], StringComparison.Ordinal);
        Assert.Contains("Patching 6 of 6 hosts (batch 3, wave 3 of 3; 4 done)", bodies[2], StringComparison.Ordinal);
        // Mailing lists are not sent a notice per wave.
        Assert.DoesNotContain(report.Notices.Where(n => n.Kind == NoticeKind.Progress).SelectMany(n => n.Deliveries), d => d.Channel.Contains("email", StringComparison.Ordinal));

        // The window's history (notices interleaved with the rollout's reports, the Phase upserts) and the rollout's replay on today's code.
        var replayer = new Temporalio.Worker.WorkflowReplayer(new Temporalio.Worker.WorkflowReplayerOptions { DebugMode = true }
            .AddWorkflow<MaintenanceWindowWorkflow>().AddWorkflow<FleetRolloutWorkflow>());
        foreach (var id in new[] { MaintenanceWindowInput.WorkflowIdFor(plan.Id), FleetRolloutWorkflow.IdFor(MaintenanceWindowInput.WorkflowIdFor(plan.Id), StepId) })
        {
            var replayed = await replayer.ReplayWorkflowAsync(await harness.Client.GetWorkflowHandle(id).FetchHistoryAsync(), throwOnReplayFailure: false);
            Assert.True(replayed.ReplayFailure is null, $"{id} does not replay: {replayed.ReplayFailure}");
        }
    }

    [Fact]
    public async Task Rollout_Postmortem_ListsEveryHostWithItsWaveAndPutsTheWavesInTheTimeline()
    {
        await using var harness = await WindowHarness.StartAsync();
        harness.World.Fleet.FailAfterPatch("node-04");
        var plan = await PlanAsync(harness, Rollout("node-{01..06}", new RolloutStrategy
        {
            BatchSize = new HostCount { Count = 2 },
            MaxFailedHosts = new HostCount { Count = 1 },
        }));
        Assert.Equal(WindowPhase.Completed, (await RunAsync(harness, plan)).Outcome);

        var markdown = await PostmortemAsync(harness, plan);

        Assert.Contains("## Rollout `patch-nodes`: Patch the sandbox nodes", markdown, StringComparison.Ordinal);
        Assert.Contains("- **Hosts:** 6 host(s): 5 patched, 1 failed, 0 not started, 0 rolled back\n", markdown, StringComparison.Ordinal);
        Assert.Matches(@"\| batch 2 \| 2 \| 1 \| 1 \| [0-9-]+ [0-9:]+ \| [0-9-]+ [0-9:]+ \| - \|", markdown);
        // Six hosts: every one is listed with its wave, its result and whether it was rolled back.
        foreach (var host in new[] { "node-01", "node-02", "node-03", "node-05", "node-06" })
        {
            Assert.Matches($@"\| {host} \| batch [123] \| patched \| [0-9-]+ [0-9:]+ \| - \|", markdown);
        }
        Assert.Matches(@"\| node-04 \| batch 2 \| FAILED: [^|]*503[^|]* \| [0-9-]+ [0-9:]+ \| - \|", markdown);
        // The waves in the timeline: a line when each starts and when it ends, none per host.
        Assert.Contains("rollout 'patch-nodes' batch 1 started: 2 host(s)", markdown, StringComparison.Ordinal);
        Assert.Contains("rollout 'patch-nodes' batch 2 finished: 1 done, 1 failed", markdown, StringComparison.Ordinal);
        Assert.Contains("rollout 'patch-nodes' batch 3 finished: 2 done, 0 failed", markdown, StringComparison.Ordinal);
        Assert.DoesNotContain("'RolloutProgress' signal", markdown, StringComparison.Ordinal);

        // The demo's narration reads the same events: the waves as the window showed them, never the rollout's token.
        var history = await harness.Client.GetWorkflowHandle(MaintenanceWindowInput.WorkflowIdFor(plan.Id)).FetchHistoryAsync();
        using var narration = new StringWriter();
        new MaintenanceWorkflows.Starter.Demo.HistoryNarrator(narration, new object()).Narrate(history.Id, history.Events);
        Assert.Contains("rollout 'patch-nodes': batch 2 (2 of 3): 2/6 done, 0 failed, 4 pending, budget 1 left", narration.ToString(), StringComparison.Ordinal);
        Assert.Contains("notice progress -> status-page", narration.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(RolloutHandlers.Progress, narration.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rollout_PostmortemAfterRollbackAll_SaysWhichHostsWereRolledBackAndWhichNeverStarted()
    {
        await using var harness = await WindowHarness.StartAsync();
        harness.World.Fleet.FailAfterPatch("node-03");
        var plan = await PlanAsync(harness, Rollout("node-{01..06}", new RolloutStrategy
        {
            BatchSize = new HostCount { Count = 2 },
            MaxUnavailable = new HostCount { Count = 1 },
            MaxFailedHosts = new HostCount { Count = 0 },
            OnFailure = RolloutFailureAction.RollbackAll,
        }));
        Assert.Equal(WindowPhase.RolledBack, (await RunAsync(harness, plan)).Outcome);

        var markdown = await PostmortemAsync(harness, plan);

        Assert.Contains("- **Outcome:** Halted, then Undone - ", markdown, StringComparison.Ordinal);
        Assert.Contains("- **Hosts:** 6 host(s): 2 patched, 1 failed, 3 not started, 3 rolled back, 0 still changed", markdown, StringComparison.Ordinal);
        Assert.Matches(@"\| node-01 \| batch 1 \| patched \| [0-9-]+ [0-9:]+ \| yes \|", markdown);
        Assert.Matches(@"\| node-03 \| batch 2 \| FAILED: [^|]+ \| [0-9-]+ [0-9:]+ \| yes \|", markdown);
        Assert.Contains("| node-04 | batch 2 | not started | - | - |", markdown, StringComparison.Ordinal);
        Assert.Contains("| node-06 | batch 3 | not started | - | - |", markdown, StringComparison.Ordinal);
        Assert.Contains("undo of rollout 'patch-nodes' started", markdown, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rollout_AbortMidBatch_StopsNewHostsAndUndoesWhatChanged()
    {
        await using var harness = await WindowHarness.StartAsync();
        var plan = await PlanAsync(harness, Rollout("node-{01..04}", new RolloutStrategy { MaxUnavailable = new HostCount { Count = 1 } }, settle: TimeSpan.FromMinutes(5)));
        var window = await StartAtWindowAsync(harness, plan);
        var rollout = harness.Client.GetWorkflowHandle(FleetRolloutWorkflow.IdFor(window.Id, StepId));
        // Time does not skip while the test only queries: node-01 sits in its settle wait with the patch applied.
        await WindowHarness.WaitForAsync(window, s => s.WaitingFor?.Contains("batch 1 (1 of 1)", StringComparison.Ordinal) == true);
        await WaitForPatchedAsync(harness, "node-01");

        await window.SignalAsync(WindowHandlers.Abort, [new OperatorCommand { By = "ops-lead", Reason = "bad news from the canary channel" }]);
        var report = await window.GetResultAsync();

        Assert.Equal(WindowPhase.RolledBack, report.Outcome);
        var result = await rollout.GetResultAsync<FleetRolloutResult>();
        Assert.Equal(RolloutOutcome.Aborted, result.Outcome);
        // node-01 finished the step in hand (its last, the settle wait) and its check; no other host started.
        Assert.Equal("D...", result.Hosts!.States);
        Assert.Empty(harness.World.Fleet.Patched());
        Assert.Equal(StepOutcome.Cancelled, Assert.Single(report.Steps).Outcome);
    }

    [Fact]
    public async Task Rollout_WorkerRestartMidRollout_ResumesAndCompletes()
    {
        await using var harness = await WindowHarness.StartAsync();
        var plan = await PlanAsync(harness, Rollout("node-{01..05}", new RolloutStrategy
        {
            Canary = new HostCount { Count = 1 },
            BatchSize = new HostCount { Count = 2 },
            Pause = new RolloutPause { After = PauseAfter.Canary, Approval = true },
        }));
        var window = await StartAtWindowAsync(harness, plan);
        var rollout = harness.Client.GetWorkflowHandle(FleetRolloutWorkflow.IdFor(window.Id, StepId));
        await WaitForRolloutAsync(rollout, s => s.WaitingFor?.Contains("a continue", StringComparison.Ordinal) == true);
        var code = await harness.CodeAsync(window.Id, "T-JOSH", FleetRolloutWorkflow.ContinuePurpose(StepId, 0));

        await harness.StopWorkerAsync();
        await rollout.SignalAsync(RolloutHandlers.Continue, [new ContinueCommand { By = "T-JOSH", Code = code }]);
        await harness.StartWorkerAsync();
        var report = await window.GetResultAsync();

        Assert.Equal(WindowPhase.Completed, report.Outcome);
        Assert.Equal(5, harness.World.Fleet.Patched().Count);
        Assert.Equal("DDDDD", (await RolloutResultAsync(harness, plan)).Hosts!.States);
    }

    [Fact]
    public async Task Rollout_FleetTheWorkerDoesNotKnow_FailsBeforeAnyChange()
    {
        await using var harness = await WindowHarness.StartAsync();
        var plan = await PlanAsync(harness, Rollout("node-01", new RolloutStrategy()) with { Hosts = [], Fleet = "sandbox-nodez" });
        var handle = await harness.ScheduleAsync(plan);

        var report = await handle.GetResultAsync();

        Assert.Equal(WindowPhase.Failed, report.Outcome);
        Assert.Contains("steps[0].fleet: The worker knows no fleet 'sandbox-nodez'", report.Summary, StringComparison.Ordinal);
        Assert.Contains("did you mean 'sandbox-nodes'", report.Summary, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(report.Steps);
        Assert.Empty(harness.World.Fleet.Patched());
    }

    [Fact]
    public async Task Rollout_NamedWorkerFleet_ResolvesAndPatchesEveryHost()
    {
        await using var harness = await WindowHarness.StartAsync();
        var plan = await PlanAsync(harness, Rollout("x", new RolloutStrategy { Waves = [new HostCount { Percent = 25 }, new HostCount { Percent = 100 }] }) with { Hosts = [], Fleet = SandboxWorld.FleetName });

        var report = await RunAsync(harness, plan);

        Assert.Equal(WindowPhase.Completed, report.Outcome);
        Assert.Equal(12, harness.World.Fleet.Patched().Count);
        Assert.Equal([3, 9], (await RolloutResultAsync(harness, plan)).Waves.Select(w => w.Hosts));
    }

    /// <summary>A sandbox rollout: patch each host with the fleet's allow-listed command (undone by the other), check its health.</summary>
    internal static RolloutStep Rollout(string hosts, RolloutStrategy strategy, TimeSpan? settle = null)
    {
        List<PlanStep> steps =
        [
            new CommandStep
            {
                Id = "patch",
                Title = "Patch {host}",
                Command = LocalFleet.PatchCommand,
                Args = new Dictionary<string, string> { ["host"] = "{host}" },
                Rollback = new CommandStep { Id = "unpatch", Title = "Unpatch {host}", Command = LocalFleet.UnpatchCommand, Args = new Dictionary<string, string> { ["host"] = "{host}" } },
            },
        ];
        if (settle is { } wait)
        {
            steps.Add(new WaitStep { Id = "settle", Title = "Let {host} settle", Duration = wait });
        }
        return new RolloutStep
        {
            Id = StepId,
            Title = "Patch the sandbox nodes",
            Hosts = [hosts],
            Steps = steps,
            Checks = [new HttpStatusCheck { Id = "healthy", Title = "{host} is healthy", Target = LocalFleet.Target, Path = "/hosts/{host}/health" }],
            Strategy = strategy,
        };
    }

    /// <summary>The agent-update example's window (routine, no checklist) with a sandbox rollout as its only step.</summary>
    internal static async Task<MaintenancePlan> PlanAsync(WindowHarness harness, RolloutStep rollout)
    {
        var plan = await harness.PlanAsync("agent-update-waves.yaml");
        return plan with { Steps = [rollout], Checks = [] };
    }

    private static async Task<WorkflowHandle<MaintenanceWindowWorkflow, MaintenanceReport>> StartAsync(WindowHarness harness, MaintenancePlan plan)
    {
        var handle = await harness.ScheduleAsync(plan);
        await harness.ApproveAsync(handle);
        return handle;
    }

    /// <summary>Approved and at the window start: the virtual clock stands still while the test only queries and signals.</summary>
    private static async Task<WorkflowHandle<MaintenanceWindowWorkflow, MaintenanceReport>> StartAtWindowAsync(WindowHarness harness, MaintenancePlan plan)
    {
        var handle = await StartAsync(harness, plan);
        var now = new DateTimeOffset(await harness.Env.GetCurrentTimeAsync(), TimeSpan.Zero);
        await harness.Env.DelayAsync(plan.Window.Start - now + TimeSpan.FromSeconds(1));
        return handle;
    }

    /// <summary>`starter postmortem` for the plan's window, through the real command line; returns postmortem.md.</summary>
    private static async Task<string> PostmortemAsync(WindowHarness harness, MaintenancePlan plan)
    {
        var directory = Directory.CreateTempSubdirectory("rollout-postmortem-").FullName;
        try
        {
            using var output = new StringWriter();
            using var error = new StringWriter();
            var exit = await MaintenanceWorkflows.Starter.Commands.StarterCli.RunAsync(
                ["postmortem", MaintenanceWindowInput.WorkflowIdFor(plan.Id), "--out", directory, "--address", harness.Env.Server.Target], output, error);
            Assert.True(exit == 0, error.ToString());
            return await File.ReadAllTextAsync(Path.Combine(directory, MaintenanceWorkflows.Starter.Postmortem.PostmortemWriter.MarkdownFile));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task<MaintenanceReport> RunAsync(WindowHarness harness, MaintenancePlan plan) =>
        await (await StartAsync(harness, plan)).GetResultAsync();

    private static Task<FleetRolloutResult> RolloutResultAsync(WindowHarness harness, MaintenancePlan plan) =>
        harness.Client.GetWorkflowHandle(FleetRolloutWorkflow.IdFor(MaintenanceWindowInput.WorkflowIdFor(plan.Id), StepId)).GetResultAsync<FleetRolloutResult>();

    internal static async Task<RolloutStatus> WaitForRolloutAsync(WorkflowHandle handle, Func<RolloutStatus, bool> until) =>
        (await Poll.UntilAsync(
            async () =>
            {
                try
                {
                    return await handle.QueryAsync<RolloutStatus>(RolloutHandlers.Status, []);
                }
                catch (Temporalio.Exceptions.RpcException e) when (e.Code == Temporalio.Exceptions.RpcException.StatusCode.NotFound)
                {
                    // The window has not started its rollout yet.
                    return null;
                }
            },
            status => status is not null && until(status),
            TimeSpan.FromSeconds(30),
            status => $"{handle.Id}: the rollout did not reach the expected state within 30 s (last: {(status is null ? "not started" : $"{status.Done} done, {status.Failed} failed")})"))!;

    private static Task WaitForPatchedAsync(WindowHarness harness, string host) =>
        Poll.UntilAsync(() => harness.World.Fleet.IsPatched(host), patched => patched, TimeSpan.FromSeconds(30), _ => $"{host} was not patched within 30 s");
}
