using MaintenanceWorkflows.Sandbox;
using MaintenanceWorkflows.Workflows;
using MaintenanceWorkflows.Workflows.Plans;
using Temporalio.Client;

namespace MaintenanceWorkflows.EndToEnd.Tests.Windows;

/// <summary>Abort, pause/resume, extend, overrun, blocking pre-checks and a worker restart mid-window.</summary>
public sealed class OperatorControlTests
{
    private static readonly WaitStep Soak = new() { Id = "watch-traffic", Title = "Watch traffic on the new version", Duration = TimeSpan.FromMinutes(8) };
    private static readonly WaitStep Settle = new() { Id = "settle", Title = "Let caches settle", Duration = TimeSpan.FromMinutes(1) };

    [Fact]
    public async Task Abort_DuringAStep_CancelsItAndRollsBackWhatRan()
    {
        await using var harness = await WindowHarness.StartAsync();
        var plan = await harness.PlanAsync("lambda-v40-promotion.yaml");
        plan = plan with { Steps = [.. plan.Steps, Soak] };
        var handle = await StartApprovedAsync(harness, plan);

        await SleepUntilAsync(harness, plan.Window.Start + TimeSpan.FromMinutes(3));
        var status = await handle.QueryAsync(wf => wf.Status);
        Assert.Equal(WindowPhase.InProgress, status.Phase);
        Assert.Equal([StepState.Succeeded, StepState.Running], status.Steps.Select(s => s.State));
        Assert.Equal("40", harness.World.Function.Alias(SandboxWorld.ProdAlias).FunctionVersion);

        await handle.SignalAsync(WindowHandlers.Abort, [new OperatorCommand { By = "sre-oncall", Reason = "error budget burning" }]);
        var report = await handle.GetResultAsync();

        Assert.Equal(WindowPhase.RolledBack, report.Outcome);
        Assert.Contains("aborted by sre-oncall during step 'watch-traffic': error budget burning", report.Summary, StringComparison.Ordinal);
        Assert.Equal([StepOutcome.Succeeded, StepOutcome.Cancelled], report.Steps.Select(s => s.Outcome));
        Assert.Equal("prod: 40 -> 39", Assert.Single(report.Compensations).Detail);
        Assert.Equal("39", harness.World.Function.Alias(SandboxWorld.ProdAlias).FunctionVersion);
        Assert.Null(report.Verification);
    }

    [Fact]
    public async Task Abort_DuringVerification_RollsBackWithoutFinishingTheSoak()
    {
        await using var harness = await WindowHarness.StartAsync();
        var plan = await harness.PlanAsync("lambda-v40-promotion.yaml");
        var handle = await StartApprovedAsync(harness, plan);
        await SleepUntilAsync(harness, plan.Window.Start + TimeSpan.FromMinutes(3));
        Assert.Equal(WindowPhase.Verifying, (await handle.QueryAsync(wf => wf.Status)).Phase);

        await handle.SignalAsync(WindowHandlers.Abort, [new OperatorCommand { By = "sre-oncall", Reason = "customer reports" }]);
        var report = await handle.GetResultAsync();

        Assert.True(report.Outcome == WindowPhase.RolledBack, report.Summary);
        Assert.Contains("during verification: customer reports", report.Summary, StringComparison.Ordinal);
        Assert.True(report.Verification!.RoundsRun < report.Verification.PlannedRounds);
        Assert.Equal("39", harness.World.Function.Alias(SandboxWorld.ProdAlias).FunctionVersion);
    }

    [Fact]
    public async Task Abort_BeforeTheWindow_CancelsWithNotice()
    {
        await using var harness = await WindowHarness.StartAsync();
        var plan = await harness.PlanAsync("lambda-v40-promotion.yaml");
        var handle = await StartApprovedAsync(harness, plan);
        await SleepUntilAsync(harness, plan.Window.Start - TimeSpan.FromHours(3));
        Assert.Equal(WindowPhase.NoticeSent, (await handle.QueryAsync(wf => wf.Status)).Phase);

        await handle.SignalAsync(WindowHandlers.Abort, [new OperatorCommand { By = "ops-lead", Reason = "vendor outage" }]);
        var report = await handle.GetResultAsync();

        Assert.Equal(WindowPhase.Cancelled, report.Outcome);
        Assert.Empty(report.Steps);
        Assert.Contains(report.Notices, n => n.Kind == NoticeKind.Cancelled && n.Deliveries.Any(d => d.Channel == "status-page"));
    }

