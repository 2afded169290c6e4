using MaintenanceWorkflows.Workflows.Contracts;
using MaintenanceWorkflows.Workflows.Governance;
using MaintenanceWorkflows.Workflows.Plans;
using Microsoft.Extensions.Logging;
using Temporalio.Common;
using Temporalio.Converters;
using Temporalio.Workflows;

namespace MaintenanceWorkflows.Workflows.Rollout;

/// <summary>
/// One rollout step of a window, as a child workflow: resolves the fleet (recorded), then runs the canary
/// and the batches as child workflows of at most <see cref="FleetRolloutInput.ChunkSize"/> hosts each, so no
/// history grows with the fleet. It keeps one character per host, halts when the failure budget is spent
/// (any canary failure halts), applies onFailure, pauses or waits for a "continue" with proof between
/// waves, and continues as new when its own history grows. Undo mode (the window rolls back) reads what a
/// patch run left changed and undoes those hosts, latest wave first.
/// </summary>
[Workflow]
public partial class FleetRolloutWorkflow
{
    /// <summary>Failed hosts named in full (status, result, report); the rest are counted.</summary>
    public const int KeepFailures = 20;

    /// <summary>Progress signals to the window at most (two per wave), so the window's history stays bounded too.</summary>
    public const int MaxProgressSignals = 100;

    private readonly FleetRolloutInput input;
    private IReadOnlyList<string> hosts = [];
    private char[] states = [];
    private Dictionary<int, int> stepsStarted = [];
    private List<WaveRecord> waves = [];
    private List<HostFailure> failures = [];
    private IReadOnlyList<RolloutWave> plan = [];
    private int failureCount;
    private int budget;
    private int currentWave = -1;
    private int progressSignals;
    private string? waitingFor;
    private bool waveRunning;
    private RolloutOutcome? outcome;

    public static string IdFor(string windowId, string stepId) => $"{windowId}-rollout-{stepId}";

    private RolloutStrategy Strategy => input.Step.Strategy;

    // Set by the window's Abort signal; a Temporal cancellation of the rollout itself counts as an abort too.
    private bool abortRequested;

    private bool Aborted => abortRequested || Workflow.CancellationToken.IsCancellationRequested;

    private static DateTimeOffset Now => new(Workflow.UtcNow, TimeSpan.Zero);

    /// <summary>
    /// Initializes a new instance of the <see cref="FleetRolloutWorkflow"/> class before any signal or query, so
    /// a Continue sent at once still sees who may send it.
    /// </summary>
    [WorkflowInit]
    public FleetRolloutWorkflow(FleetRolloutInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        this.input = input;
    }

    [WorkflowRun]
    public async Task<FleetRolloutResult> RunAsync(FleetRolloutInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var result = input.Mode == RolloutMode.Undo ? await UndoRunAsync() : await PatchRunAsync();
        outcome = result.Outcome;
        waitingFor = null;
        UpsertPhase();
        await ReportAsync(force: true);
        await Workflow.WaitConditionAsync(() => Workflow.AllHandlersFinished, CancellationToken.None);
        return result;
    }

    /// <summary>The window was aborted: start no new host, let running ones finish their step. Only the window's token counts.</summary>
    [WorkflowSignal(RolloutHandlers.Abort)]
    public Task AbortAsync(RolloutAbortSignal signal)
    {
        if (signal?.Token is { } token && input.ProgressToken is not null && string.Equals(token, input.ProgressToken, StringComparison.Ordinal))
        {
            abortRequested = true;
        }
        else
        {
            Refuse(null, "Abort is accepted only from this rollout's window (abort the window instead)");
        }
        return Task.CompletedTask;
    }

    [WorkflowQuery(RolloutHandlers.Status)]
    public RolloutStatus Status => new()
    {
        StepId = input.Step.Id,
        Mode = input.Mode,
        Wave = currentWave + 1,
        Waves = plan.Count,
        WaveName = currentWave >= 0 && currentWave < plan.Count ? plan[currentWave].Name : null,
        Hosts = hosts.Count,
        Done = states.Count(s => s is HostState.Done or HostState.Undone),
        Failed = failureCount,
        Pending = states.Count(s => s == HostState.Pending),
        BudgetLeft = Math.Max(0, budget - failureCount),
        WaitingFor = waitingFor,
        Outcome = outcome,
        WaveRecords = waves,
        RefusalCount = refusalCount,
        LastRefusal = lastRefusal,
    };

