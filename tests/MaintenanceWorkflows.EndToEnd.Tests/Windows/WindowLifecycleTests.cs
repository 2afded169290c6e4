using MaintenanceWorkflows.Sandbox;
using MaintenanceWorkflows.Sandbox.Status;
using MaintenanceWorkflows.Workflows;
using MaintenanceWorkflows.Workflows.Contracts;
using MaintenanceWorkflows.Workflows.Plans;
using Temporalio.Converters;

namespace MaintenanceWorkflows.EndToEnd.Tests.Windows;

/// <summary>Whole windows: real worker and activities, devserver with time skipping, sandbox targets.</summary>
public sealed class WindowLifecycleTests
{
    [Fact]
    public async Task Run_ApprovedHealthyPromotion_CompletesAndMovesTheAlias()
    {
        await using var harness = await WindowHarness.StartAsync();
        var plan = await harness.PlanAsync("lambda-v40-promotion.yaml");
        var handle = await harness.ScheduleAsync(plan);
        await harness.ApproveAsync(handle);
        await WindowHarness.AcknowledgeChecklistAsync(handle, plan);

        var report = await handle.GetResultAsync();

        Assert.Equal(WindowPhase.Completed, report.Outcome);
        Assert.Equal("40", harness.World.Function.Alias(SandboxWorld.ProdAlias).FunctionVersion);
        Assert.Equal(
            [WindowPhase.Scheduled, WindowPhase.NoticeSent, WindowPhase.PreChecks, WindowPhase.InProgress, WindowPhase.Verifying, WindowPhase.Completed],
            report.Phases.Select(p => p.Phase));
        var step = Assert.Single(report.Steps);
        Assert.Equal("prod: 39 -> 40", step.Detail);
        Assert.All(report.PreChecks, c => Assert.True(c.Passed, $"{c.CheckId}: {c.Message}"));
        Assert.NotNull(report.Verification);
        Assert.Null(report.Verification.Trigger);
        Assert.Equal(10, report.Verification.RoundsRun);
        Assert.Empty(report.Compensations);

        // The 24-hour notice passed on the virtual clock: notice a day before the start, work at the start.
        var notice = Assert.Single(report.Notices, n => n.Kind == NoticeKind.PreMaintenance);
        Assert.Equal(plan.Window.Start - TimeSpan.FromHours(24), notice.At, TimeSpan.FromMinutes(1));
        Assert.True(report.ExecutionStartedAt >= plan.Window.Start);
        Assert.All(notice.Deliveries, d => Assert.Equal(DeliveryStatus.Delivered, d.Status));
        // Activity summaries travel into the history, where postmortems and the Temporal UI read them.
        var history = await handle.FetchHistoryAsync();
        var summaries = history.Events
            .Where(e => e.ActivityTaskScheduledEventAttributes is not null && e.UserMetadata?.Summary is not null)
            .Select(e => DataConverter.Default.PayloadConverter.ToValue<string>(e.UserMetadata.Summary))
            .ToList();
        Assert.Contains("step promote-prod", summaries);
        Assert.Contains("notice pre-maintenance", summaries);

        var incident = Assert.Single(harness.World.StatusPage.Incidents.Values);
        Assert.Equal(["scheduled", "scheduled", "scheduled", "in_progress", "completed"], incident.StatusHistory);
    }

    [Fact]
    public async Task Run_ACompensationFails_UndoesTheRestThenFailsWithAP1Escalation()
    {
        var runbook = new Dictionary<string, string?>
        {
            ["Commands:cdn-config:Executable"] = "/bin/echo",
            ["Commands:cdn-config:Arguments:0"] = "{profile}",
            ["Commands:cdn-config-revert:Executable"] = "/bin/sh",
            ["Commands:cdn-config-revert:Arguments:0"] = "-c",
            ["Commands:cdn-config-revert:Arguments:1"] = "echo 'CDN API: revision locked by another deploy' >&2; exit 3",
        };
        await using var harness = await WindowHarness.StartAsync(runbook);
        harness.World.Function.Alias(SandboxWorld.ProdAlias).FunctionVersion = "40";
        harness.World.Service.Break("41", VersionFault.BadGateway);
        var plan = await harness.PlanAsync("lambda-v41-promotion.yaml");
        var cdn = new CommandStep
        {
            Id = "cdn-profile",
            Title = "Switch the CDN to the v41 cache profile",
            Command = "cdn-config",
            Args = new Dictionary<string, string> { ["profile"] = "v41" },
            Rollback = new CommandStep { Id = "cdn-profile-revert", Title = "Restore the previous CDN cache profile", Command = "cdn-config-revert" },
        };
        plan = plan with { Steps = [cdn, .. plan.Steps] };
        var handle = await harness.ScheduleAsync(plan);
        await harness.ApproveAsync(handle);
        await WindowHarness.AcknowledgeChecklistAsync(handle, plan);

        var report = await handle.GetResultAsync();

        Assert.True(report.Outcome == WindowPhase.Failed, report.Summary);
        Assert.Contains("not undone: cdn-profile", report.Summary, StringComparison.Ordinal);
        // Newest first, and the failure of one compensation does not stop the next.
        Assert.Equal(["promote-prod", "cdn-profile"], report.Compensations.Select(c => c.StepId));
        Assert.Equal([CompensationOutcome.Undone, CompensationOutcome.Failed], report.Compensations.Select(c => c.Outcome));
        Assert.Contains("exited with code 3", report.Compensations[1].Detail, StringComparison.Ordinal);
        Assert.Equal("40", harness.World.Function.Alias(SandboxWorld.ProdAlias).FunctionVersion);
        var escalation = report.Notices.Last();
        Assert.Equal(NoticeKind.Escalation, escalation.Kind);
        Assert.Contains(escalation.Deliveries, d => d.Channel == "slack-team-ops" && d.Status == DeliveryStatus.Delivered);
        var posted = harness.World.Chat.Received["slack-team-ops"].GetRawText();
        Assert.Contains("P1", posted, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_PromotedVersionCrashLoops_RollsBackToThePreviousVersion()
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
        Assert.Equal("40", harness.World.Function.Alias(SandboxWorld.ProdAlias).FunctionVersion);
        Assert.Contains(report.Phases, p => p.Phase == WindowPhase.RollingBack);
        Assert.NotNull(report.Verification?.Trigger);
        var undo = Assert.Single(report.Compensations);
        Assert.Equal(CompensationOutcome.Undone, undo.Outcome);
        Assert.Equal("prod: 41 -> 40", undo.Detail);
        Assert.NotEmpty(report.RollbackVerification);
        Assert.All(report.RollbackVerification, c => Assert.True(c.Passed, $"{c.CheckId}: {c.Message}"));
        Assert.Contains(report.Notices, n => n.Kind == NoticeKind.Rollback);
    }
}
