using MaintenanceWorkflows.Sandbox;
using MaintenanceWorkflows.Sandbox.Fleet;
using MaintenanceWorkflows.Starter.Commands;
using MaintenanceWorkflows.Workflows;
using MaintenanceWorkflows.Workflows.Plans;
using MaintenanceWorkflows.Workflows.Rollout;
using Temporalio.Client;

namespace MaintenanceWorkflows.Starter.Demo;

/// <summary>
/// The demo's fleet rollout: the agent-update example's window over the sandbox fleet (node-01..node-12): a
/// canary, a 10-minute pause, then 25 % and 100 %, with a failure budget of one host. node-09 fails its
/// health check after patching, in the last wave: the budget allows it, so the rollout finishes and the
/// output shows the waves and which host failed.
/// </summary>
public sealed class RolloutDemo(Action<string> say)
{
    public const string Plan = "agent-update-waves.yaml";
    public const string FailingHost = "node-09";

    public async Task<WorkflowHandle<MaintenanceWindowWorkflow, MaintenanceReport>> ScheduleAsync(
        ITemporalClient client, string taskQueue, string examplesDirectory, SandboxWorld world, MaintenancePolicy policy, DateTimeOffset now, DateTimeOffset? notBefore)
    {
        ArgumentNullException.ThrowIfNull(world);
        ArgumentNullException.ThrowIfNull(policy);
        var example = DemoRunner.Reschedule(PlanYaml.LoadPlanFile(Path.Combine(examplesDirectory, Plan), now), policy, now, notBefore);
        var rollout = new RolloutStep
        {
            Id = "update-agents",
            Title = "Agent 2.8.1 on the sandbox nodes",
            Fleet = SandboxWorld.FleetName,
            Steps =
            [
                new CommandStep
                {
                    Id = "install-agent",
                    Title = "Install agent 2.8.1 on {host}",
                    Command = LocalFleet.PatchCommand,
                    Args = new Dictionary<string, string> { ["host"] = "{host}" },
                    Rollback = new CommandStep { Id = "reinstall-previous", Title = "Reinstall the previous agent on {host}", Command = LocalFleet.UnpatchCommand, Args = new Dictionary<string, string> { ["host"] = "{host}" } },
                },
            ],
            Checks = [new HttpStatusCheck { Id = "agent-healthy", Title = "{host} reports healthy", Target = LocalFleet.Target, Path = "/hosts/{host}/health" }],
            Strategy = new RolloutStrategy
            {
                Canary = new HostCount { Count = 1 },
                Waves = [new HostCount { Percent = 25 }, new HostCount { Percent = 100 }],
                MaxFailedHosts = new HostCount { Count = 1 },
                Pause = new RolloutPause { After = PauseAfter.Canary, Duration = TimeSpan.FromMinutes(10) },
                OnFailure = RolloutFailureAction.RollbackFailed,
            },
        };
        var plan = example with { Steps = [rollout], Checks = [] };
        world.Fleet.FailAfterPatch(FailingHost);
        var handle = await ScheduleCommand.StartAsync(client, taskQueue, plan, "demo");
        say($"schedule    {handle.Id}: {plan.Title}, as a rollout over the sandbox fleet '{SandboxWorld.FleetName}' ({SandboxWorld.FleetHosts})");
        say($"              canary 1, pause 10 min, then 25 % and 100 %; failure budget 1 host; fault injected: {FailingHost} fails its health check once patched");
        await RequesterConfirmation.ConfirmAsync(handle, plan, policy, world.Ses, TimeSpan.FromMinutes(1));
        say($"              {plan.Requester} confirms the request with the confirm code from their inbox");
        var address = policy.Approvals.Approvers.First(a => a.Id == "T-JOSH").Email!;
        var code = await ApprovalEmail.WaitForCodeAsync(world.Ses, handle.Id, address, "approve", TimeSpan.FromMinutes(1));
        await handle.ExecuteUpdateAsync(wf => wf.SubmitApprovalAsync(new ApprovalVote { Approver = "T-JOSH", Decision = VoteDecision.Approve, Code = code, Comment = "agent rollout approved" }));
        say("              T-JOSH approves with the code from their inbox");
        return handle;
    }

    /// <summary>Prints the waves and the per-host outcome (collapsed: counts plus the failed hosts).</summary>
    public async Task DescribeAsync(ITemporalClient client, string windowId, SandboxWorld world)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(world);
        var result = await client.GetWorkflowHandle(FleetRolloutWorkflow.IdFor(windowId, "update-agents")).GetResultAsync<FleetRolloutResult>();
        foreach (var wave in result.Waves)
        {
            say($"rollout     {wave.Name,-8} {wave.Hosts,2} host(s)  {wave.Done} done, {wave.Failed} failed  {ZoneMath.FormatUtc(wave.StartedAt)}{(wave.Note is null ? string.Empty : $"  ({wave.Note})")}");
        }
        foreach (var failure in result.Failures)
        {
            say($"              failed {failure.Host}: {failure.Detail}");
        }
        say($"              {result.Outcome}: {result.Summary}");
        say($"              sandbox fleet: {world.Fleet.Patched().Count} host(s) on agent {LocalFleet.PatchedVersion}");
    }
}
