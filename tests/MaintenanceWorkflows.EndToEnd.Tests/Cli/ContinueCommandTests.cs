using MaintenanceWorkflows.EndToEnd.Tests.Rollouts;
using MaintenanceWorkflows.EndToEnd.Tests.Windows;
using MaintenanceWorkflows.Starter.Commands;
using MaintenanceWorkflows.Workflows;
using MaintenanceWorkflows.Workflows.Plans;
using MaintenanceWorkflows.Workflows.Rollout;

namespace MaintenanceWorkflows.EndToEnd.Tests.Cli;

/// <summary>
/// `starter continue`: the rollout's continue gate through its update, with the same proof and authority rules as
/// approvals. The step id has a dot and an underscore, so the code is read from an email purpose with both.
/// </summary>
public sealed class ContinueCommandTests
{
    private const string Step = "patch_nodes.v2";

    [Fact]
    public void ApprovalEmail_PurposeWithADotAndAnUnderscore_ItsCodeIsRead()
    {
        const string body = "Your codes, T-JOSH (they work only for you):\n  approve   k1-AAAA-BBBB-CCCC-DDDD\n  continue-patch_nodes.v2-0 k1-EEEE-FFFF-GGGG-HHHH\n\nDo not forward these codes.";

        Assert.Equal("k1-EEEE-FFFF-GGGG-HHHH", Starter.Demo.ApprovalEmail.Code(body, FleetRolloutWorkflow.ContinuePurpose(Step, 0)));
        Assert.Equal("k1-AAAA-BBBB-CCCC-DDDD", Starter.Demo.ApprovalEmail.Code(body, "approve"));
        Assert.Null(Starter.Demo.ApprovalEmail.Code(body, "continue-patch-nodes-0"));
    }

    [Fact]
    public async Task Continue_ForgedStrangerWrongStepOversizedThenTheApproversCode_OnlyTheCodeOpensTheGate()
    {
        await using var harness = await WindowHarness.StartAsync();
        var plan = await RolloutTests.PlanAsync(harness, RolloutTests.Rollout("node-{01..03}", new RolloutStrategy
        {
            Canary = new HostCount { Count = 1 },
            Waves = [new HostCount { Percent = 100 }],
            Pause = new RolloutPause { After = PauseAfter.Canary, Approval = true },
        }) with { Id = Step });
        var window = await harness.ScheduleAsync(plan);
        await harness.ApproveAsync(window);
        var now = new DateTimeOffset(await harness.Env.GetCurrentTimeAsync(), TimeSpan.Zero);
        await harness.Env.DelayAsync(plan.Window.Start - now + TimeSpan.FromSeconds(1));
        var rollout = harness.Client.GetWorkflowHandle(FleetRolloutWorkflow.IdFor(window.Id, Step));
        await RolloutTests.WaitForRolloutAsync(rollout, s => s.WaitingFor?.Contains("a continue", StringComparison.Ordinal) == true);
        var code = await harness.CodeAsync(window.Id, "ops-lead", FleetRolloutWorkflow.ContinuePurpose(Step, 0));

        var forged = await WindowCommandsTests.RunAsync(harness, "continue", window.Id, "--step", Step, "--by", "T-JOSH", "--code", "k1-AAAA-BBBB-CCCC-DDDD");
        Assert.Equal(Connection.ExitRefused, forged.Exit);
        Assert.Contains($"refused: the proof code is not T-JOSH's {FleetRolloutWorkflow.ContinuePurpose(Step, 0)} code", forged.Error, StringComparison.Ordinal);
        var othersCode = await WindowCommandsTests.RunAsync(harness, "continue", window.Id, "--step", Step, "--by", "T-JOSH", "--code", code);
        Assert.Equal(Connection.ExitRefused, othersCode.Exit);
        Assert.Contains("is not T-JOSH's", othersCode.Error, StringComparison.Ordinal);
        var stranger = await WindowCommandsTests.RunAsync(harness, "continue", window.Id, "--step", Step, "--by", "mallory", "--code", code);
        Assert.Equal(Connection.ExitRefused, stranger.Exit);
        Assert.Contains("refused: only an approver of this window may continue the rollout", stranger.Error, StringComparison.Ordinal);
        var noCode = await WindowCommandsTests.RunAsync(harness, "continue", window.Id, "--step", Step, "--by", "ops-lead");
        Assert.Equal(Connection.ExitRefused, noCode.Exit);
        Assert.Contains("refused: no proof", noCode.Error, StringComparison.Ordinal);
        var oversized = await WindowCommandsTests.RunAsync(harness, "continue", window.Id, "--step", Step, "--by", "ops-lead", "--code", new string('k', 100));
        Assert.Equal(Connection.ExitRefused, oversized.Exit);
        Assert.Contains($"'by' and 'code' may have at most {FleetRolloutWorkflow.MaxIdLength} characters", oversized.Error, StringComparison.Ordinal);
        var wrongStep = await WindowCommandsTests.RunAsync(harness, "continue", window.Id, "--step", "patch-nodes", "--by", "ops-lead", "--code", code);
        Assert.Equal(Connection.ExitNotFound, wrongStep.Exit);
        Assert.Contains("no rollout 'patch-nodes' has started", wrongStep.Error, StringComparison.Ordinal);

        // Refusals the worker judged (the codes) are recorded; the rest were refused before anything was recorded.
        var refused = await RolloutTests.WaitForRolloutAsync(rollout, s => s.RefusalCount == 2);
        Assert.Equal(1, refused.Done);
        Assert.Equal(["node-01"], harness.World.Fleet.Patched());

        var ok = await WindowCommandsTests.RunAsync(harness, "continue", plan.Id, "--step", Step, "--by", "ops-lead", "--code", code, "--comment", "canary looks good");
        Assert.True(ok.Exit == 0, ok.Error);
        Assert.Contains($"{window.Id}: rollout '{Step}' continued by ops-lead after wave 0;", ok.Output, StringComparison.Ordinal);
        var report = await window.GetResultAsync();

        Assert.Equal(WindowPhase.Completed, report.Outcome);
        Assert.Equal(3, harness.World.Fleet.Patched().Count);
        var result = await rollout.GetResultAsync<FleetRolloutResult>();
        Assert.Contains("continued by ops-lead (proof ok (key k1)): canary looks good", result.Waves[0].Note, StringComparison.Ordinal);
    }
}
