using MaintenanceWorkflows.Workflows;
using MaintenanceWorkflows.Workflows.Plans;
using Temporalio.Client;
using Temporalio.Exceptions;

namespace MaintenanceWorkflows.EndToEnd.Tests.Windows;

/// <summary>
/// Issue 12 item 3: a checklist item counts only while its phase is open (before-items until the work begins,
/// during-items while the steps run, after-items once the work completed). Earlier or later ones, unknown items,
/// strangers and oversized payloads are refused, recorded, and change nothing.
/// </summary>
public sealed class ChecklistPhaseTests
{
    [Fact]
    public async Task Acknowledge_ItemsOutsideTheirPhase_RefusedAndRecordedThenAcceptedInTheirPhase()
    {
        await using var harness = await WindowHarness.StartAsync();
        var example = await harness.PlanAsync("lambda-v40-promotion.yaml");
        // A during-item that holds the window after its steps, and a before-item nobody ticks in time (not blocking).
        var plan = example with
        {
            Checklist =
            [
                .. example.Checklist,
                new ChecklistItem { Id = "watch-dashboards", Text = "Dashboards watched while the alias moves", Phase = ChecklistPhase.During },
                new ChecklistItem { Id = "heads-up", Text = "Support told before the work", Phase = ChecklistPhase.Before, Blocking = false },
            ],
        };
        var handle = await harness.ScheduleAsync(plan);
        await harness.ApproveAsync(handle);

        // Too early: an after-item and a during-item before the work began, by signal and by update.
        await handle.SignalAsync(WindowHandlers.Acknowledge, [new Acknowledgement { Item = "deployment-log", By = "sre-oncall", Note = "too early" }]);
        await handle.SignalAsync(WindowHandlers.Acknowledge, [new Acknowledgement { Item = "watch-dashboards", By = "sre-oncall" }]);
        var early = await Assert.ThrowsAsync<WorkflowUpdateFailedException>(() => handle.ExecuteUpdateAsync(
            wf => wf.SubmitAcknowledgementAsync(new Acknowledgement { Item = "deployment-log", By = "sre-oncall" })));
        // Unknown item, a stranger, and oversized fields.
        await handle.SignalAsync(WindowHandlers.Acknowledge, [new Acknowledgement { Item = "agent-flet", By = "sre-oncall" }]);
        await handle.SignalAsync(WindowHandlers.Acknowledge, [new Acknowledgement { Item = "agent-fleet", By = "mallory" }]);
        await handle.SignalAsync(WindowHandlers.Acknowledge, [new Acknowledgement { Item = "agent-fleet", By = "sre-oncall", Note = new string('n', 5000) }]);
        await handle.SignalAsync(WindowHandlers.Acknowledge, [new Acknowledgement { Item = new string('i', 1 << 16), By = "sre-oncall" }]);
        var waiting = await WindowHarness.WaitForAsync(handle, s => s.RefusalCount == 6);

        var refusal = (ApplicationFailureException)early.InnerException!;
        Assert.Equal(MaintenanceWindowWorkflow.RefusedOutOfPhase, refusal.ErrorType);
        Assert.Contains("'deployment-log' is on the after checklist; it is taken only once the work has completed", refusal.Message, StringComparison.Ordinal);
        Assert.All(waiting.Checklist.Where(i => i.Check is null), i => Assert.False(i.Done, i.Id));

        await WindowHarness.AcknowledgeChecklistAsync(handle, plan with { Checklist = [.. plan.Checklist.Where(i => i.Id != "heads-up")] }, by: "sre-oncall");
        var during = await harness.AcknowledgeWhenOpenAsync(handle, plan, ChecklistPhase.During, by: "sre-oncall");
        Assert.Equal(["watch-dashboards"], during.Select(i => i.Id));
        // Too late: the before-item once the work has begun.
        await handle.SignalAsync(WindowHandlers.Acknowledge, [new Acknowledgement { Item = "heads-up", By = "sre-oncall", Note = "forgot" }]);
        await WindowHarness.WaitForAsync(handle, s => s.RefusalCount == 7);
        var after = await harness.AcknowledgeWhenOpenAsync(handle, plan, ChecklistPhase.After, by: "sre-oncall");
        Assert.Equal(["deployment-log"], after.Select(i => i.Id));
        var report = await handle.GetResultAsync();

        Assert.True(report.Outcome == WindowPhase.Completed, report.Summary);
        Assert.DoesNotContain("not acknowledged", report.Summary, StringComparison.Ordinal);
        Assert.Equal(7, report.RefusalCount);
        Assert.Equal(
            [
                MaintenanceWindowWorkflow.RefusedOutOfPhase,
                MaintenanceWindowWorkflow.RefusedOutOfPhase,
                MaintenanceWindowWorkflow.RefusedUnknownItem,
                MaintenanceWindowWorkflow.RefusedUnknownPerson,
                MaintenanceWindowWorkflow.RefusedTooLong,
                MaintenanceWindowWorkflow.RefusedTooLong,
                MaintenanceWindowWorkflow.RefusedOutOfPhase,
            ],
            report.Refusals.Select(r => r.Code));
        Assert.Contains("'heads-up' is on the before checklist; it is taken only before the work begins", report.Refusals[^1].Reason, StringComparison.Ordinal);
        Assert.All(report.Refusals, r => Assert.True(r.Reason.Length < 2000, r.Code));
        Assert.DoesNotContain(report.Acknowledgements, a => a.Item == "heads-up");
        // Each item was acknowledged once, in its phase.
        var byItem = report.Acknowledgements.ToDictionary(a => a.Item, a => a.At);
        var started = report.Phases.First(p => p.Phase == WindowPhase.PreChecks).At;
        var completed = report.Phases.Single(p => p.Phase == WindowPhase.Completed).At;
        Assert.True(byItem["agent-fleet"] <= started);
        Assert.InRange(byItem["watch-dashboards"], started, completed);
        Assert.True(byItem["deployment-log"] >= completed);
    }
}
