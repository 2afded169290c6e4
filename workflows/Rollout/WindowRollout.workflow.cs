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

    /// <summary>Windows recorded before this upserted only the bare phase while a rollout ran.</summary>
    internal const string RolloutPhasePatch = "rollout-phase-attribute";

    /// <summary>Windows recorded before this sent no progress notices during a rollout.</summary>
    internal const string RolloutNoticePatch = "rollout-progress-notices";

    // Shared with this window's rollouts only, so a progress signal from anyone else is told apart.
    private string? rolloutToken;

    // The running rollout's last report (Status shows it) and whether the Phase attribute carries it.
    private WindowRolloutProgress? rolloutNow;
    private bool rolloutInPhase;

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
    private async Task<FleetRolloutResult> RunRolloutChildAsync(string id, FleetRolloutInput input, CancellationToken ct)
    {
        using var finished = new CancellationTokenSource();
        var notices = input.Mode == RolloutMode.Patch && schedule.ChannelsFor(NoticeKind.Progress).Count > 0 && Workflow.Patched(RolloutNoticePatch)
            ? ProgressNoticesAsync(input.Step, finished.Token)
            : Task.CompletedTask;
        try
        {
            var handle = await Workflow.StartChildWorkflowAsync(
                (FleetRolloutWorkflow wf) => wf.RunAsync(input),
                new ChildWorkflowOptions { Id = id, CancellationToken = CancellationToken.None, StaticSummary = $"{input.Mode} rollout '{input.Step.Id}'" });
            var result = handle.GetResultAsync();
            var aborted = Workflow.WaitConditionAsync(() => ct.IsCancellationRequested, finished.Token);
            if (await Workflow.WhenAnyAsync(result, aborted) != result)
            {
                await handle.SignalAsync(wf => wf.AbortAsync(new RolloutAbortSignal { Token = input.ProgressToken }), new ChildWorkflowSignalOptions { CancellationToken = CancellationToken.None });
            }
            return await result;
        }
        catch (ChildWorkflowFailureException e)
        {
            throw new ApplicationFailureException($"rollout workflow {id} failed: {e.InnerException?.Message ?? e.Message}", nonRetryable: true);
        }
        finally
        {
            finished.Cancel();
            await notices;
            rolloutNow = null;
            if (rolloutInPhase)
            {
                rolloutInPhase = false;
                Workflow.UpsertTypedSearchAttributes(MaintenanceSearchAttributes.Phase.ValueSet(progress.Phase.ToString()));
            }
        }
    }

    /// <summary>
    /// Progress notices while a rollout patches (the status page's "patching 3 of 8 hosts"): at most one per
    /// wave, sent when a wave starts; reports that arrive while one is being sent are coalesced into the next.
    /// Each goes through the notification activity like every other notice, so a retry never sends twice.
    /// </summary>
    private async Task ProgressNoticesAsync(RolloutStep step, CancellationToken stop)
    {
        var noticedWave = 0;
        bool Due() => rolloutNow?.Snapshot is { WaveRunning: true } s && s.Wave > noticedWave;
        while (true)
        {
            try
            {
                await Workflow.WaitConditionAsync(Due, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            var snapshot = rolloutNow!.Snapshot!;
            noticedWave = snapshot.Wave;
            await NotifyAsync(NoticeKind.Progress, new NoticeFacts
            {
                StartedAt = execution.StartedAt,
                Rollout = new RolloutNoticeFacts
                {
                    Step = step.Title,
                    Wave = snapshot.Wave,
                    Waves = snapshot.Waves,
                    WaveName = snapshot.WaveName ?? $"wave {snapshot.Wave}",
                    WaveHosts = snapshot.WaveHosts,
                    Hosts = snapshot.Hosts,
                    Done = snapshot.Done,
                    Failed = snapshot.Failed,
                },
            });
        }
    }

    /// <summary>A rollout reports its waves here; the window's Status shows the line while the step runs.</summary>
    [WorkflowSignal(RolloutHandlers.Progress)]
    public Task RolloutProgressAsync(IRawValue? payload = null)
    {
        var parsed = SignalPayload.Parse<RolloutProgressSignal>(payload, "{\"token\": \"...\", \"stepId\": \"...\", \"line\": \"...\"}");
        if (parsed.Value is not { } signal || rolloutToken is null || !string.Equals(signal.Token, rolloutToken, StringComparison.Ordinal)
            || (signal.Line?.Length ?? 0) > MaxTextLength || (signal.StepId?.Length ?? 0) > MaxIdLength || (signal.Snapshot?.WaveName?.Length ?? 0) > MaxIdLength)
        {
            Refuse(RolloutHandlers.Progress, null, RefusedRolloutProgress, "progress is accepted only from this window's own rollouts");
            return Task.CompletedTask;
        }
        if (progress.Phase is WindowPhase.InProgress or WindowPhase.RollingBack)
        {
            var line = $"rollout '{signal.StepId}': {signal.Line}";
            progress.WaitingFor = line;
            rolloutNow = new WindowRolloutProgress { StepId = signal.StepId ?? string.Empty, Line = signal.Line ?? string.Empty, Snapshot = signal.Snapshot };
            // "InProgress: rollout 'x': batch 2 (2 of 4): ..." so `starter list` and the Temporal UI show the waves;
            // list filters match the phase by its prefix (see ListCommand).
            if (Workflow.Patched(RolloutPhasePatch))
            {
                rolloutInPhase = true;
                Workflow.UpsertTypedSearchAttributes(MaintenanceSearchAttributes.Phase.ValueSet($"{progress.Phase}: {line}"));
            }
        }
        return Task.CompletedTask;
    }
}
