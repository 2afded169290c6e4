using MaintenanceWorkflows.Workflows;
using MaintenanceWorkflows.Workflows.Plans;
using Temporalio.Client;
using Temporalio.Exceptions;

namespace MaintenanceWorkflows.EndToEnd.Tests.Windows;

/// <summary>Approvals: N-of-M with gates, refusals through updates and signals, rejection, missed deadline.</summary>
public sealed class ApprovalTests
{
    [Fact]
    public async Task SubmitApproval_IneligibleSelfAndRepeatedVotes_RefusedWithReasonAndNothingRecorded()
    {
        await using var harness = await WindowHarness.StartAsync();
        var plan = await harness.PlanAsync("lambda-v40-promotion.yaml");
        var handle = await harness.ScheduleAsync(plan);

        var stranger = await Assert.ThrowsAsync<WorkflowUpdateFailedException>(() => handle.ExecuteUpdateAsync(
            wf => wf.SubmitApprovalAsync(new ApprovalVote { Approver = "mallory", Decision = VoteDecision.Approve })));
        Assert.Contains("'mallory' is not an eligible approver", ((ApplicationFailureException)stranger.InnerException!).Message, StringComparison.Ordinal);
        Assert.Equal(ApprovalRules.NotEligible, ((ApplicationFailureException)stranger.InnerException!).ErrorType);

        var self = await Assert.ThrowsAsync<WorkflowUpdateFailedException>(() => handle.ExecuteUpdateAsync(
            wf => wf.SubmitApprovalAsync(new ApprovalVote { Approver = plan.Requester, Decision = VoteDecision.Approve })));
        Assert.Equal(ApprovalRules.SelfApproval, ((ApplicationFailureException)self.InnerException!).ErrorType);

        var code = await harness.CodeAsync(handle.Id, "T-JOSH", "approve");
        var receipt = await handle.ExecuteUpdateAsync(wf => wf.SubmitApprovalAsync(new ApprovalVote { Approver = "T-JOSH", Decision = VoteDecision.Approve, Comment = "gate ok", Code = code }));
        Assert.True(receipt.Status.Approved);
        var again = await Assert.ThrowsAsync<WorkflowUpdateFailedException>(() => handle.ExecuteUpdateAsync(
            wf => wf.SubmitApprovalAsync(new ApprovalVote { Approver = "T-JOSH", Decision = VoteDecision.Reject })));
        Assert.Equal(ApprovalRules.DuplicateVote, ((ApplicationFailureException)again.InnerException!).ErrorType);

        var status = await handle.QueryAsync(wf => wf.Status);
        var vote = Assert.Single(status.Approvals.ApprovedBy);
        Assert.Equal("T-JOSH", vote);
        Assert.Null(status.LastRefusal);

        // Rejected updates leave no trace in the history: only the accepted vote is there (besides the requester's confirmation).
        var history = await handle.FetchHistoryAsync();
        Assert.Single(history.Events, e => e.WorkflowExecutionUpdateAcceptedEventAttributes?.AcceptedRequest.Input.Name == WindowHandlers.SubmitApproval);
    }