    private async Task<FleetRolloutResult> PatchRunAsync()
    {
        var nextWave = 0;
        if (input.Carry is { } carry)
        {
            Restore(carry);
            nextWave = carry.NextWave;
        }
        else
        {
            var resolved = await ResolveHostsAsync();
            if (resolved.Error is not null)
            {
                return Invalid(resolved.Error);
            }
            var problems = RolloutRules.ValidateFleet(input.Step, resolved.Hosts, input.WindowDuration, $"rollout '{input.Step.Id}'")
                .Where(v => v.Severity == ViolationSeverity.Error).ToList();
            if (problems.Count > 0)
            {
                return Invalid(string.Join("; ", problems.Select(p => $"{p.Message} {p.Fix}")));
            }
            hosts = resolved.Hosts;
            states = Enumerable.Repeat(HostState.Pending, hosts.Count).ToArray();
        }
        plan = RolloutRules.PlanWaves(hosts.Count, Strategy);
        budget = Strategy.MaxFailedHosts.ForBudget(hosts.Count);

        var halted = false;
        for (var w = nextWave; w < plan.Count && !Aborted; w++)
        {
            if (w > nextWave && (Workflow.ContinueAsNewSuggested || Workflow.CurrentHistoryLength > input.ContinueAsNewAfterEvents))
            {
                var next = input with { Carry = CarryFrom(w) };
                throw Workflow.CreateContinueAsNewException((FleetRolloutWorkflow wf) => wf.RunAsync(next));
            }
            currentWave = w;
            var wave = plan[w];
            var failedBefore = failureCount;
            await RunWaveAsync(wave, RolloutMode.Patch, wave.Number == 0 ? 0 : budget - failureCount, $"w{wave.Number}");
            var waveFailed = failureCount - failedBefore;
            if ((wave.Number == 0 && waveFailed > 0) || failureCount > budget)
            {
                halted = true;
                Note(wave.Number == 0
                    ? $"halted: the canary failed ({waveFailed} host(s))"
                    : $"halted: {failureCount} failed host(s), the budget allows {budget}");
                break;
            }
            if (w < plan.Count - 1 && !Aborted && Strategy.Pause is { } pause && (pause.After == PauseAfter.EachBatch || wave.Number == 0))
            {
                await PauseAsync(pause, wave);
            }
        }

        if (Aborted)
        {
            return Finish(RolloutOutcome.Aborted, "aborted: no new host started and running hosts finished their step");
        }
        if (!halted)
        {
            return Finish(RolloutOutcome.Completed, $"all {hosts.Count} host(s) patched in {plan.Count} wave(s), {failureCount} failed within the budget of {budget}");
        }
        var reason = waves[^1].Note!;
        switch (Strategy.OnFailure)
        {
            case RolloutFailureAction.RollbackFailed:
                await UndoHostsAsync(i => states[i] == HostState.Failed, "r");
                return Finish(RolloutOutcome.Halted, $"{reason}; the failed host(s) were rolled back (onFailure: rollback-failed)");
            case RolloutFailureAction.RollbackAll:
                await UndoHostsAsync(i => HostState.IsChanged(states[i]), "r");
                return Finish(RolloutOutcome.Halted, $"{reason}; every changed host was rolled back (onFailure: rollback-all)");
            default:
                return Finish(RolloutOutcome.Halted, $"{reason}; hosts left as they are (onFailure: halt)");
        }
    }

