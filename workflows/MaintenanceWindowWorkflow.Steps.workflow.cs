using MaintenanceWorkflows.Workflows.Contracts;
using MaintenanceWorkflows.Workflows.Plans;
using Temporalio.Exceptions;
using Temporalio.Workflows;

namespace MaintenanceWorkflows.Workflows;

/// <summary>The work itself: steps and rollback steps through one switch over step types, compensations, and checks.</summary>
public partial class MaintenanceWindowWorkflow
{
    /// <summary>Registers the step's compensation first (so a crash mid-step still unwinds it), then runs the step.</summary>
    private async Task<string> RunStepAsync(int index, CancellationToken ct)
    {
        var step = plan.Steps[index];
        if (step is LambdaPromoteStep promote)
        {
            var compensation = new Compensation(index, step.Id, $"restore alias {promote.Function}:{promote.Alias}");
            execution.Compensations.Add(compensation);
            var result = await PlanActivities.PromoteAsync(WindowId, promote, ct);
            compensation.Promoted = result;
            return result.Changed
                ? $"{result.Alias}: {result.PreviousVersion} -> {result.NewVersion}{(result.PublishedVersion is null ? string.Empty : $" (published {result.PublishedVersion})")}"
                : $"{result.Alias} already on {result.NewVersion}";
        }
        if (step is RolloutStep rollout)
        {
            execution.Compensations.Add(new Compensation(index, step.Id, $"undo rollout '{step.Id}' host by host"));
            return await RunRolloutAsync(rollout, ct);
        }
        if (step.Rollback is { } rollback)
        {
            execution.Compensations.Add(new Compensation(index, step.Id, $"{rollback.StepType} '{rollback.Title}'"));
        }
        return await PerformAsync(step, undoing: false, ct);
    }

    private async Task<string> UndoAsync(Compensation compensation, CancellationToken ct)
    {
        var step = plan.Steps[compensation.StepIndex];
        if (step is LambdaPromoteStep promote)
        {
            // Also without the promotion's result (it failed or was cancelled after moving the alias): the marker on the alias says what to restore.
            var restored = await PlanActivities.RestoreAsync(WindowId, promote, compensation.Promoted, ct);
            return restored.Changed
                ? $"{restored.Alias}: {restored.FromVersion} -> {restored.RestoredVersion}{(compensation.Promoted is null ? " (from the alias marker)" : string.Empty)}"
                : compensation.Promoted is null
                    ? $"{restored.Alias} carries no marker of this run: the promotion never moved it (on {restored.RestoredVersion})"
                    : $"{restored.Alias} already on {restored.RestoredVersion}";
        }
        if (step is RolloutStep rollout)
        {
            return await UndoRolloutAsync(rollout, ct);
        }
        return await PerformAsync(step.Rollback!, undoing: true, ct);
    }

