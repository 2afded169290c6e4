using MaintenanceWorkflows.Sandbox;
using MaintenanceWorkflows.Sandbox.Status;
using MaintenanceWorkflows.Workflows;
using MaintenanceWorkflows.Workflows.Contracts;
using MaintenanceWorkflows.Workflows.Plans;
using Temporalio.Api.Enums.V1;
using Temporalio.Client;
using Temporalio.Exceptions;

namespace MaintenanceWorkflows.EndToEnd.Tests.Windows;

/// <summary>
/// The promises a window makes (issue 17): never late, never silent, a rollback that ends, and a Temporal
/// status that tells the truth. Real worker, activities and sandbox; devserver with time skipping.
/// </summary>
public sealed class PromiseTests
{
    [Fact]
    public async Task Notice_SesThrottlesThenAccepts_OneEmailPerNotice()
    {
        await using var harness = await WindowHarness.StartAsync();
        harness.World.Ses.ThrottleNext(2);
        var plan = await harness.PlanAsync("lambda-v40-promotion.yaml");
        var handle = await harness.ScheduleAsync(plan);
        await harness.ApproveAsync(handle);
        await WindowHarness.AcknowledgeChecklistAsync(handle, plan);

        var report = await handle.GetResultAsync();

        Assert.True(report.Outcome == WindowPhase.Completed, report.Summary);
        Assert.Equal(2, harness.World.Ses.Throttled);
        // The approval request to the approvers' list (the codes go to each approver in their own email).
        var request = Assert.Single(report.Notices, n => n.Kind == NoticeKind.ApprovalRequest && n.Deliveries.Any(d => d.Channel == "email-approvers"));
        var email = Assert.Single(request.Deliveries, d => d.Channel == "email-approvers");
        Assert.Equal(DeliveryStatus.Delivered, email.Status);
        Assert.NotNull(email.At);
        // Every email the report says was delivered arrived exactly once: one SES message per delivery, none extra from the retries.
        var delivered = report.Notices.SelectMany(n => n.Deliveries).Where(d => d.Status == DeliveryStatus.Delivered && d.Detail.StartsWith("SES message", StringComparison.Ordinal)).ToList();
        Assert.Equal(delivered.Count, delivered.Select(d => d.Detail).Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(delivered.Count, harness.World.Ses.Sent.Count);
        Assert.Single(harness.World.Ses.Sent, m => m.To.Contains(harness.AddressOf("T-JOSH"), StringComparer.OrdinalIgnoreCase) && m.Subject.StartsWith("Your approval codes", StringComparison.Ordinal));
    }

    [Fact]
    public async Task LatestStart_WorkerDownPastIt_PostponedWithTheNextSlotAndEscalated()
    {
        await using var harness = await WindowHarness.StartAsync();
        var plan = await harness.PlanAsync("lambda-v40-promotion.yaml");
        var handle = await harness.ScheduleAsync(plan);
        await harness.ApproveAsync(handle);
        await WindowHarness.AcknowledgeChecklistAsync(handle, plan);

        // The worker is down from now until 31 minutes after the start (the routine grace is 30 minutes).
        await harness.StopWorkerAsync();
        await SleepUntilAsync(harness, plan.Window.Start + TimeSpan.FromMinutes(31));
        await harness.StartWorkerAsync();
        var report = await handle.GetResultAsync();

        Assert.True(report.Outcome == WindowPhase.Postponed, report.Summary);
        Assert.Contains("could not start by its latest start", report.Summary, StringComparison.Ordinal);
        Assert.Null(report.ExecutionStartedAt);
        Assert.Equal(SandboxWorld.InitialProdVersion, harness.World.Function.Alias(SandboxWorld.ProdAlias).FunctionVersion);
        Assert.NotNull(report.NextSlot);
        Assert.True(report.NextSlot > plan.Window.Start, $"next slot {report.NextSlot} is not after the missed start {plan.Window.Start}");
        Assert.Contains("next free slot", report.Summary, StringComparison.Ordinal);
        // The slot is the worker's recorded answer, not recomputed by workflow code on replay.
        var history = await handle.FetchHistoryAsync();
        var asked = Assert.Single(history.Events, e => e.EventType == EventType.ActivityTaskScheduled && e.ActivityTaskScheduledEventAttributes.ActivityType.Name == ActivityNames.FindNextSlot);
        var answer = Assert.Single(history.Events, e => e.EventType == EventType.ActivityTaskCompleted && e.ActivityTaskCompletedEventAttributes.ScheduledEventId == asked.EventId);
        Assert.Contains(report.NextSlot.Value.ToString("yyyy-MM-ddTHH:mm", System.Globalization.CultureInfo.InvariantCulture), answer.ActivityTaskCompletedEventAttributes.Result.Payloads_[0].Data.ToStringUtf8(), StringComparison.Ordinal);
        // No late customer notice for a change that will not run; the postponement is announced and escalated.
        Assert.DoesNotContain(report.Notices, n => n.Kind == NoticeKind.PreMaintenance);
        Assert.Contains(report.Notices, n => n.Kind == NoticeKind.Postponed);
        Assert.Contains(report.OperatorActions, a => a.Action == "escalate" && a.Reason!.Contains("latest start", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Notice_StatusPageDownForThe24HourNotice_WindowHeldAndEscalated()
    {
        await using var harness = await WindowHarness.StartAsync();
        var plan = await harness.PlanAsync("lambda-v40-promotion.yaml");
        var handle = await harness.ScheduleAsync(plan);
        await harness.ApproveAsync(handle);
        await WindowHarness.AcknowledgeChecklistAsync(handle, plan);
        harness.World.StatusPage.Unavailable = true;

        var report = await handle.GetResultAsync();

        Assert.True(report.Outcome == WindowPhase.Postponed, report.Summary);
        Assert.Contains("pre-maintenance notice was not delivered on status-page", report.Summary, StringComparison.Ordinal);
        Assert.Null(report.ExecutionStartedAt);
        Assert.Equal(SandboxWorld.InitialProdVersion, harness.World.Function.Alias(SandboxWorld.ProdAlias).FunctionVersion);
        var notice = Assert.Single(report.Notices, n => n.Kind == NoticeKind.PreMaintenance);
        var page = Assert.Single(notice.Deliveries);
        Assert.Equal(DeliveryStatus.Failed, page.Status);
        Assert.Contains("503", page.Detail, StringComparison.Ordinal);
        // Temporal retried the channel (the activity failed), not just one attempt recorded as failed.
        Assert.True(harness.World.StatusPage.FailedCalls > 3, $"{harness.World.StatusPage.FailedCalls} calls");
        Assert.Contains(report.Notices, n => n.Kind == NoticeKind.Escalation && n.Deliveries.Any(d => d.Status == DeliveryStatus.Delivered));
        Assert.Empty(harness.World.StatusPage.Incidents);
    }

    [Fact]
    public async Task Rollback_CompensationFailsTwentyTimesThenSucceeds_RolledBackWithEscalations()
    {
        var counter = Path.Combine(Path.GetTempPath(), $"compensation-{Guid.NewGuid():N}");
        var runbook = new Dictionary<string, string?>
        {
            ["Commands:cdn-config:Executable"] = "/bin/echo",
            ["Commands:cdn-config:Arguments:0"] = "{profile}",
            ["Commands:cdn-config-revert:Executable"] = "/bin/sh",
            ["Commands:cdn-config-revert:Arguments:0"] = "-c",
            ["Commands:cdn-config-revert:Arguments:1"] =
                $"n=$(cat {counter} 2>/dev/null || echo 0); n=$((n+1)); echo $n > {counter}; if [ $n -le 20 ]; then echo \"CDN API busy (attempt $n)\" >&2; exit 3; fi; echo reverted",
        };
        try
        {
            // Escalations every 5 minutes, so the 20 failed rounds (a minute apart) are escalated several times.
            runbook["Policy:Path"] = WindowHarness.PolicyVariant(yaml => yaml.Replace("  escalateEvery: 15m\n", "  escalateEvery: 5m\n", StringComparison.Ordinal));
            await using var harness = await WindowHarness.StartAsync(runbook);
            var plan = await BrokenPromotionAfterAsync(harness, new CommandStep
            {
                Id = "cdn-profile",
                Title = "Switch the CDN to the v41 cache profile",
                Command = "cdn-config",
                Args = new Dictionary<string, string> { ["profile"] = "v41" },
                Rollback = new CommandStep { Id = "cdn-profile-revert", Title = "Restore the previous CDN cache profile", Command = "cdn-config-revert" },
            });
            var handle = await harness.ScheduleAsync(plan);
            await harness.ApproveAsync(handle);
            await WindowHarness.AcknowledgeChecklistAsync(handle, plan);

            var report = await handle.GetResultAsync();

            Assert.True(report.Outcome == WindowPhase.RolledBack, report.Summary);
            Assert.Equal("21", (await File.ReadAllTextAsync(counter)).Trim());
            Assert.All(report.Compensations, c => Assert.Equal(CompensationOutcome.Undone, c.Outcome));
            var escalations = report.OperatorActions.Where(a => a.Action == "escalate" && a.Reason!.Contains("cdn-profile", StringComparison.Ordinal)).ToList();
            Assert.True(escalations.Count >= 2, $"{escalations.Count} escalations");
            Assert.Contains("CDN API busy", escalations[^1].Reason, StringComparison.Ordinal);
            Assert.True(report.Notices.Count(n => n.Kind == NoticeKind.Escalation) >= escalations.Count);
        }
        finally
        {
            File.Delete(counter);
        }
    }

    [Fact]
    public async Task Rollback_ManualRollbackStepNeverAcknowledged_EscalatesThenFailsAtTheDeadlineNamingTheChange()
    {
        await using var harness = await WindowHarness.StartAsync(new Dictionary<string, string?> { ["Commands:cdn-config:Executable"] = "/bin/echo" });
        var plan = await BrokenPromotionAfterAsync(harness, new CommandStep
        {
            Id = "cdn-profile",
            Title = "Switch the CDN to the v41 cache profile",
            Command = "cdn-config",
            Rollback = new ManualStep { Id = "cdn-profile-revert", Title = "Revert the CDN profile in the vendor console", Instructions = "Select the previous profile and publish" },
        });
        var handle = await harness.ScheduleAsync(plan);
        await harness.ApproveAsync(handle);
        await WindowHarness.AcknowledgeChecklistAsync(handle, plan);

        var report = await handle.GetResultAsync();

        Assert.True(report.Outcome == WindowPhase.Failed, report.Summary);
        Assert.Contains("not undone: cdn-profile", report.Summary, StringComparison.Ordinal);
        Assert.Contains("rollback deadline", report.Summary, StringComparison.Ordinal);
        var rollbackStarted = report.Phases.Single(p => p.Phase == WindowPhase.RollingBack).At;
        Assert.Equal(rollbackStarted + harness.Policy.Rollback.Deadline, report.FinishedAt, TimeSpan.FromMinutes(5));
        Assert.True(report.OperatorActions.Count(a => a.Action == "escalate") >= 2);
        var p1 = report.Notices.Last(n => n.Kind == NoticeKind.Escalation);
        Assert.Contains(p1.Deliveries, d => d.Channel == "slack-team-ops" && d.Status == DeliveryStatus.Delivered);
        Assert.Contains("P1", harness.World.Chat.Received["slack-team-ops"].GetRawText(), StringComparison.Ordinal);
        // The alias was restored; only the manual change is left for people.
        Assert.Equal(CompensationOutcome.Undone, report.Compensations.Single(c => c.StepId == "promote-prod").Outcome);
    }

    [Fact]
    public async Task Rollback_OperatorAbandonsTheManualRollbackStep_FailsAtOnceWithP1()
    {
        await using var harness = await WindowHarness.StartAsync(new Dictionary<string, string?> { ["Commands:cdn-config:Executable"] = "/bin/echo" });
        var plan = await BrokenPromotionAfterAsync(harness, new CommandStep
        {
            Id = "cdn-profile",
            Title = "Switch the CDN to the v41 cache profile",
            Command = "cdn-config",
            Rollback = new ManualStep { Id = "cdn-profile-revert", Title = "Revert the CDN profile in the vendor console", Instructions = "Select the previous profile and publish" },
        });
        var handle = await harness.ScheduleAsync(plan);
        await harness.ApproveAsync(handle);
        await WindowHarness.AcknowledgeChecklistAsync(handle, plan);
        await WaitForAsync(harness, handle, s => s.WaitingFor?.Contains("cdn-profile-revert", StringComparison.Ordinal) == true);

        await handle.SignalAsync(WindowHandlers.Acknowledge, [new Acknowledgement { Item = "cdn-profile-revert", By = "ops-lead", Note = "vendor console down", Abandon = true }]);
        var report = await handle.GetResultAsync();

        Assert.True(report.Outcome == WindowPhase.Failed, report.Summary);
        Assert.Contains("abandoned by ops-lead: vendor console down", report.Summary, StringComparison.Ordinal);
        Assert.True(report.FinishedAt - report.Phases.Single(p => p.Phase == WindowPhase.RollingBack).At < harness.Policy.Rollback.Deadline);
    }

    [Fact]
    public async Task Rollback_PromotionFailedAfterTheAliasMoved_RestoredFromTheMarker()
    {
        await using var harness = await WindowHarness.StartAsync();
        var prod = harness.World.Function.Alias(SandboxWorld.ProdAlias);
        prod.Description = "owned by team-beak";
        var original = prod.FunctionVersion;
        // The alias moves, but the promotion's answer is lost and it fails for good: the workflow never learns what it changed.
        harness.World.Lambda.FailNext("UpdateAlias", 400, "InvalidParameterValueException", "answer lost after the change", afterApplying: true);
        var plan = await harness.PlanAsync("lambda-v40-promotion.yaml");
        var handle = await harness.ScheduleAsync(plan);
        await harness.ApproveAsync(handle);
        await WindowHarness.AcknowledgeChecklistAsync(handle, plan);

        var report = await handle.GetResultAsync();

        Assert.True(report.Outcome == WindowPhase.RolledBack, report.Summary);
        Assert.Equal(StepOutcome.Failed, Assert.Single(report.Steps, s => s.StepId == "promote-prod").Outcome);
        var undo = Assert.Single(report.Compensations, c => c.StepId == "promote-prod");
        Assert.Equal(CompensationOutcome.Undone, undo.Outcome);
        Assert.Contains("from the alias marker", undo.Detail, StringComparison.Ordinal);
        Assert.Equal(original, prod.FunctionVersion);
        Assert.Equal("owned by team-beak", prod.Description);
    }

    [Fact]
    public async Task Rollback_PromotionCancelledAfterTheAliasMoved_RestoredFromTheMarker()
    {
        await using var harness = await WindowHarness.StartAsync();
        var prod = harness.World.Function.Alias(SandboxWorld.ProdAlias);
        prod.Description = "owned by team-beak";
        var original = prod.FunctionVersion;
        // The alias moves, but Lambda's answer does not come: the promotion is still waiting on it when the operator aborts.
        var held = harness.World.Lambda.HoldNext("UpdateAlias");
        var plan = await harness.PlanAsync("lambda-v40-promotion.yaml");
        var handle = await harness.ScheduleAsync(plan);
        await harness.ApproveAsync(handle);
        await WindowHarness.AcknowledgeChecklistAsync(handle, plan);

        // Awaiting the result lets time run to the start; the promotion then applies the change and waits for the answer.
        var result = handle.GetResultAsync();
        Assert.Same(held.Reached, await Task.WhenAny(held.Reached, result));
        Assert.NotEqual(original, prod.FunctionVersion);
        await handle.SignalAsync(WindowHandlers.Abort, [new OperatorCommand { By = "ops-lead", Reason = "customer escalation" }]);
        var report = await result;

        Assert.True(report.Outcome == WindowPhase.RolledBack, report.Summary);
        // The abort reached the running promotion: it stopped waiting on Lambda instead of running to its timeout.
        Assert.True(held.CallerGaveUp.IsCompleted, "the promotion never gave up its held UpdateAlias call");
        var step = Assert.Single(report.Steps, s => s.StepId == "promote-prod");
        Assert.Equal(StepOutcome.Cancelled, step.Outcome);
        var undo = Assert.Single(report.Compensations, c => c.StepId == "promote-prod");
        Assert.Equal(CompensationOutcome.Undone, undo.Outcome);
        Assert.Contains("from the alias marker", undo.Detail, StringComparison.Ordinal);
        Assert.Equal(original, prod.FunctionVersion);
        Assert.Equal("owned by team-beak", prod.Description);
        // Cancelled once, not retried: one UpdateAlias for the promotion and one for the restore.
        Assert.Equal(2, harness.World.Lambda.Calls("UpdateAlias"));
    }

    [Fact]
    public async Task Status_FinishedEmergencyWindow_ShowsTheAfterChecklistThenTheApprovalAfterTheFactWithTheirDeadlines()
    {
        await using var harness = await WindowHarness.StartAsync(EmergencyTests.ProxyRunbook);
        var plan = await harness.PlanAsync("emergency-proxy-fix.yaml");
        var handle = await harness.ScheduleAsync(plan);
        var approvalDeadline = new DateTimeOffset((await handle.DescribeAsync()).StartTime, TimeSpan.Zero) + harness.Policy.Types.Emergency.Approval.DeadlineAfterRequest!.Value;
        foreach (var item in plan.Checklist.Where(i => !i.IsAutomated && i.Phase == ChecklistPhase.Before))
        {
            await handle.SignalAsync(WindowHandlers.Acknowledge, [new Acknowledgement { Item = item.Id, By = "sre-oncall", Note = "done" }]);
        }

        // The work is done, unapproved (an emergency may run first): the window still waits for its after-checklist ...
        var after = await WaitForAsync(harness, handle, s => s.Phase == WindowPhase.Completed && s.WaitingFor is not null);
        Assert.Contains("'incident-log'", after.WaitingFor, StringComparison.Ordinal);
        Assert.Equal("after checklist", after.NextDeadline?.What);
        Assert.True(after.NextDeadline!.At > await NowAsync(harness), $"deadline {after.NextDeadline.At} is not ahead");
        await handle.SignalAsync(WindowHandlers.Acknowledge, [new Acknowledgement { Item = "incident-log", By = "sre-oncall", Note = "INC logged" }]);

        // ... and then for the approval after the fact, until the approval deadline.
        var approval = await WindowHarness.WaitForAsync(handle, s => s.WaitingFor?.Contains("approval after the fact", StringComparison.Ordinal) == true);
        Assert.Equal(WindowPhase.Completed, approval.Phase);
        Assert.Contains("0/1", approval.WaitingFor, StringComparison.Ordinal);
        Assert.Equal("approval deadline", approval.NextDeadline?.What);
        Assert.Equal(approvalDeadline, approval.NextDeadline!.At, TimeSpan.FromSeconds(5));
        await harness.ApproveAsync(handle, approver: "ops-lead", comment: "retroactive approval for INC");
        var report = await handle.GetResultAsync();

        Assert.True(report.Outcome == WindowPhase.Completed, report.Summary);
        Assert.Contains("approved late", report.Summary, StringComparison.Ordinal);
        var finished = await handle.QueryAsync(wf => wf.Status);
        Assert.Null(finished.WaitingFor);
        Assert.Null(finished.NextDeadline);
    }

    [Theory]
    [InlineData(WindowPhase.Scheduled)]
    [InlineData(WindowPhase.AwaitingApproval)]
    [InlineData(WindowPhase.InProgress)]
    [InlineData(WindowPhase.Verifying)]
    public async Task Cancel_ThroughTemporalInEachPhase_EndsCanceled(WindowPhase phase)
    {
        await using var harness = await WindowHarness.StartAsync(new Dictionary<string, string?> { ["Commands:cdn-config:Executable"] = "/bin/echo" });
        var plan = await harness.PlanAsync("lambda-v40-promotion.yaml");
        if (phase == WindowPhase.InProgress)
        {
            // Hold the work at a manual step after the promotion, so the cancellation lands mid-execution.
            plan = plan with { Steps = [.. plan.Steps, new ManualStep { Id = "smoke-by-hand", Title = "Smoke test by hand", Instructions = "Open the app" }] };
        }
        var handle = await harness.ScheduleAsync(plan);
        if (phase != WindowPhase.AwaitingApproval)
        {
            await harness.ApproveAsync(handle);
        }
        await WindowHarness.AcknowledgeChecklistAsync(handle, plan);
        switch (phase)
        {
            case WindowPhase.AwaitingApproval:
                await SleepUntilAsync(harness, plan.Window.Start - TimeSpan.FromHours(23));
                break;
            case WindowPhase.InProgress:
                await WaitForAsync(harness, handle, s => s.Phase == WindowPhase.InProgress && s.WaitingFor?.Contains("smoke-by-hand", StringComparison.Ordinal) == true);
                break;
            case WindowPhase.Verifying:
                await SleepUntilAsync(harness, plan.Window.Start + TimeSpan.FromMinutes(4));
                break;
        }
        Assert.Equal(phase, (await handle.QueryAsync(wf => wf.Status)).Phase);

        await handle.CancelAsync();
        var failure = await Assert.ThrowsAsync<WorkflowFailedException>(() => handle.GetResultAsync());

        Assert.IsType<CanceledFailureException>(failure.InnerException);
        Assert.Equal(WorkflowExecutionStatus.Canceled, (await handle.DescribeAsync()).Status);
        var status = await handle.QueryAsync(wf => wf.Status);
        var expected = phase is WindowPhase.InProgress or WindowPhase.Verifying ? WindowPhase.RolledBack : WindowPhase.Cancelled;
        Assert.Equal(expected, status.Phase);
        Assert.Equal(SandboxWorld.InitialProdVersion, harness.World.Function.Alias(SandboxWorld.ProdAlias).FunctionVersion);
        Assert.Null(status.NextDeadline);
    }

    private static async Task<MaintenancePlan> BrokenPromotionAfterAsync(WindowHarness harness, PlanStep first)
    {
        harness.World.Function.Alias(SandboxWorld.ProdAlias).FunctionVersion = "40";
        harness.World.Service.Break("41", VersionFault.BadGateway);
        var plan = await harness.PlanAsync("lambda-v41-promotion.yaml");
        return plan with { Steps = [first, .. plan.Steps] };
    }

    /// <summary>Lets the virtual clock run until the window shows the state (the shared driver of the demo and the harness).</summary>
    private static async Task<WindowStatus> WaitForAsync(WindowHarness harness, WorkflowHandle<MaintenanceWindowWorkflow, MaintenanceReport> handle, Func<WindowStatus, bool> condition)
    {
        var status = await Starter.Demo.WindowDriver.RunUntilAsync(harness.Env, handle, condition);
        if (status is null)
        {
            throw new InvalidOperationException($"{handle.Id} closed before it reached the expected state: {(await handle.GetResultAsync()).Summary}");
        }
        return status;
    }

    private static async Task<DateTimeOffset> NowAsync(WindowHarness harness) => new(await harness.Env.GetCurrentTimeAsync(), TimeSpan.Zero);

    private static async Task SleepUntilAsync(WindowHarness harness, DateTimeOffset until)
    {
        var now = new DateTimeOffset(await harness.Env.GetCurrentTimeAsync(), TimeSpan.Zero);
        if (until > now)
        {
            await harness.Env.DelayAsync(until - now);
        }
    }
}