    [Fact]
    public async Task PauseResumeExtend_BetweenSteps_HoldsTheNextStepAndMovesTheEnd()
    {
        await using var harness = await WindowHarness.StartAsync();
        var plan = await harness.PlanAsync("lambda-v40-promotion.yaml");
        plan = plan with { Steps = [.. plan.Steps, Soak, Settle] };
        var handle = await StartApprovedAsync(harness, plan);

        await SleepUntilAsync(harness, plan.Window.Start + TimeSpan.FromMinutes(2));
        await handle.SignalAsync(WindowHandlers.Pause, [new OperatorCommand { By = "ops-lead", Reason = "support asked to wait" }]);
        // The policy allows one extension of 30 minutes; ops-lead's extend-1 code came in their own email.
        var newEnd = plan.Window.End + TimeSpan.FromMinutes(30);
        var code = await harness.CodeAsync(handle.Id, "ops-lead", "extend-1");
        await handle.SignalAsync(WindowHandlers.Extend, [new ExtendCommand { Until = newEnd, By = "ops-lead", Code = code, Reason = "paused for support" }]);
        await SleepUntilAsync(harness, plan.Window.Start + TimeSpan.FromMinutes(25));

        var paused = await handle.QueryAsync(wf => wf.Status);
        Assert.True(paused.Paused);
        Assert.Equal(newEnd, paused.WindowEnd);
        Assert.Equal([StepState.Succeeded, StepState.Succeeded, StepState.Pending], paused.Steps.Select(s => s.State));
        Assert.Contains("paused", paused.WaitingFor, StringComparison.Ordinal);

        await handle.SignalAsync(WindowHandlers.Resume, [new OperatorCommand { By = "ops-lead" }]);
        var report = await handle.GetResultAsync();

        Assert.Equal(WindowPhase.Completed, report.Outcome);
        Assert.Equal(newEnd, report.WindowEnd);
        Assert.Equal(["confirm", "pause", "extend", "resume"], report.OperatorActions.Select(a => a.Action));
        Assert.Contains(report.Notices, n => n.Kind == NoticeKind.Extended);
        var settle = report.Steps.Single(s => s.StepId == Settle.Id);
        Assert.True(settle.StartedAt >= plan.Window.Start + TimeSpan.FromMinutes(25), "the next step waited for Resume");
    }

    [Fact]
    public async Task Pause_DuringVerification_HoldsTheSoakUntilResume()
    {
        await using var harness = await WindowHarness.StartAsync();
        var plan = await harness.PlanAsync("lambda-v40-promotion.yaml");
        var handle = await StartApprovedAsync(harness, plan);
        await SleepUntilAsync(harness, plan.Window.Start + TimeSpan.FromMinutes(3));
        await handle.SignalAsync(WindowHandlers.Pause, [new OperatorCommand { By = "sre-oncall", Reason = "reading dashboards" }]);
        await SleepUntilAsync(harness, plan.Window.Start + TimeSpan.FromMinutes(20));

        var paused = await handle.QueryAsync(wf => wf.Status);
        Assert.Equal(WindowPhase.Verifying, paused.Phase);
        Assert.Contains("paused", paused.WaitingFor, StringComparison.Ordinal);

        await handle.SignalAsync(WindowHandlers.Resume, [new OperatorCommand { By = "sre-oncall" }]);
        var report = await handle.GetResultAsync();

        Assert.True(report.Outcome == WindowPhase.Completed, report.Summary);
        Assert.Equal(10, report.Verification!.RoundsRun);
        Assert.True(report.FinishedAt >= plan.Window.Start + TimeSpan.FromMinutes(20), "the soak waited for Resume");
    }

    [Fact]
    public async Task Overrun_PausedPastTheEnd_ExtendsOnceThenRollsBack()
    {
        await using var harness = await WindowHarness.StartAsync();
        var plan = await harness.PlanAsync("lambda-v40-promotion.yaml");
        plan = plan with { Steps = [.. plan.Steps, Settle, Settle with { Id = "settle-again" }] };
        var handle = await StartApprovedAsync(harness, plan);
        await SleepUntilAsync(harness, plan.Window.Start + TimeSpan.FromSeconds(30));
        await handle.SignalAsync(WindowHandlers.Pause, [new OperatorCommand { By = "ops-lead", Reason = "investigating" }]);

        var report = await handle.GetResultAsync();

        Assert.Equal(WindowPhase.RolledBack, report.Outcome);
        Assert.Contains("passed its end", report.Summary, StringComparison.Ordinal);
        Assert.Equal(plan.Window.End + harness.Policy.Overrun.Extension, report.WindowEnd);
        Assert.Contains(report.OperatorActions, a => a.Action == "extend" && a.By == "policy");
        Assert.Equal("39", harness.World.Function.Alias(SandboxWorld.ProdAlias).FunctionVersion);
    }

