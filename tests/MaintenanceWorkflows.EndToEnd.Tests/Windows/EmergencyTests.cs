using MaintenanceWorkflows.Workflows;
using MaintenanceWorkflows.Workflows.Plans;

namespace MaintenanceWorkflows.EndToEnd.Tests.Windows;

/// <summary>Emergency windows (seed 004: 0 h notice, all channels; approval may follow within the policy's time).</summary>
public sealed class EmergencyTests
{
    internal static readonly Dictionary<string, string?> ProxyRunbook = new()
    {
        ["Commands:proxy-apply-config:Executable"] = "/bin/echo",
        ["Commands:proxy-apply-config:Arguments:0"] = "applying proxy configuration",
        ["Commands:proxy-apply-config:Arguments:1"] = "{revision}",
        ["Commands:proxy-restart:Executable"] = "/bin/true",
    };

    [Fact]
    public async Task Run_NoApprovalYet_StartsAtOnceOnAllChannelsAndEscalatesAtTheDeadline()
    {
        await using var harness = await WindowHarness.StartAsync(ProxyRunbook);
        var plan = await harness.PlanAsync("emergency-proxy-fix.yaml");
        var handle = await harness.ScheduleAsync(plan);
        await WindowHarness.AcknowledgeChecklistAsync(handle, plan, by: "sre-oncall");

        var report = await handle.GetResultAsync();

        Assert.True(report.Outcome == WindowPhase.Completed, report.Summary);
        Assert.Contains("ran without the required approval", report.Summary, StringComparison.Ordinal);
        var notice = Assert.Single(report.Notices, n => n.Kind == NoticeKind.PreMaintenance);
        Assert.Equal(plan.Window.Start, notice.At, TimeSpan.FromSeconds(5));
        Assert.Equal(harness.Policy.Channels.Select(c => c.Name).Order(), notice.Deliveries.Select(d => d.Channel).Order());
        Assert.True(report.ExecutionStartedAt - report.ScheduledAt < TimeSpan.FromMinutes(1));
        var escalation = report.Notices.Last(n => n.Kind == NoticeKind.Escalation);
        var deadline = report.ScheduledAt + harness.Policy.Types.Emergency.Approval.DeadlineAfterRequest!.Value;
        Assert.Equal(deadline, escalation.At, TimeSpan.FromSeconds(5));
        Assert.Equal(2, report.Steps.Count);
    }

    [Fact]
    public async Task Run_ApprovalArrivesDuringTheWork_NoEscalationForApproval()
    {
        await using var harness = await WindowHarness.StartAsync(ProxyRunbook);
        var plan = await harness.PlanAsync("emergency-proxy-fix.yaml");
        var handle = await harness.ScheduleAsync(plan);
        await WindowHarness.AcknowledgeChecklistAsync(handle, plan, by: "sre-oncall");
        await harness.ApproveAsync(handle, approver: "ops-lead", comment: "retroactive approval for INC");

        var report = await handle.GetResultAsync();

        Assert.True(report.Outcome == WindowPhase.Completed, report.Summary);
        Assert.DoesNotContain("without the required approval", report.Summary, StringComparison.Ordinal);
        Assert.Single(report.Votes);
    }
}