    /// <summary>
    /// Runs one plan step, forward or as the rollback of another step. A Lambda promotion is undone by
    /// restoring its alias (see <see cref="UndoAsync"/>), so it cannot itself be a rollback step.
    /// </summary>
    private async Task<string> PerformAsync(PlanStep step, bool undoing, CancellationToken ct)
    {
        var role = undoing ? "rollback step" : "step";
        switch (step)
        {
            case LambdaPromoteStep when undoing:
                throw new ApplicationFailureException($"rollback step '{step.Id}' has type '{step.StepType}', which cannot be used as a rollback", nonRetryable: true);
            case HttpRequestStep request:
            {
                var result = await PlanActivities.SendRequestAsync(request, compensation: undoing, ct);
                return undoing ? $"HTTP {result.StatusCode}" : $"HTTP {result.StatusCode} in {result.Latency.TotalMilliseconds:0} ms";
            }
            case CommandStep command:
            {
                var result = await PlanActivities.RunCommandAsync(command, compensation: undoing, ct);
                if (!result.Succeeded)
                {
                    throw new ApplicationFailureException(
                        $"command '{command.Command}' exited with code {result.ExitCode}: {string.Join(" | ", result.OutputTail.TakeLast(3))}");
                }
                return undoing ? $"'{command.Command}' exited 0" : $"'{command.Command}' exited 0 in {result.Duration.TotalSeconds:0.#} s";
            }
            case WaitStep wait:
                await Workflow.DelayAsync(wait.Duration, ct);
                return $"waited {Format(wait.Duration)}";
            case ManualStep manual:
            {
                progress.WaitingFor = $"acknowledgement of {role} '{step.Id}': {manual.Instructions}";
                await Workflow.WaitConditionAsync(() => IsAcknowledged(step.Id), ct);
                var ack = ledger.Acknowledgements.Last(a => string.Equals(a.Item, step.Id, StringComparison.OrdinalIgnoreCase));
                if (ack.Abandoned)
                {
                    throw new ApplicationFailureException($"abandoned by {ack.By}{(ack.Note is null ? string.Empty : $": {ack.Note}")}", nonRetryable: true);
                }
                return undoing || ack.Note is null ? $"acknowledged by {ack.By}" : $"acknowledged by {ack.By}: {ack.Note}";
            }
            default:
                throw new ApplicationFailureException(
                    undoing
                        ? $"rollback step '{step.Id}' has type '{step.StepType}', which cannot be used as a rollback"
                        : $"step '{step.Id}' has type '{step.StepType}', which this worker cannot run",
                    nonRetryable: true);
        }
    }

    private static bool IsCancellation(Exception e) =>
        e is OperationCanceledException or CanceledFailureException or ActivityFailureException { InnerException: CanceledFailureException };

    private static bool IsStepFailure(Exception e) =>
        e is ActivityFailureException or OperationCanceledException or CanceledFailureException
        or ApplicationFailureException;

    private async Task<IReadOnlyList<CheckResult>> RunChecksAsync(IReadOnlyList<PlanCheck> checks, CancellationToken ct)
    {
        // Policy freezes are data in the input, evaluated here; only a freeze check that passes them and
        // names an external flag (and every other check) goes to the worker, in one batch.
        var local = checks.Select(c => c is FreezeCheck freeze ? EvaluateFreeze(freeze) : null).ToList();
        var remote = checks.Where((c, i) => local[i] is null || (local[i]!.Passed && c is FreezeCheck { Source: not null })).ToList();
        var fetched = await PlanActivities.RunChecksAsync(remote, ct);
        var results = checks.Select((c, i) => remote.IndexOf(c) is var at && at >= 0 ? fetched[at] : local[i]!).ToList();
        foreach (var result in results)
        {
            ledger.LatestChecks.RemoveAll(r => r.CheckId == result.CheckId);
            ledger.LatestChecks.Add(result);
        }
        return results;
    }

    /// <summary>The policy's freezes are data in the input, so the freeze check is evaluated here, deterministically.</summary>
    private CheckResult EvaluateFreeze(FreezeCheck check)
    {
        var now = Now;
        var active = policy.Freezes.FirstOrDefault(f => f.Start <= now && now < f.End && f.AppliesTo.Contains(plan.Type));
        if (active is null)
        {
            return PlanActivities.Passed(check, "no freeze active", "no change freeze of the policy is active now");
        }
        if (plan.FreezeOverride is { } o && string.Equals(o.Freeze, active.Id, StringComparison.OrdinalIgnoreCase) &&
            Approval.ApprovedBy.Contains(o.Approver, StringComparer.OrdinalIgnoreCase))
        {
            return PlanActivities.Passed(check, $"freeze '{active.Id}' overridden", $"freeze '{active.Id}' is active but {o.Approver} approved the override: {o.Reason}");
        }
        return PlanActivities.Failed(check, $"freeze '{active.Id}' active", $"change freeze '{active.Id}' ({active.Reason}) runs until {ZoneMath.FormatUtc(active.End)}");
    }
}
