using MaintenanceWorkflows.Workflows.Plans;
using MaintenanceWorkflows.Workflows.Rollout;
using Temporalio.Converters;
using Temporalio.Exceptions;
using Temporalio.Workflows;

namespace MaintenanceWorkflows.Workflows;

/// <summary>
/// The window's side of a rollout step, kept out of the window's own files: the step runs
/// <see cref="FleetRolloutWorkflow"/> as a child (one per step), a halt or an abort fails the step so the window
/// rolls back, and the window's rollback undoes the rollout through an undo run of the same child.
/// </summary>
public partial class MaintenanceWindowWorkflow
{
    public const string RefusedRolloutProgress = "rollout.progress-foreign";

    // Shared with this window's rollouts only, so a progress signal from anyone else is told apart.
    private string? rolloutToken;

    private async Task<string> RunRolloutAsync(RolloutStep step, CancellationToken ct)
    {
        var result = await RunRolloutChildAsync(FleetRolloutWorkflow.IdFor(WindowId, step.Id), RolloutInput(step, RolloutMode.Patch), ct);
        return result.Outcome switch
        {
            RolloutOutcome.Completed => result.Summary,
            RolloutOutcome.Aborted => throw new OperationCanceledException(result.Summary),
            _ => throw new ApplicationFailureException(result.Summary, "RolloutHalted", nonRetryable: true),
        };
    }

    private async Task<string> UndoRolloutAsync(RolloutStep step, CancellationToken ct)
    {
        var id = FleetRolloutWorkflow.IdFor(WindowId, step.Id);
        var result = await RunRolloutChildAsync($"{id}-undo", RolloutInput(step, RolloutMode.Undo) with { UndoOf = id }, ct);
        return result.Outcome == RolloutOutcome.Undone
            ? result.Summary
            : throw new ApplicationFailureException(result.Summary, "RolloutUndoIncomplete", nonRetryable: true);
    }

    private FleetRolloutInput RolloutInput(RolloutStep step, RolloutMode mode)
    {
        rolloutToken ??= Workflow.NewGuid().ToString("N");
        return new FleetRolloutInput
        {
            WindowId = WindowId,
            CodeRunId = CodeRunId,
            Step = step,
            WindowDuration = plan.Window.Duration,
            GateExpires = LatestEnd,
            Continuers = schedule.EligibleApprovers,
            ProofRequired = ProofRequired,
            ProgressToken = rolloutToken,
            Mode = mode,
        };
    }

    /// <summary>
    /// Runs the rollout child to its end. An abort of the window is passed on as the rollout's own Abort signal
    /// (carrying the window's token): the rollout stops starting hosts, lets running ones finish their step and
    /// reports what changed, which a Temporal cancellation of the child would not let it do as cleanly.
    /// </summary>
    private static async Task<FleetRolloutResult> RunRolloutChildAsync(string id, FleetRolloutInput input, CancellationToken ct)
    {
        try
        {
            var handle = await Workflow.StartChildWorkflowAsync(
                (FleetRolloutWorkflow wf) => wf.RunAsync(input),
                new ChildWorkflowOptions { Id = id, CancellationToken = CancellationToken.None, StaticSummary = $"{input.Mode} rollout '{input.Step.Id}'" });
            var result = handle.GetResultAsync();
            using var finished = new CancellationTokenSource();
            var aborted = Workflow.WaitConditionAsync(() => ct.IsCancellationRequested, finished.Token);
            if (await Workflow.WhenAnyAsync(result, aborted) != result)
            {
                await handle.SignalAsync(wf => wf.AbortAsync(new RolloutAbortSignal { Token = input.ProgressToken }), new ChildWorkflowSignalOptions { CancellationToken = CancellationToken.None });
            }
            var outcome = await result;
            finished.Cancel();
            return outcome;
        }
        catch (ChildWorkflowFailureException e)
        {
            throw new ApplicationFailureException($"rollout workflow {id} failed: {e.InnerException?.Message ?? e.Message}", nonRetryable: true);
        }
    }

    /// <summary>A rollout reports its waves here; the window's Status shows the line while the step runs.</summary>
    [WorkflowSignal(RolloutHandlers.Progress)]
    public Task RolloutProgressAsync(IRawValue? payload = null)
    {
        var parsed = SignalPayload.Parse<RolloutProgressSignal>(payload, "{\"token\": \"...\", \"stepId\": \"...\", \"line\": \"...\"}");
        if (parsed.Value is not { } signal || rolloutToken is null || !string.Equals(signal.Token, rolloutToken, StringComparison.Ordinal)
            || (signal.Line?.Length ?? 0) > MaxTextLength || (signal.StepId?.Length ?? 0) > MaxIdLength)
        {
            Refuse(RolloutHandlers.Progress, null, RefusedRolloutProgress, "progress is accepted only from this window's own rollouts");
            return Task.CompletedTask;
        }
        if (progress.Phase == WindowPhase.InProgress)
        {
            progress.WaitingFor = $"rollout '{signal.StepId}': {signal.Line}";
        }
        return Task.CompletedTask;
    }
}
