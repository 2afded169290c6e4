using MaintenanceWorkflows.Workflows.Plans;
using Temporalio.Exceptions;
using Temporalio.Workflows;

namespace MaintenanceWorkflows.Workflows.Rollout;

/// <summary>
/// One chunk of one wave (at most <see cref="FleetRolloutInput.ChunkSize"/> hosts): each host runs the host
/// steps with <c>{host}</c> filled in, registering its rollback before each step, then its checks; up to
/// <see cref="RolloutBatchInput.Parallelism"/> hosts at a time. A halt (the budget ran out here or
/// elsewhere, or the window was aborted) starts no new host and lets running hosts finish the step in hand.
/// In undo mode it runs the rollbacks of the steps each host had started, newest first, continuing past failures.
/// </summary>
[Workflow]
public class RolloutBatchWorkflow
{
    /// <summary>How often a host's checks are tried before it counts as failed (a rebooted host needs a moment).</summary>
    public const int CheckAttempts = 3;

    public static readonly TimeSpan CheckRetryDelay = TimeSpan.FromSeconds(15);

    private bool halted;
    private int failures;

    [WorkflowRun]
    public async Task<RolloutBatchResult> RunAsync(RolloutBatchInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        // Abort arrives as a cancellation: treat it as a halt, so no host is left in the middle of a step.
        using var onCancel = Workflow.CancellationToken.Register(() => halted = true);
        var outcomes = new HostOutcome?[input.Hosts.Count];
        var running = 0;
        var tasks = new List<Task>();
        for (var i = 0; i < input.Hosts.Count; i++)
        {
            await Workflow.WaitConditionAsync(() => running < input.Parallelism || halted, CancellationToken.None);
            if (halted)
            {
                break;
            }
            var slot = i;
            running++;
            tasks.Add(RunSlotAsync());

            async Task RunSlotAsync()
            {
                try
                {
                    var host = input.Hosts[slot];
                    outcomes[slot] = input.Mode == RolloutMode.Undo ? await UndoHostAsync(input.Step, host) : await PatchHostAsync(input, host);
                }
                finally
                {
                    running--;
                }
            }
        }
        await Workflow.WhenAllAsync(tasks);
        return new RolloutBatchResult(outcomes.OfType<HostOutcome>().ToList());
    }

    /// <summary>Stops starting hosts (sent by the rollout when the failure budget is spent elsewhere).</summary>
    [WorkflowSignal(RolloutHandlers.Halt)]
    public Task HaltAsync()
    {
        halted = true;
        return Task.CompletedTask;
    }

    private async Task<HostOutcome> PatchHostAsync(RolloutBatchInput input, BatchHost host)
    {
        var steps = input.Step.Steps;
        for (var j = 0; j < steps.Count; j++)
        {
            if (halted)
            {
                return new HostOutcome(host.Index, j == 0 ? HostState.Pending : HostState.Stopped, j, j == 0 ? null : $"stopped after step '{steps[j - 1].Id}' (halt)", Now);
            }
            var step = RolloutRules.ForHost(steps[j], host.Name);
            try
            {
                await PerformAsync(step, undoing: false);
            }
            catch (Exception e) when (IsFailure(e))
            {
                return Fail(input, host, j + 1, $"step '{step.Id}' failed: {PlanActivities.Describe(e)}");
            }
        }
        var checks = input.Step.Checks.Select(c => RolloutRules.ForHost(c, host.Name)).ToList();
        for (var attempt = 1; checks.Count > 0; attempt++)
        {
            var results = await PlanActivities.RunChecksAsync(checks, CancellationToken.None);
            var failing = checks.Zip(results).Where(p => p.First.Blocking && !p.Second.Passed).Select(p => $"{p.First.Id}: {p.Second.Message}").ToList();
            if (failing.Count == 0)
            {
                break;
            }
            if (attempt >= CheckAttempts)
            {
                return Fail(input, host, steps.Count, $"check failed after {attempt} attempts: {string.Join("; ", failing)}");
            }
            await Workflow.DelayAsync(CheckRetryDelay, CancellationToken.None);
        }
        return new HostOutcome(host.Index, HostState.Done, steps.Count, null, Now);
    }

    private HostOutcome Fail(RolloutBatchInput input, BatchHost host, int started, string detail)
    {
        failures++;
        if (failures > input.FailuresAllowed)
        {
            // The budget is spent: no new host starts here; running ones finish their step.
            halted = true;
        }
        return new HostOutcome(host.Index, HostState.Failed, started, Clip(detail), Now);
    }

    private static async Task<HostOutcome> UndoHostAsync(RolloutStep rollout, BatchHost host)
    {
        var problems = new List<string>();
        for (var j = Math.Min(host.StepsStarted, rollout.Steps.Count) - 1; j >= 0; j--)
        {
            if (RolloutRules.ForHost(rollout.Steps[j], host.Name).Rollback is not { } rollback)
            {
                continue;
            }
            try
            {
                await PerformAsync(rollback, undoing: true);
            }
            catch (Exception e) when (IsFailure(e))
            {
                problems.Add($"rollback '{rollback.Id}': {PlanActivities.Describe(e)}");
            }
        }
        return problems.Count == 0
            ? new HostOutcome(host.Index, HostState.Undone, host.StepsStarted, null, Now)
            : new HostOutcome(host.Index, HostState.UndoFailed, host.StepsStarted, Clip(string.Join("; ", problems)), Now);
    }

    /// <summary>The host step types a rollout allows (validation refuses the others); activities run to completion even on a halt.</summary>
    private static async Task PerformAsync(PlanStep step, bool undoing)
    {
        switch (step)
        {
            case CommandStep command:
            {
                var result = await PlanActivities.RunCommandAsync(command, compensation: undoing, CancellationToken.None);
                if (!result.Succeeded)
                {
                    throw new ApplicationFailureException($"command '{command.Command}' exited with code {result.ExitCode}: {string.Join(" | ", result.OutputTail.TakeLast(3))}");
                }
                break;
            }
            case HttpRequestStep request:
                await PlanActivities.SendRequestAsync(request, compensation: undoing, CancellationToken.None);
                break;
            case WaitStep wait:
                await Workflow.DelayAsync(wait.Duration, CancellationToken.None);
                break;
            default:
                throw new ApplicationFailureException($"host step '{step.Id}' has type '{step.StepType}', which a rollout cannot run on a host", nonRetryable: true);
        }
    }

    private static bool IsFailure(Exception e) => e is ActivityFailureException or ApplicationFailureException;

    private static string Clip(string text) => text.Length <= 300 ? text : text[..300] + "…";

    private static DateTimeOffset Now => new(Workflow.UtcNow, TimeSpan.Zero);
}