    /// <summary>
    /// The window rolls back. A rollout that halted on its budget already did what onFailure says, and what it
    /// left changed stays (named); any other rollout (completed, aborted) has every changed host undone.
    /// </summary>
    private async Task<FleetRolloutResult> UndoRunAsync()
    {
        var read = await Workflow.ExecuteActivityAsync<ReadRolloutResult>(
            ActivityNames.ReadRollout,
            [new ReadRolloutInput(input.UndoOf ?? string.Empty)],
            new ActivityOptions { StartToCloseTimeout = TimeSpan.FromMinutes(1), RetryPolicy = new RetryPolicy { MaximumAttempts = 5 }, CancellationToken = CancellationToken.None, Summary = $"read rollout {input.UndoOf}" });
        if (read.Result is not { } patched)
        {
            return new FleetRolloutResult { Outcome = RolloutOutcome.UndoIncomplete, Summary = $"the rollout's state cannot be read ({read.Error}); check its hosts by hand" };
        }
        if (patched.Hosts is not { } patchedHosts)
        {
            return new FleetRolloutResult { Outcome = RolloutOutcome.Undone, Summary = $"nothing to undo: the rollout touched no host ({patched.Summary})" };
        }
        hosts = patchedHosts.Names;
        states = patchedHosts.States.ToCharArray();
        stepsStarted = patchedHosts.StepsStarted.ToDictionary(p => p.Key, p => p.Value);
        plan = RolloutRules.PlanWaves(hosts.Count, Strategy);
        if (patched.Outcome == RolloutOutcome.Halted)
        {
            var left = Enumerable.Range(0, hosts.Count).Where(i => HostState.IsChanged(states[i])).ToList();
            return left.Count == 0
                ? new FleetRolloutResult { Outcome = RolloutOutcome.Undone, Summary = $"nothing left to undo ({patched.Summary})", Hosts = patchedHosts }
                : Result(RolloutOutcome.UndoIncomplete, $"left in place as onFailure: {Strategy.OnFailure} decided when the rollout halted");
        }
        await UndoHostsAsync(i => HostState.IsChanged(states[i]), "u");
        var still = states.Count(HostState.IsChanged);
        return still == 0
            ? Result(RolloutOutcome.Undone, $"{states.Count(s => s == HostState.Undone)} host(s) undone")
            : Result(RolloutOutcome.UndoIncomplete, "the undo failed on some hosts");
    }

    private async Task<ResolveFleetResult> ResolveHostsAsync()
    {
        if (input.Step.Fleet is not { } fleet)
        {
            var errors = new List<string>();
            var inline = RolloutRules.ExpandHosts(input.Step.Hosts, errors);
            return new ResolveFleetResult(inline, errors.Count == 0 ? null : string.Join("; ", errors));
        }
        // The worker's configuration names the fleet; resolving it once, as an activity, records the hosts.
        return await Workflow.ExecuteActivityAsync<ResolveFleetResult>(
            ActivityNames.ResolveFleet,
            [new ResolveFleetInput(fleet)],
            new ActivityOptions { StartToCloseTimeout = TimeSpan.FromMinutes(1), RetryPolicy = new RetryPolicy { MaximumAttempts = 5 }, CancellationToken = CancellationToken.None, Summary = $"resolve fleet {fleet}" });
    }

    /// <summary>Undoes the chosen hosts, latest wave first, each wave's hosts in chunks; continues past failures.</summary>
    private async Task UndoHostsAsync(Func<int, bool> chosen, string prefix)
    {
        foreach (var wave in plan.Reverse())
        {
            var selected = Enumerable.Range(wave.Start, wave.Count).Where(chosen).ToList();
            if (selected.Count > 0)
            {
                waitingFor = $"undoing {selected.Count} host(s) of the {wave.Name}";
                await RunChunksAsync(selected, RolloutMode.Undo, RolloutRules.Parallelism(Strategy, hosts.Count, selected.Count), int.MaxValue, $"{prefix}{wave.Number}");
            }
        }
        waitingFor = null;
    }

    private async Task RunWaveAsync(RolloutWave wave, RolloutMode mode, int failuresAllowed, string idPart)
    {
        waves.Add(new WaveRecord { Number = wave.Number, Name = wave.Name, Hosts = wave.Count, StartedAt = Now });
        waitingFor = $"the {wave.Name}: {wave.Count} host(s)";
        waveRunning = true;
        UpsertPhase();
        await ReportAsync();
        Workflow.Logger.LogInformation("Rollout {StepId}: {Wave} starts with {Hosts} host(s)", input.Step.Id, wave.Name, wave.Count);
        var indexes = Enumerable.Range(wave.Start, wave.Count).ToList();
        var failedBefore = failureCount;
        await RunChunksAsync(indexes, mode, RolloutRules.Parallelism(Strategy, hosts.Count, wave.Count), failuresAllowed, idPart);
        waves[^1] = waves[^1] with
        {
            FinishedAt = Now,
            Done = indexes.Count(i => states[i] == HostState.Done),
            Failed = failureCount - failedBefore,
        };
        waitingFor = null;
        waveRunning = false;
        UpsertPhase();
        await ReportAsync();
    }

