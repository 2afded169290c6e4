using System.Text;
using Google.Protobuf;
using MaintenanceWorkflows.Workflows;
using MaintenanceWorkflows.Workflows.Governance;
using MaintenanceWorkflows.Tests.Shared;
using MaintenanceWorkflows.Workflows.Plans;
using Temporalio.Client;
using Temporalio.Exceptions;

namespace MaintenanceWorkflows.EndToEnd.Tests.Windows;

/// <summary>
/// Issue 12: whoever can reach Temporal can send any signal, and none of that alone approves, extends or
/// weakens a window. Codes come from the emails the worker sent to each person's own address, as in production.
/// </summary>
public sealed class GovernanceTests
{
    [Fact]
    public async Task Approve_ForgedWithoutProof_RefusedAndChangesNothing()
    {
        await using var harness = await WindowHarness.StartAsync();
        var plan = await harness.PlanAsync("lambda-v40-promotion.yaml");
        var handle = await harness.ScheduleAsync(plan);

        await handle.SignalAsync(WindowHandlers.Approve, [new ApprovalSignal { Approver = "T-JOSH", Comment = "forged" }]);
        var update = await Assert.ThrowsAsync<WorkflowUpdateFailedException>(() => handle.ExecuteUpdateAsync(
            wf => wf.SubmitApprovalAsync(new ApprovalVote { Approver = "T-JOSH", Decision = VoteDecision.Approve })));
        await handle.SignalAsync(WindowHandlers.Approve, [new ApprovalSignal { Approver = "T-JOSH", Code = "k1-AAAA-BBBB-CCCC-DDDD" }]);

        Assert.Equal(MaintenanceWindowWorkflow.RefusedProofMissing, ((ApplicationFailureException)update.InnerException!).ErrorType);
        var status = await WindowHarness.WaitForAsync(handle, s => s.RefusalCount == 3);
        Assert.Empty(status.Approvals.ApprovedBy);
        Assert.Contains(status.Approvals.MissingGates, g => g.Approvers.Contains("T-JOSH"));
        Assert.Equal(MaintenanceWindowWorkflow.RefusedProofInvalid, status.LastRefusal!.Code);
        Assert.Contains("is not T-JOSH's approve code", status.LastRefusal.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("AAAA-BBBB", status.LastRefusal.Reason, StringComparison.Ordinal);
        await AssertNoSecretsAsync(harness, handle, await OpenCodesAsync(harness, handle.Id));
    }

    [Fact]
    public async Task Approve_ProofOfAnotherWindowApproverOrDecision_Refused()
    {
        await using var harness = await WindowHarness.StartAsync();
        var plan = await harness.PlanAsync("lambda-v40-promotion.yaml");
        var other = await harness.PlanAsync("lambda-v40-promotion.yaml");
        var handle = await harness.ScheduleAsync(plan);
        var otherHandle = await harness.ScheduleAsync(other);
        var joshApprove = await harness.CodeAsync(handle.Id, "T-JOSH", "approve");
        var otherWindowCode = await harness.CodeAsync(otherHandle.Id, "T-JOSH", "approve");

        // Another window's code, T-JOSH's code under another approver's name, and the approve code sent as a rejection.
        await handle.SignalAsync(WindowHandlers.Approve, [new ApprovalSignal { Approver = "T-JOSH", Code = otherWindowCode }]);
        await handle.SignalAsync(WindowHandlers.Approve, [new ApprovalSignal { Approver = "sre-oncall", Code = joshApprove }]);
        await handle.SignalAsync(WindowHandlers.Reject, [new ApprovalSignal { Approver = "T-JOSH", Code = joshApprove }]);

        var status = await WindowHarness.WaitForAsync(handle, s => s.RefusalCount == 3);
        Assert.Empty(status.Approvals.ApprovedBy);
        Assert.Empty(status.Approvals.RejectedBy);
        var report = await CancelAsync(handle);
        Assert.All(report.Refusals, r => Assert.Equal(MaintenanceWindowWorkflow.RefusedProofInvalid, r.Code));
        Assert.Equal(["T-JOSH", "T-JOSH", "sre-oncall"], report.Refusals.Select(r => r.By).Order(StringComparer.Ordinal));

        // The real code still works on its own window.
        await harness.ApproveAsync(otherHandle);
        Assert.Contains("T-JOSH", (await otherHandle.QueryAsync(wf => wf.Status)).Approvals.ApprovedBy);
        await CancelAsync(otherHandle);
    }

    [Fact]
    public async Task Approve_CodeOfAnEarlierRunOfTheSameWindow_Refused()
    {
        await using var harness = await WindowHarness.StartAsync();
        var plan = await harness.PlanAsync("lambda-v40-promotion.yaml");
        var first = await harness.ScheduleAsync(plan);
        var firstRunCode = await harness.CodeAsync(first.Id, "T-JOSH", "approve");
        await CancelAsync(first);

        var second = await harness.ScheduleAsync(plan);
        Assert.NotEqual(first.ResultRunId, second.ResultRunId);
        await second.SignalAsync(WindowHandlers.Approve, [new ApprovalSignal { Approver = "T-JOSH", Code = firstRunCode }]);

        var status = await WindowHarness.WaitForAsync(second, s => s.RefusalCount == 1);
        Assert.Empty(status.Approvals.ApprovedBy);
        Assert.Equal(MaintenanceWindowWorkflow.RefusedProofInvalid, status.LastRefusal!.Code);
        await CancelAsync(second);
    }

    [Fact]
    public async Task Schedule_ClientSendsAPermissivePolicy_WorkerPolicyGovernsAndItsHashIsShown()
    {
        await using var harness = await WindowHarness.StartAsync();
        var plan = await harness.PlanAsync("lambda-v40-promotion.yaml");
        var permissive = harness.Policy with
        {
            Approvals = harness.Policy.Approvals with { Gates = [], RequesterMayApprove = true, Approvers = [new Approver { Id = plan.Requester }] },
            Types = harness.Policy.Types with { Routine = harness.Policy.Types.Routine with { Approval = new TypeApprovalRule { Required = 0, Proof = ProofMode.None } } },
        };
        // What an old or hostile client can still send: the plan plus a policy of its own.
        var handle = await harness.Client.StartWorkflowAsync(
            "MaintenanceWindowWorkflow",
            [new { Plan = plan, Policy = permissive, ScheduledBy = "mallory" }],
            new WorkflowOptions(MaintenanceWindowInput.WorkflowIdFor(plan.Id), harness.TaskQueue));

        await handle.SignalAsync(WindowHandlers.Approve, [new ApprovalSignal { Approver = plan.Requester, Comment = "my own" }]);
        var status = await WindowHarness.WaitForAsync(handle, s => s.RefusalCount == 1);

        Assert.Equal(PolicyHash.Of(await File.ReadAllBytesAsync(WindowHarness.PolicyPath)), status.PolicyHash);
        Assert.Equal(1, status.Approvals.Required);
        Assert.Contains(status.Approvals.MissingGates, g => g.Id == "t-josh-lambda-promotion");
        Assert.DoesNotContain(plan.Requester, status.EligibleApprovers);
        Assert.Equal(ApprovalRules.SelfApproval, status.LastRefusal!.Code);
        await handle.CancelAsync();
    }

    [Fact]
    public async Task Requester_NamesSomeoneElseAsRequesterToApproveTheirOwnChange_VotesDoNotCountWithoutThatPersonsConfirmation()
    {
        // The example policy has requesterConfirms on.
        await using var harness = await WindowHarness.StartAsync();
        // ops-lead wants to ship their own change and names sre-oncall as the requester.
        var plan = (await harness.PlanAsync("lambda-v40-promotion.yaml")) with { Requester = "sre-oncall" };
        var handle = await harness.ScheduleUnconfirmedAsync(plan);

        await harness.ApproveAsync(handle, approver: "ops-lead", comment: "my own change");
        await harness.ApproveAsync(handle);
        await handle.SignalAsync(WindowHandlers.Confirm, [new ConfirmCommand { By = "sre-oncall" }]);
        await handle.SignalAsync(WindowHandlers.Confirm, [new ConfirmCommand { By = "ops-lead", Code = await harness.CodeAsync(handle.Id, "ops-lead", "approve") }]);
        var waiting = await WindowHarness.WaitForAsync(handle, s => s.RefusalCount == 2);

        Assert.Equal(["ops-lead", "T-JOSH"], waiting.Approvals.ApprovedBy);
        Assert.False(waiting.Approvals.Approved);
        Assert.Contains(waiting.Approvals.MissingGates, g => g.Id == "requester-confirmation" && g.Approvers.SequenceEqual(["sre-oncall"]));
        // The confirm code went to sre-oncall's own address only.
        Assert.All(harness.MailTo(handle.Id, harness.AddressOf("ops-lead")), m => Assert.Null(Starter.Demo.ApprovalEmail.Code(m.Text, "confirm")));
        var report = await handle.GetResultAsync();
        Assert.Equal(WindowPhase.Cancelled, report.Outcome);
        Assert.Contains("requester-confirmation (sre-oncall)", report.Summary, StringComparison.Ordinal);
        Assert.Empty(report.Steps);
    }

    [Fact]
    public async Task Requester_ConfirmsWithTheirOwnCode_VotesCount()
    {
        await using var harness = await WindowHarness.StartAsync();
        var plan = await harness.PlanAsync("lambda-v40-promotion.yaml");
        var handle = await harness.ScheduleUnconfirmedAsync(plan);

        await harness.ApproveAsync(handle);
        Assert.False((await handle.QueryAsync(wf => wf.Status)).Approvals.Approved);
        await handle.SignalAsync(WindowHandlers.Confirm, [new ConfirmCommand { By = plan.Requester, Code = await harness.CodeAsync(handle.Id, plan.Requester, "confirm") }]);

        var status = await WindowHarness.WaitForAsync(handle, s => s.Approvals.Approved || s.RefusalCount > 0);
        Assert.True(status.Approvals.Approved, status.LastRefusal?.Reason);
        var report = await CancelAsync(handle);
        Assert.Contains(report.OperatorActions, a => a.Action == "confirm" && a.By == plan.Requester);
    }

    [Fact]
    public async Task Gate_OtherApproverWithProofAndForgedGateApproval_NotApprovedUntilTheGateApproverProves()
    {
        await using var harness = await WindowHarness.StartAsync();
        var plan = await harness.PlanAsync("lambda-v40-promotion.yaml");
        var handle = await harness.ScheduleAsync(plan);

        await harness.ApproveAsync(handle, approver: "sre-oncall");
        await handle.SignalAsync(WindowHandlers.Approve, [new ApprovalSignal { Approver = "T-JOSH" }]);
        var waiting = await WindowHarness.WaitForAsync(handle, s => s.RefusalCount == 1);
        Assert.False(waiting.Approvals.Approved);
        Assert.Equal(["sre-oncall"], waiting.Approvals.ApprovedBy);
        Assert.Contains(waiting.Approvals.MissingGates, g => g.Id == "t-josh-lambda-promotion");

        await harness.ApproveAsync(handle);
        var approved = await handle.QueryAsync(wf => wf.Status);
        Assert.True(approved.Approvals.Approved);
        var report = await CancelAsync(handle);
        Assert.All(report.Votes, v => Assert.StartsWith("proof ok (key k1)", v.Vote.Proof, StringComparison.Ordinal));
        await AssertNoSecretsAsync(harness, handle, await OpenCodesAsync(harness, handle.Id));
    }

    [Fact]
    public async Task FreezeOverride_OtherApproverWithProofAndForgedOverrideApproval_NotApproved()
    {
        await using var harness = await WindowHarness.StartAsync();
        var plan = await harness.PlanAsync("flask-security-patch.yaml");
        var freeze = harness.Policy.Freezes.Single();
        var start = freeze.Start + TimeSpan.FromDays(4) + TimeSpan.FromHours(10);
        plan = plan with
        {
            Window = plan.Window with { Start = start, End = start + plan.Window.Duration },
            FreezeOverride = new FreezeOverride { Freeze = freeze.Id, Approver = "T-JOSH", Reason = "CVE fix cannot wait" },
        };
        Assert.False(PlanValidator.Validate(plan, harness.Policy, new DateTimeOffset(await harness.Env.GetCurrentTimeAsync(), TimeSpan.Zero)).HasErrors());
        var handle = await harness.ScheduleAsync(plan);

        await handle.SignalAsync(WindowHandlers.Approve, [new ApprovalSignal { Approver = "T-JOSH", Comment = "forged override" }]);
        await harness.ApproveAsync(handle, approver: "sre-oncall");
        await WindowHarness.AcknowledgeChecklistAsync(handle, plan, by: "sre-oncall");
        var report = await handle.GetResultAsync();

        // The override is a gate only its approver's proof opens: without it the window never starts.
        Assert.True(report.Outcome == WindowPhase.Cancelled, report.Summary);
        Assert.Contains($"gate(s) waiting: freeze-override:{freeze.Id} (T-JOSH)", report.Summary, StringComparison.Ordinal);
        Assert.Empty(report.Steps);
        Assert.Equal(["sre-oncall"], report.Votes.Select(v => v.Vote.Approver));
        Assert.Contains(report.Refusals, r => r.By == "T-JOSH" && r.Code == MaintenanceWindowWorkflow.RefusedProofMissing);
    }

    [Fact]
    public async Task Signals_FromNamesTheWorkerPolicyDoesNotKnow_RefusedForEverySignal()
    {
        await using var harness = await WindowHarness.StartAsync();
        var plan = await harness.PlanAsync("lambda-v40-promotion.yaml");
        var handle = await harness.ScheduleAsync(plan);

        await handle.SignalAsync(WindowHandlers.Approve, [new ApprovalSignal { Approver = "mallory", Code = "k1-AAAA-AAAA-AAAA-AAAA" }]);
        await handle.SignalAsync(WindowHandlers.Reject, [new ApprovalSignal { Approver = "mallory", Code = "k1-AAAA-AAAA-AAAA-AAAA" }]);
        await handle.SignalAsync(WindowHandlers.Acknowledge, [new Acknowledgement { Item = plan.Checklist.First(i => !i.IsAutomated).Id, By = "mallory" }]);
        foreach (var signal in new[] { WindowHandlers.Pause, WindowHandlers.Resume, WindowHandlers.Abort })
        {
            await handle.SignalAsync(signal, [new OperatorCommand { By = "mallory", Reason = "because" }]);
        }
        await handle.SignalAsync(WindowHandlers.Extend, [new ExtendCommand { By = "mallory", Until = plan.Window.End + TimeSpan.FromMinutes(10) }]);
        var ack = await Assert.ThrowsAsync<WorkflowUpdateFailedException>(() => handle.ExecuteUpdateAsync(
            wf => wf.SubmitAcknowledgementAsync(new Acknowledgement { Item = plan.Checklist.First(i => !i.IsAutomated).Id, By = "mallory" })));

        Assert.Equal(MaintenanceWindowWorkflow.RefusedUnknownPerson, ((ApplicationFailureException)ack.InnerException!).ErrorType);
        var status = await WindowHarness.WaitForAsync(handle, s => s.RefusalCount == 7);
        Assert.Equal(WindowPhase.Scheduled, status.Phase);
        Assert.False(status.Paused);
        Assert.All(status.Checklist, i => Assert.False(i.Done && i.Check is null));
        var report = await CancelAsync(handle);
        var refused = report.Refusals.Where(r => r.By == "mallory").ToList();
        Assert.Equal(
            [
                (WindowHandlers.Approve, ApprovalRules.NotEligible),
                (WindowHandlers.Reject, ApprovalRules.NotEligible),
                (WindowHandlers.Acknowledge, MaintenanceWindowWorkflow.RefusedUnknownPerson),
                (WindowHandlers.Pause, MaintenanceWindowWorkflow.RefusedUnknownPerson),
                (WindowHandlers.Resume, MaintenanceWindowWorkflow.RefusedUnknownPerson),
                (WindowHandlers.Abort, MaintenanceWindowWorkflow.RefusedUnknownPerson),
                (WindowHandlers.Extend, MaintenanceWindowWorkflow.RefusedUnknownPerson),
            ],
            refused.Select(r => (r.Handler, r.Code)));
        Assert.DoesNotContain(report.OperatorActions, a => a.By == "mallory");
    }

    [Fact]
    public async Task Extend_TwentySignalsWithOneValidCode_OneExtensionAndOneNotice()
    {
        await using var harness = await WindowHarness.StartAsync();
        var plan = await harness.PlanAsync("lambda-v40-promotion.yaml");
        var handle = await harness.ScheduleAsync(plan);
        var code = await harness.CodeAsync(handle.Id, "noc-oncall", "extend-1");
        var maxExtension = harness.Policy.Overrun.Extension * harness.Policy.Overrun.MaxExtensions;

        // Past the policy's bound, then twenty in range with the one code the operator holds.
        await handle.SignalAsync(WindowHandlers.Extend, [new ExtendCommand { By = "noc-oncall", Code = code, Until = plan.Window.End + maxExtension + TimeSpan.FromMinutes(1) }]);
        for (var i = 1; i <= 20; i++)
        {
            await handle.SignalAsync(WindowHandlers.Extend, [new ExtendCommand { By = "noc-oncall", Code = code, Until = plan.Window.End + TimeSpan.FromMinutes(i), Reason = $"extend {i}" }]);
        }

        var status = await WindowHarness.WaitForAsync(handle, s => s.RefusalCount == 20);
        var report = await CancelAsync(handle);
        // Which of the twenty won the race to the one extension does not matter; that only one did does.
        Assert.InRange(status.WindowEnd, plan.Window.End + TimeSpan.FromMinutes(1), plan.Window.End + TimeSpan.FromMinutes(20));
        Assert.Single(report.OperatorActions, a => a.Action == "extend");
        Assert.Single(report.Notices, n => n.Kind == NoticeKind.Extended);
        Assert.Equal(20, report.RefusalCount);
        Assert.Contains("past the latest end the policy allows", report.Refusals[0].Reason, StringComparison.Ordinal);
        Assert.All(report.Refusals.Skip(1), r => Assert.Equal(MaintenanceWindowWorkflow.RefusedExtendLimit, r.Code));
    }

    [Fact]
    public async Task Emergency_ApprovedAfterTheWorkCompleted_AcceptedAndReportedAsLate()
    {
        await using var harness = await WindowHarness.StartAsync(EmergencyRunbook);
        var plan = await harness.PlanAsync("emergency-proxy-fix.yaml");
        var handle = await harness.ScheduleAsync(plan);
        var code = await harness.CodeAsync(handle.Id, "ops-lead", "approve");
        await WindowHarness.AcknowledgeChecklistAsync(handle, plan, by: "sre-oncall");
        await harness.Env.DelayAsync(TimeSpan.FromMinutes(20));
        Assert.Equal(WindowPhase.Completed, (await handle.QueryAsync(wf => wf.Status)).Phase);

        await handle.SignalAsync(WindowHandlers.Approve, [new ApprovalSignal { Approver = "ops-lead", Code = code, Comment = "retroactive for INC" }]);
        var report = await handle.GetResultAsync();

        Assert.Equal(WindowPhase.Completed, report.Outcome);
        Assert.Contains("approved late (after the work started) by ops-lead", report.Summary, StringComparison.Ordinal);
        Assert.DoesNotContain("without the required approval", report.Summary, StringComparison.Ordinal);
        Assert.DoesNotContain(report.OperatorActions, a => a.Action == "escalate");
        Assert.True(report.Votes.Single().Vote.At > report.Phases.Single(p => p.Phase == WindowPhase.Completed).At);
    }

    [Fact]
    public async Task Approve_SentBeforeTheDeadlineWhileTheWorkerIsDownAcrossIt_CountsByItsArrival()
    {
        // Wall-clock time: under time skipping a signal waiting for a worker holds the clock, so the deadline could
        // never pass while the worker is down. An urgent window with a one-minute notice and a deadline 30 s before
        // its start keeps the wait short; no freezes or blackouts can move it.
        var policyPath = WindowHarness.PolicyVariant(yaml =>
        {
            yaml = yaml
                .Replace("    notice: 4h\n", "    notice: 1m\n", StringComparison.Ordinal)
                .Replace("    reminders: [30m]\n", "    reminders: []\n", StringComparison.Ordinal)
                .Replace("      deadlineBeforeStart: 30m\n", "      deadlineBeforeStart: 30s\n", StringComparison.Ordinal);
            yaml = yaml[..yaml.IndexOf("\nfreezes:", StringComparison.Ordinal)] + "\nfreezes: []\n" + yaml[yaml.IndexOf("\n# Recurring jobs", StringComparison.Ordinal)..];
            return yaml[..yaml.IndexOf("\nblackouts:", StringComparison.Ordinal)] + "\nblackouts: []\n" + yaml[yaml.IndexOf("\nincidentLevels:", StringComparison.Ordinal)..];
        });
        await using var harness = await WindowHarness.StartAsync(new Dictionary<string, string?> { ["Policy:Path"] = policyPath }, timeSkipping: false);
        var plan = await harness.PlanAsync("flask-security-patch.yaml");
        var deadline = plan.Window.Start - TimeSpan.FromSeconds(30);
        var handle = await harness.ScheduleAsync(plan);
        var code = await harness.CodeAsync(handle.Id, "T-JOSH", "approve");

        // The worker goes down; the approval arrives before the deadline; the worker comes back after it.
        await harness.StopWorkerAsync();
        await handle.SignalAsync(WindowHandlers.Approve, [new ApprovalSignal { Approver = "T-JOSH", Code = code, Comment = "sent in time" }]);
        Assert.True(new DateTimeOffset(await harness.Env.GetCurrentTimeAsync(), TimeSpan.Zero) < deadline, "the test was too slow to send the approval before the deadline");
        await Poll.UntilAsync(
            async () => new DateTimeOffset(await harness.Env.GetCurrentTimeAsync(), TimeSpan.Zero),
            now => now > deadline + TimeSpan.FromSeconds(2),
            TimeSpan.FromMinutes(2),
            now => $"the deadline {deadline:u} did not pass (now {now:u})");
        await harness.StartWorkerAsync();

        var status = await WindowHarness.WaitForAsync(handle, s => s.Approvals.ApprovedBy.Count > 0 || s.RefusalCount > 0 || s.Phase.IsFinal());
        Assert.True(status.Approvals.Approved, $"{status.Phase}: {status.LastRefusal?.Reason}");
        var report = await CancelAsync(handle);
        var vote = Assert.Single(report.Votes).Vote;
        Assert.True(vote.At < deadline, $"the vote is dated {vote.At:u}, after the deadline {deadline:u}");
        Assert.Contains("by ops-lead", report.Summary, StringComparison.Ordinal);
        Assert.DoesNotContain("not approved by the deadline", report.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Emergency_RequesterConfirmsAndApproverApprovesAfterTheWorkCompleted_ApprovedLate()
    {
        await using var harness = await WindowHarness.StartAsync(EmergencyRunbook);
        var plan = await harness.PlanAsync("emergency-proxy-fix.yaml");
        var handle = await harness.ScheduleUnconfirmedAsync(plan);
        var confirm = await harness.CodeAsync(handle.Id, plan.Requester, "confirm");
        await WindowHarness.AcknowledgeChecklistAsync(handle, plan, by: "sre-oncall");
        await harness.Env.DelayAsync(TimeSpan.FromMinutes(20));
        Assert.Equal(WindowPhase.Completed, (await handle.QueryAsync(wf => wf.Status)).Phase);

        // The vote is recorded but does not count until the requester confirmed.
        await harness.ApproveAsync(handle, approver: "ops-lead", comment: "retroactive for INC");
        Assert.False((await handle.QueryAsync(wf => wf.Status)).Approvals.Approved);
        var receipt = await handle.ExecuteUpdateAsync(wf => wf.SubmitConfirmationAsync(new ConfirmCommand { By = plan.Requester, Code = confirm }));
        var report = await handle.GetResultAsync();

        Assert.True(receipt.Status.Approved);
        Assert.Equal(WindowPhase.Completed, report.Outcome);
        Assert.Contains("approved late (after the work started) by ops-lead", report.Summary, StringComparison.Ordinal);
        Assert.DoesNotContain("without the required approval", report.Summary, StringComparison.Ordinal);
        Assert.Contains(report.OperatorActions, a => a.Action == "confirm" && a.By == plan.Requester);
    }

    [Fact]
    public async Task KeyRotation_CodeIssuedUnderTheOldKey_StillValidAfterTheWorkerRotates()
    {
        await using var harness = await WindowHarness.StartAsync();
        var plan = await harness.PlanAsync("lambda-v40-promotion.yaml");
        var handle = await harness.ScheduleAsync(plan);
        var oldCode = await harness.CodeAsync(handle.Id, "T-JOSH", "approve");
        await harness.WaitForIdleActivitiesAsync(handle);

        // Rotation: the old key moves to PreviousKeys under its id; a new key with a new id signs from now on.
        await harness.StopWorkerAsync();
        harness.ExtraConfiguration["Approvals:SigningKeyId"] = "k2";
        harness.ExtraConfiguration["Approvals:SigningKey"] = "rotated-key-rotated-key-rotated-key-0001";
        harness.ExtraConfiguration["Approvals:PreviousKeys:k1"] = harness.SigningKey;
        await harness.StartWorkerAsync();
        await handle.SignalAsync(WindowHandlers.Approve, [new ApprovalSignal { Approver = "T-JOSH", Code = oldCode }]);

        var status = await WindowHarness.WaitForAsync(handle, s => s.Approvals.ApprovedBy.Count > 0 || s.RefusalCount > 0);
        Assert.True(status.Approvals.Approved, status.LastRefusal?.Reason);
        var report = await CancelAsync(handle);
        Assert.Equal("proof ok (key k1)", report.Votes.Single().Vote.Proof);
    }

    [Fact]
    public async Task Payloads_FieldsOverTheirCaps_RefusedWithTheLimitNamed()
    {
        await using var harness = await WindowHarness.StartAsync();
        var plan = await harness.PlanAsync("lambda-v40-promotion.yaml");
        var handle = await harness.ScheduleAsync(plan);
        var code = await harness.CodeAsync(handle.Id, "T-JOSH", "approve");

        await handle.SignalAsync(WindowHandlers.Approve, [new ApprovalSignal { Approver = "T-JOSH", Code = code, Comment = new string('x', 5000) }]);
        await handle.SignalAsync(WindowHandlers.Abort, [new OperatorCommand { By = new string('m', 1 << 20) }]);
        await handle.SignalAsync(new string('s', 8192), ["junk"]);
        var update = await Assert.ThrowsAsync<WorkflowUpdateFailedException>(() => handle.ExecuteUpdateAsync(
            wf => wf.SubmitApprovalAsync(new ApprovalVote { Approver = new string('a', 100), Decision = VoteDecision.Approve })));
        await WindowHarness.WaitForAsync(handle, s => s.RefusalCount == 3);

        Assert.Contains($"'approver' is 100 characters; the limit is {MaintenanceWindowWorkflow.MaxIdLength}", update.InnerException!.Message, StringComparison.Ordinal);
        var report = await CancelAsync(handle);
        Assert.Empty(report.Votes);
        Assert.Contains($"'comment' is 5000 characters; the limit is {MaintenanceWindowWorkflow.MaxTextLength}", report.Refusals[0].Reason, StringComparison.Ordinal);
        Assert.Contains($"'by' is 1048576 characters; the limit is {MaintenanceWindowWorkflow.MaxIdLength}", report.Refusals[1].Reason, StringComparison.Ordinal);
        Assert.True(report.Refusals[1].By!.Length < 100);
        Assert.True(report.Refusals[2].Handler.Length < 100);
        Assert.All(report.Refusals, r => Assert.True(r.Reason.Length < 2000, r.Handler));
    }

    [Fact]
    public async Task Flood_AThousandRefusedSignals_StateAndReportStayBounded()
    {
        await using var harness = await WindowHarness.StartAsync();
        var plan = await harness.PlanAsync("lambda-v40-promotion.yaml");
        var handle = await harness.ScheduleAsync(plan);

        for (var i = 0; i < 1000; i++)
        {
            await handle.SignalAsync(i % 2 == 0 ? WindowHandlers.Abort : $"junk-{i}", [new OperatorCommand { By = $"mallory-{i}", Reason = new string('r', 900) }]);
        }

        await WindowHarness.WaitForAsync(handle, s => s.RefusalCount == 1000);
        var report = await CancelAsync(handle);
        Assert.Equal(1000, report.RefusalCount);
        Assert.Equal(MaintenanceWindowWorkflow.KeepLast, report.Refusals.Count);
        Assert.Equal("junk-999", report.Refusals[^1].Handler);
        var history = await handle.FetchHistoryAsync();
        var result = history.Events.Last().WorkflowExecutionCompletedEventAttributes.Result.Payloads_[0];
        Assert.True(result.Data.Length < 64 * 1024, $"report is {result.Data.Length} bytes");
    }

    private static readonly Dictionary<string, string?> EmergencyRunbook = new()
    {
        ["Commands:proxy-apply-config:Executable"] = "/bin/echo",
        ["Commands:proxy-apply-config:Arguments:0"] = "applying proxy configuration",
        ["Commands:proxy-apply-config:Arguments:1"] = "{revision}",
        ["Commands:proxy-restart:Executable"] = "/bin/true",
    };

    private static async Task<MaintenanceReport> CancelAsync(WorkflowHandle<MaintenanceWindowWorkflow, MaintenanceReport> handle)
    {
        await handle.SignalAsync(WindowHandlers.Abort, [new OperatorCommand { By = "ops-lead", Reason = "test over" }]);
        return await handle.GetResultAsync();
    }

    /// <summary>Every code the worker mailed for the window that was never sent back (unused): they must not be in the history.</summary>
    private static async Task<IReadOnlyList<string>> OpenCodesAsync(WindowHarness harness, string windowId)
    {
        // The operator's extension codes are the last email of the request: once it is in, all are.
        await harness.CodeAsync(windowId, "noc-oncall", "extend-1");
        var codes = new List<string>();
        foreach (var person in harness.Policy.Approvals.Approvers.Concat(harness.Policy.Approvals.Operators))
        {
            foreach (var mail in harness.MailTo(windowId, person.Email!))
            {
                codes.AddRange(new[] { "approve", "reject", "confirm", "extend-1" }.Select(p => Starter.Demo.ApprovalEmail.Code(mail.Text, p)).OfType<string>());
            }
        }
        Assert.NotEmpty(codes);
        return codes;
    }

    /// <summary>Scans every event of the window's history, payloads included, for the signing key and the given codes.</summary>
    private static async Task AssertNoSecretsAsync(WindowHarness harness, WorkflowHandle handle, IReadOnlyList<string> unusedCodes)
    {
        var history = await handle.FetchHistoryAsync();
        var used = history.Events
            .Where(e => e.WorkflowExecutionSignaledEventAttributes is not null || e.WorkflowExecutionUpdateAcceptedEventAttributes is not null)
            .Select(e => e.ToByteString().ToStringUtf8())
            .ToList();
        var secrets = unusedCodes.Where(c => !used.Any(u => u.Contains(c, StringComparison.Ordinal))).Append(harness.SigningKey).ToList();
        foreach (var e in history.Events)
        {
            var bytes = e.ToByteArray();
            var text = Encoding.UTF8.GetString(bytes);
            foreach (var secret in secrets)
            {
                Assert.False(text.Contains(secret, StringComparison.Ordinal), $"event {e.EventId} ({e.EventType}) holds a secret");
                Assert.False(text.Contains(JsonEscaped(secret), StringComparison.Ordinal), $"event {e.EventId} ({e.EventType}) holds a secret (JSON-escaped)");
            }
        }
    }

    private static string JsonEscaped(string value) => System.Text.Json.JsonSerializer.Serialize(value)[1..^1];
}
