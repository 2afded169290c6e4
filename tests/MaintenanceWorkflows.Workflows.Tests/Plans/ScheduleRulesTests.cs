using MaintenanceWorkflows.Workflows.Plans;

namespace MaintenanceWorkflows.Workflows.Tests.Plans;

public class ScheduleRulesTests
{
    private static readonly MaintenancePolicy Policy = TestFiles.Policy();

    [Fact]
    public void Derive_RoutineLambdaPromotion_TimersApproversGateAndChannels()
    {
        var plan = TestFiles.Plan("lambda-v40-promotion.yaml");

        var schedule = ScheduleRules.Derive(plan, Policy, TestFiles.Now);

        var start = plan.Window.Start;
        Assert.Equal(start.AddHours(-24), schedule.NoticeAt);
        Assert.False(schedule.NoticeImmediately);
        Assert.Equal([start.AddHours(-2), start.AddMinutes(-15)], schedule.Reminders);
        Assert.Equal(TestFiles.Now, schedule.ApprovalRequestAt);
        Assert.Equal(start.AddHours(-1), schedule.ApprovalDeadline);
        Assert.Equal(TestFiles.Now.AddHours(12), schedule.EscalationAt);
        Assert.Equal(1, schedule.RequiredApprovals);
        Assert.DoesNotContain("ops-lead", schedule.EligibleApprovers); // the requester
        Assert.Contains("T-JOSH", schedule.EligibleApprovers);
        var gate = Assert.Single(schedule.Gates);
        Assert.Equal(["T-JOSH"], gate.Approvers);
        Assert.Equal(["status-page"], schedule.ChannelsFor(NoticeKind.PreMaintenance));
        Assert.Equal(["status-page"], schedule.ChannelsFor(NoticeKind.Completion));
        Assert.Equal(["email-approvers", "slack-team-ops"], schedule.ChannelsFor(NoticeKind.ApprovalRequest));
        Assert.Equal(["slack-team-ops", "email-approvers"], schedule.ChannelsFor(NoticeKind.Escalation));
        Assert.Equal(OverrunAction.Extend, schedule.Overrun.Action);
        Assert.Equal(TimeSpan.FromMinutes(10), schedule.Verification.Soak);
    }

    [Fact]
    public void Derive_Urgent_UsesEmailStatusAndChat()
    {
        var plan = TestFiles.Plan("flask-security-patch.yaml");

        var schedule = ScheduleRules.Derive(plan, Policy, TestFiles.Now);

        Assert.Equal(plan.Window.Start.AddHours(-4), schedule.NoticeAt);
        Assert.Equal(["email-customers", "status-page", "discord-community"], schedule.ChannelsFor(NoticeKind.PreMaintenance));
        Assert.Equal(TimeSpan.FromMinutes(15), schedule.Verification.Soak); // plan overrides the policy default
    }

    [Fact]
    public void Derive_Urgent_RolloutProgressGoesToStatusPageAndChatNotMailingLists()
    {
        var plan = TestFiles.Plan("flask-security-patch.yaml");

        var schedule = ScheduleRules.Derive(plan, Policy, TestFiles.Now);

        // One progress notice per rollout wave: fine for a status page or a chat room, too many for customers' inboxes.
        Assert.Equal(["status-page", "discord-community"], schedule.ChannelsFor(NoticeKind.Progress));
    }

    [Fact]
    public void Derive_Emergency_NoticeAtOnceOnEveryChannelAndShortApprovalClock()
    {
        var plan = TestFiles.Plan("emergency-proxy-fix.yaml");

        var schedule = ScheduleRules.Derive(plan, Policy, TestFiles.Now);

        Assert.True(schedule.NoticeImmediately);
        Assert.Equal(TestFiles.Now, schedule.NoticeAt);
        Assert.Empty(schedule.Reminders);
        Assert.Equal(Policy.Channels.Select(c => c.Name), schedule.ChannelsFor(NoticeKind.PreMaintenance));
        Assert.Equal(TestFiles.Now.AddMinutes(30), schedule.ApprovalDeadline);
        Assert.Equal(TestFiles.Now.AddMinutes(10), schedule.EscalationAt);
    }

    [Fact]
    public void Derive_ScheduledInsideTheNoticePeriod_NoticeAtOnceAndOnlyLaterReminders()
    {
        var plan = TestFiles.Plan("lambda-v40-promotion.yaml");
        var late = plan.Window.Start.AddMinutes(-90);

        var schedule = ScheduleRules.Derive(plan, Policy, late);

        Assert.True(schedule.NoticeImmediately);
        Assert.Equal(late, schedule.NoticeAt);
        Assert.Equal([plan.Window.Start.AddMinutes(-15)], schedule.Reminders);
        Assert.Null(schedule.EscalationAt); // escalation after 12 h would come after the deadline
    }

    [Fact]
    public void Derive_PlanExtraChannel_AddedOnceAfterTheTypeChannels()
    {
        var plan = TestFiles.Plan("lambda-v40-promotion.yaml");
        plan = plan with { Notify = plan.Notify with { Channels = ["slack-team-ops", "status-page"] } };

        var schedule = ScheduleRules.Derive(plan, Policy, TestFiles.Now);

        Assert.Equal(["status-page", "slack-team-ops"], schedule.ChannelsFor(NoticeKind.PreMaintenance));
    }

    [Fact]
    public void Derive_SamePlanSameNow_IsDeterministic()
    {
        var plan = TestFiles.Plan("lambda-v40-promotion.yaml");

        var first = ScheduleRules.Derive(plan, Policy, TestFiles.Now);
        var second = ScheduleRules.Derive(plan, Policy, TestFiles.Now);

        Assert.Equal(System.Text.Json.JsonSerializer.Serialize(first), System.Text.Json.JsonSerializer.Serialize(second));
    }
}