    /// <summary>
    /// Runs the hosts as chunk child workflows, about <paramref name="parallelism"/> hosts at a time in all. When
    /// the failures pass <paramref name="failuresAllowed"/> (or the window is aborted) the running chunks are told
    /// to halt: no new host starts, running ones finish their step.
    /// </summary>
    private async Task RunChunksAsync(IReadOnlyList<int> indexes, RolloutMode mode, int parallelism, int failuresAllowed, string idPart)
    {
        var chunkSize = Math.Max(1, input.ChunkSize);
        var chunks = indexes.Chunk(chunkSize).ToList();
        var concurrent = Math.Max(1, parallelism / chunkSize);
        var running = new List<ChildWorkflowHandle<RolloutBatchWorkflow, RolloutBatchResult>>();
        var tasks = new List<Task>();
        var failedBefore = failureCount;
        var haltSent = false;
        bool ShouldHalt() => mode == RolloutMode.Patch && (Aborted || failureCount - failedBefore > failuresAllowed);

        for (var k = 0; k < chunks.Count; k++)
        {
            await Workflow.WaitConditionAsync(() => running.Count < concurrent || ShouldHalt(), CancellationToken.None);
            if (ShouldHalt())
            {
                break;
            }
            var chunk = chunks[k];
            var batchInput = new RolloutBatchInput
            {
                WindowId = input.WindowId,
                Step = input.Step with { Hosts = [] },
                Hosts = chunk.Select(i => new BatchHost(i, hosts[i], mode == RolloutMode.Undo ? stepsStarted.GetValueOrDefault(i, input.Step.Steps.Count) : 0)).ToList(),
                Parallelism = Math.Min(parallelism, chunk.Length),
                FailuresAllowed = Math.Max(0, failuresAllowed - (failureCount - failedBefore)),
                Mode = mode,
            };
            var handle = await Workflow.StartChildWorkflowAsync(
                (RolloutBatchWorkflow wf) => wf.RunAsync(batchInput),
                new ChildWorkflowOptions
                {
                    Id = $"{Workflow.Info.WorkflowId}-{idPart}-c{k}",
                    // A halt is a signal, so chunks finish the step in hand; an undo is never cancelled.
                    CancellationToken = CancellationToken.None,
                    StaticSummary = $"{(mode == RolloutMode.Undo ? "undo" : "patch")} {chunk.Length} host(s): {hosts[chunk[0]]}..{hosts[chunk[^1]]}",
                });
            running.Add(handle);
            tasks.Add(CollectAsync(handle));
        }

        while (running.Count > 0)
        {
            await Workflow.WaitConditionAsync(() => running.Count == 0 || (ShouldHalt() && !haltSent), CancellationToken.None);
            if (running.Count > 0 && ShouldHalt() && !haltSent)
            {
                haltSent = true;
                foreach (var handle in running.ToList())
                {
                    await handle.SignalAsync(wf => wf.HaltAsync(), new ChildWorkflowSignalOptions { CancellationToken = CancellationToken.None });
                }
            }
        }
        await Workflow.WhenAllAsync(tasks);

        async Task CollectAsync(ChildWorkflowHandle<RolloutBatchWorkflow, RolloutBatchResult> handle)
        {
            var result = await handle.GetResultAsync();
            running.Remove(handle);
            Merge(result, mode);
        }
    }

    private void Merge(RolloutBatchResult result, RolloutMode mode)
    {
        foreach (var host in result.Hosts)
        {
            states[host.Index] = host.State;
            if (host.State is HostState.Failed or HostState.Stopped && mode == RolloutMode.Patch)
            {
                stepsStarted[host.Index] = host.StepsStarted;
            }
            if (host.State == HostState.Failed)
            {
                failureCount++;
            }
            if (host.Detail is not null && host.State is HostState.Failed or HostState.UndoFailed && failures.Count < KeepFailures)
            {
                failures.Add(new HostFailure(hosts[host.Index], host.Detail, host.At));
            }
        }
    }

    private void Note(string note) => waves[^1] = waves[^1] with { Note = waves[^1].Note is null ? note : $"{waves[^1].Note}; {note}" };

    private RolloutCarry CarryFrom(int nextWave) => new()
    {
        Hosts = new RolloutHosts { Names = hosts, States = new string(states), StepsStarted = stepsStarted },
        NextWave = nextWave,
        Waves = waves,
        Failures = failures,
        FailureCount = failureCount,
        ProgressSignals = progressSignals,
    };