    [Fact]
    public async Task ApproveSignal_IneligibleApproverAndGarbage_IgnoredAndRecordedAsRefused()
    {
        await using var harness = await WindowHarness.StartAsync();
        var plan = await harness.PlanAsync("lambda-v40-promotion.yaml");
        var handle = await harness.ScheduleAsync(plan);

        await handle.SignalAsync(WindowHandlers.Approve, [new ApprovalSignal { Approver = "mallory" }]);
        await handle.SignalAsync(WindowHandlers.Approve, [new ApprovalSignal { Approver = plan.Requester }]);
        await handle.SignalAsync(WindowHandlers.Approve, ["T-JOSH"]);
        await handle.SignalAsync(WindowHandlers.Approve, [42]);
        await handle.SignalAsync(WindowHandlers.Approve, []);
        await handle.SignalAsync(WindowHandlers.Approve, [new Dictionary<string, object> { ["aprover"] = "T-JOSH" }]);
        await handle.SignalAsync("approve", [new ApprovalSignal { Approver = "T-JOSH" }]);
        await handle.SignalAsync(WindowHandlers.Extend, [new Dictionary<string, object> { ["until"] = "2030-01-01T10:00", ["by"] = "ops-lead" }]);
        // Lower-case field names, as a person types them into the Temporal UI, are fine.
        var code = await harness.CodeAsync(handle.Id, "T-JOSH", "approve");
        await handle.SignalAsync(WindowHandlers.Approve, [new Dictionary<string, object> { ["approver"] = "T-JOSH", ["code"] = code, ["comment"] = "typed in the UI" }]);
        await WindowHarness.AcknowledgeChecklistAsync(handle, plan);

        var report = await handle.GetResultAsync();

        Assert.Equal(WindowPhase.Completed, report.Outcome);
        var vote = Assert.Single(report.Votes);
        Assert.Equal("T-JOSH", vote.Vote.Approver);
        Assert.Equal("typed in the UI", vote.Vote.Comment);
        Assert.Equal(SignalChannel.Signal, vote.Via);
        var refusals = report.Refusals.Select(r => (r.Handler, r.Code)).ToList();
        Assert.Equal(
            [
                (WindowHandlers.Approve, ApprovalRules.NotEligible),
                (WindowHandlers.Approve, ApprovalRules.SelfApproval),
                (WindowHandlers.Approve, MaintenanceWindowWorkflow.RefusedPayload),
                (WindowHandlers.Approve, MaintenanceWindowWorkflow.RefusedPayload),
                (WindowHandlers.Approve, MaintenanceWindowWorkflow.RefusedPayload),
                (WindowHandlers.Approve, MaintenanceWindowWorkflow.RefusedPayload),
                ("approve", MaintenanceWindowWorkflow.RefusedUnknownSignal),
                (WindowHandlers.Extend, MaintenanceWindowWorkflow.RefusedPayload),
            ],
            refusals);
        Assert.Contains("unknown field 'aprover'", report.Refusals[5].Reason, StringComparison.Ordinal);
        Assert.Contains("with an offset", report.Refusals[7].Reason, StringComparison.Ordinal);
        Assert.Contains("no argument", report.Refusals[4].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RejectSignal_BeforeTheWindow_RejectsWithoutChangingAnything()
    {
        await using var harness = await WindowHarness.StartAsync();
        var plan = await harness.PlanAsync("lambda-v40-promotion.yaml");
        var handle = await harness.ScheduleAsync(plan);
        await handle.SignalAsync(WindowHandlers.Reject, [new ApprovalSignal { Approver = "ops-lead-2", Comment = "x" }]);
        var code = await harness.CodeAsync(handle.Id, "sre-oncall", "reject");
        await handle.SignalAsync(WindowHandlers.Reject, [new ApprovalSignal { Approver = "sre-oncall", Code = code, Comment = "conflicts with the billing run" }]);

        var report = await handle.GetResultAsync();

        Assert.Equal(WindowPhase.Rejected, report.Outcome);
        Assert.Contains("rejected by sre-oncall: conflicts with the billing run", report.Summary, StringComparison.Ordinal);
        Assert.Empty(report.Steps);
        Assert.Equal("39", harness.World.Function.Alias("prod").FunctionVersion);
        Assert.Contains(report.Notices, n => n.Kind == NoticeKind.Cancelled);
    }

    [Fact]
    public async Task Run_NoApprovalByDeadline_EscalatesThenCancels()
    {
        await using var harness = await WindowHarness.StartAsync();
        var plan = await harness.PlanAsync("lambda-v40-promotion.yaml");
        var handle = await harness.ScheduleAsync(plan);

        var report = await handle.GetResultAsync();

        Assert.Equal(WindowPhase.Cancelled, report.Outcome);
        Assert.Contains("not approved by the deadline", report.Summary, StringComparison.Ordinal);
        var kinds = report.Notices.Select(n => n.Kind).ToList();
        Assert.True(kinds.IndexOf(NoticeKind.Escalation) > kinds.IndexOf(NoticeKind.ApprovalRequest), string.Join(", ", kinds));
        Assert.Equal(NoticeKind.Cancelled, kinds[^1]);
        var deadline = plan.Window.Start - harness.Policy.Types.Routine.Approval.DeadlineBeforeStart!.Value;
        Assert.Equal(deadline, report.FinishedAt, TimeSpan.FromMinutes(1));
        Assert.Contains(report.Phases, p => p.Phase == WindowPhase.AwaitingApproval);
    }
}
