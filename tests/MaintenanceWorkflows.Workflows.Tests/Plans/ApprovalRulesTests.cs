using MaintenanceWorkflows.Workflows.Plans;

namespace MaintenanceWorkflows.Workflows.Tests.Plans;

public class ApprovalRulesTests
{
    private static readonly MaintenancePolicy Policy = TestFiles.Policy();

    // Routine Lambda promotion requested by ops-lead: 1 approval, plus the T-JOSH gate.
    private static readonly WindowSchedule Lambda = ScheduleRules.Derive(TestFiles.Plan("lambda-v40-promotion.yaml"), Policy, TestFiles.Now);

    // Urgent Flask patch requested by infra-lead: 1 approval, no gate.
    private static readonly WindowSchedule Flask = ScheduleRules.Derive(TestFiles.Plan("flask-security-patch.yaml"), Policy, TestFiles.Now);

    [Fact]
    public void Check_EligibleApprover_IsAccepted()
    {
        var verdict = ApprovalRules.Check(Flask, [], Approve("sre-oncall"), TestFiles.Now);

        Assert.True(verdict.Accepted);
        Assert.Null(verdict.Reason);
    }

    [Fact]
    public void Check_RequesterApprovingOwnWindow_IsRefused()
    {
        var verdict = ApprovalRules.Check(Flask, [], Approve("infra-lead"), TestFiles.Now);

        Assert.False(verdict.Accepted);
        Assert.Equal(ApprovalRules.SelfApproval, verdict.Code);
        Assert.Contains("requested this window and may not approve it", verdict.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_RequesterWhenPolicyAllowsSelfApproval_IsAccepted()
    {
        var policy = Policy with { Approvals = Policy.Approvals with { RequesterMayApprove = true } };
        var schedule = ScheduleRules.Derive(TestFiles.Plan("flask-security-patch.yaml"), policy, TestFiles.Now);

        Assert.True(ApprovalRules.Check(schedule, [], Approve("infra-lead"), TestFiles.Now).Accepted);
    }

    [Fact]
    public void Check_UnknownPerson_IsRefusedWithTheEligibleList()
    {
        var verdict = ApprovalRules.Check(Flask, [], Approve("mallory"), TestFiles.Now);

        Assert.Equal(ApprovalRules.NotEligible, verdict.Code);
        Assert.Contains("T-JOSH, ops-lead, sre-oncall", verdict.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_MissingApprover_IsRefused()
    {
        Assert.Equal(ApprovalRules.MissingApprover, ApprovalRules.Check(Flask, [], Approve(" "), TestFiles.Now).Code);
    }

    [Fact]
    public void Check_SecondVoteBySamePerson_IsRefusedIgnoringCase()
    {
        var lambdaVotes = new[] { Approve("sre-oncall") };

        var verdict = ApprovalRules.Check(Lambda, lambdaVotes, Approve("SRE-ONCALL"), TestFiles.Now);

        Assert.Equal(ApprovalRules.DuplicateVote, verdict.Code);
    }

    [Fact]
    public void Check_AfterTheWindowIsApproved_IsRefused()
    {
        var verdict = ApprovalRules.Check(Flask, [Approve("sre-oncall")], Approve("ops-lead"), TestFiles.Now);

        Assert.Equal(ApprovalRules.AlreadyDecided, verdict.Code);
    }

    [Fact]
    public void Check_AfterTheDeadline_IsRefused()
    {
        var verdict = ApprovalRules.Check(Flask, [], Approve("sre-oncall"), Flask.ApprovalDeadline.AddSeconds(1));

        Assert.Equal(ApprovalRules.DeadlinePassed, verdict.Code);
        Assert.True(ApprovalRules.Check(Flask, [], Approve("sre-oncall"), Flask.ApprovalDeadline).Accepted);
    }

    [Fact]
    public void Tally_CountReachedButGateMissing_IsNotApproved()
    {
        var status = ApprovalRules.Tally(Lambda, [Approve("sre-oncall")]);

        Assert.False(status.Approved);
        Assert.Equal(1, status.Approvals);
        Assert.Equal(0, status.Missing);
        Assert.Equal("t-josh-lambda-promotion", Assert.Single(status.MissingGates).Id);
    }

    [Fact]
    public void Tally_GateApproverVotes_IsApproved()
    {
        var status = ApprovalRules.Tally(Lambda, [Approve("T-JOSH")]);

        Assert.True(status.Approved);
        Assert.Empty(status.MissingGates);
    }

    [Fact]
    public void Tally_OneRejection_RejectsTheWindow()
    {
        var status = ApprovalRules.Tally(Lambda, [Approve("T-JOSH"), new ApprovalVote { Approver = "sre-oncall", Decision = VoteDecision.Reject, Comment = "agent fleet is down" }]);

        Assert.False(status.Approved);
        Assert.True(status.Rejected);
        Assert.Equal(["sre-oncall"], status.RejectedBy);
    }

    [Fact]
    public void Tally_IneligibleAndDuplicateVotes_DoNotCount()
    {
        var status = ApprovalRules.Tally(Flask, [Approve("ops-lead"), Approve("OPS-LEAD"), Approve("infra-lead"), Approve("mallory")]);

        Assert.Equal(1, status.Approvals);
        Assert.Equal(["ops-lead"], status.ApprovedBy);
    }

    [Fact]
    public void Tally_NoVotes_NotApprovedAndAllMissing()
    {
        var status = ApprovalRules.Tally(Lambda, []);

        Assert.False(status.Approved);
        Assert.False(status.Rejected);
        Assert.Equal(1, status.Missing);
    }

    private static ApprovalVote Approve(string who) => new() { Approver = who, Decision = VoteDecision.Approve };
}