    private void Restore(RolloutCarry carry)
    {
        hosts = carry.Hosts.Names;
        states = carry.Hosts.States.ToCharArray();
        stepsStarted = carry.Hosts.StepsStarted.ToDictionary(p => p.Key, p => p.Value);
        waves = [.. carry.Waves];
        failures = [.. carry.Failures];
        failureCount = carry.FailureCount;
        progressSignals = carry.ProgressSignals;
    }

    private FleetRolloutResult Invalid(string why)
    {
        Workflow.Logger.LogWarning("Rollout {StepId} cannot run: {Why}", input.Step.Id, why);
        return new FleetRolloutResult { Outcome = RolloutOutcome.Invalid, Summary = $"rollout '{input.Step.Id}' did not start: {why}" };
    }

    private FleetRolloutResult Finish(RolloutOutcome final, string summary)
    {
        var still = states.Count(HostState.IsChanged);
        var text = $"rollout '{input.Step.Id}' {summary}; {states.Count(s => s == HostState.Done)} done, {failureCount} failed, {states.Count(s => s == HostState.Pending)} not started, {still} still changed{(final == RolloutOutcome.Completed ? string.Empty : StillChangedList())}";
        return Result(final, text);
    }

    private FleetRolloutResult Result(RolloutOutcome final, string summary)
    {
        var still = Enumerable.Range(0, hosts.Count).Where(i => HostState.IsChanged(states[i])).ToList();
        var text = input.Mode == RolloutMode.Undo && still.Count > 0 ? $"{summary}; {still.Count} host(s) still changed{StillChangedList()}" : summary;
        return new FleetRolloutResult
        {
            Outcome = final,
            Summary = text,
            Hosts = new RolloutHosts { Names = hosts, States = new string(states), StepsStarted = stepsStarted },
            Waves = waves,
            Failures = failures,
            FailureCount = failureCount,
            StillChanged = still.Take(KeepFailures).Select(i => hosts[i]).ToList(),
            StillChangedCount = still.Count,
        };
    }

    private string StillChangedList()
    {
        var still = Enumerable.Range(0, hosts.Count).Where(i => HostState.IsChanged(states[i])).ToList();
        return still.Count == 0 ? string.Empty : $" ({string.Join(", ", still.Take(KeepFailures).Select(i => hosts[i]))}{(still.Count > KeepFailures ? $" and {still.Count - KeepFailures} more" : string.Empty)})";
    }

    private RolloutSnapshot Snapshot()
    {
        var status = Status;
        return new RolloutSnapshot
        {
            Mode = input.Mode,
            Wave = status.Wave,
            Waves = status.Waves,
            WaveName = status.WaveName,
            WaveHosts = currentWave >= 0 && currentWave < plan.Count ? plan[currentWave].Count : 0,
            WaveRunning = waveRunning,
            Hosts = status.Hosts,
            Done = status.Done,
            Failed = status.Failed,
            Pending = status.Pending,
            BudgetLeft = status.BudgetLeft,
            Outcome = status.Outcome,
        };
    }

    /// <summary>The rollout's own Phase attribute reads like its Status line, so the Temporal UI and `starter list` show the waves.</summary>
    private void UpsertPhase() =>
        Workflow.UpsertTypedSearchAttributes(MaintenanceSearchAttributes.Phase.ValueSet($"Rollout {Status.Line}"));

    /// <summary>Tells the window where the rollout is (its Status shows the line); bounded, best effort.</summary>
    private async Task ReportAsync(bool force = false)
    {
        if (input.ProgressToken is null || (progressSignals >= MaxProgressSignals && !force))
        {
            return;
        }
        progressSignals++;
        try
        {
            await Workflow.GetExternalWorkflowHandle(input.WindowId).SignalAsync(
                RolloutHandlers.Progress,
                [new RolloutProgressSignal { Token = input.ProgressToken, StepId = input.Step.Id, Line = Status.Line, Snapshot = Snapshot() }],
                new ExternalWorkflowSignalOptions { CancellationToken = CancellationToken.None });
        }
        catch (Temporalio.Exceptions.ApplicationFailureException)
        {
            // The window is gone (it was terminated): nobody to tell.
        }
    }
}