    [Fact]
    public async Task PreChecks_ChangeFreezeBannerUp_PostponesBeforeAnyChange()
    {
        await using var harness = await WindowHarness.StartAsync();
        harness.World.Service.SetFreeze("incident INC-042 in progress");
        var plan = await harness.PlanAsync("lambda-v40-promotion.yaml");
        var handle = await StartApprovedAsync(harness, plan);

        var report = await handle.GetResultAsync();

        Assert.Equal(WindowPhase.Postponed, report.Outcome);
        Assert.Contains("change-freeze", report.Summary, StringComparison.Ordinal);
        Assert.Contains("INC-042", report.Summary, StringComparison.Ordinal);
        Assert.Empty(report.Steps);
        Assert.Equal("39", harness.World.Function.Alias(SandboxWorld.ProdAlias).FunctionVersion);
        Assert.Contains(report.Notices, n => n.Kind == NoticeKind.Postponed);
    }

    [Fact]
    public async Task ChecklistItem_NotAcknowledged_HoldsTheWindowUntilItIs()
    {
        await using var harness = await WindowHarness.StartAsync();
        var plan = await harness.PlanAsync("lambda-v40-promotion.yaml");
        var handle = await harness.ScheduleAsync(plan);
        await harness.ApproveAsync(handle);
        var held = plan.Checklist.First(i => !i.IsAutomated && i.Phase == ChecklistPhase.Before);
        foreach (var item in plan.Checklist.Where(i => !i.IsAutomated && i.Phase == ChecklistPhase.Before && i.Id != held.Id))
        {
            await handle.ExecuteUpdateAsync(wf => wf.SubmitAcknowledgementAsync(new Acknowledgement { Item = item.Id, By = "ops-lead" }));
        }

        await SleepUntilAsync(harness, plan.Window.Start + TimeSpan.FromMinutes(5));
        var status = await handle.QueryAsync(wf => wf.Status);
        Assert.Equal(WindowPhase.NoticeSent, status.Phase);
        Assert.Contains(held.Id, status.WaitingFor, StringComparison.Ordinal);
        Assert.All(status.Steps, s => Assert.Equal(StepState.Pending, s.State));

        var receipt = await handle.ExecuteUpdateAsync(wf => wf.SubmitAcknowledgementAsync(new Acknowledgement { Item = held.Id, By = "sre-oncall", Note = "fleet 12/12 alive" }));
        Assert.Equal(held.Id, receipt.Item);
        var report = await handle.GetResultAsync();

        Assert.Equal(WindowPhase.Completed, report.Outcome);
        Assert.True(report.ExecutionStartedAt >= plan.Window.Start + TimeSpan.FromMinutes(5));
        Assert.Contains(report.Acknowledgements, a => a.Item == held.Id && a.By == "sre-oncall" && a.Via == SignalChannel.Update);
    }

    [Fact]
    public async Task Worker_RestartedDuringVerification_WindowCompletes()
    {
        await using var harness = await WindowHarness.StartAsync();
        var plan = await harness.PlanAsync("lambda-v40-promotion.yaml");
        var handle = await StartApprovedAsync(harness, plan);
        await SleepUntilAsync(harness, plan.Window.Start + TimeSpan.FromMinutes(4));
        Assert.Equal(WindowPhase.Verifying, (await handle.QueryAsync(wf => wf.Status)).Phase);

        await harness.StopWorkerAsync();
        await harness.StartWorkerAsync();
        var report = await handle.GetResultAsync();

        Assert.Equal(WindowPhase.Completed, report.Outcome);
        Assert.Single(report.Steps);
        Assert.Equal(10, report.Verification!.RoundsRun);
    }

    private static async Task<WorkflowHandle<MaintenanceWindowWorkflow, MaintenanceReport>> StartApprovedAsync(WindowHarness harness, MaintenancePlan plan)
    {
        var handle = await harness.ScheduleAsync(plan);
        await harness.ApproveAsync(handle);
        await WindowHarness.AcknowledgeChecklistAsync(handle, plan);
        return handle;
    }

    private static async Task SleepUntilAsync(WindowHarness harness, DateTimeOffset until)
    {
        var now = new DateTimeOffset(await harness.Env.GetCurrentTimeAsync(), TimeSpan.Zero);
        if (until > now)
        {
            await harness.Env.DelayAsync(until - now);
        }
    }
}
