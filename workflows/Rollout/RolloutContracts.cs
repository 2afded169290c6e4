using System.Text.Json.Serialization;
using MaintenanceWorkflows.Workflows.Plans;

namespace MaintenanceWorkflows.Workflows.Rollout;

/// <summary>Whether a rollout patches its fleet or undoes what an earlier run of it changed.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<RolloutMode>))]
public enum RolloutMode
{
    Patch,

    /// <summary>The window rolls back: undo every host the patch run left changed (see <see cref="FleetRolloutInput.UndoOf"/>).</summary>
    Undo,
}

[JsonConverter(typeof(JsonStringEnumConverter<RolloutOutcome>))]
public enum RolloutOutcome
{
    /// <summary>Every wave ran within the failure budget.</summary>
    Completed,

    /// <summary>The failure budget ran out (or the canary failed); onFailure was applied.</summary>
    Halted,

    /// <summary>The window was aborted (or cancelled); running hosts finished their step and no new one started.</summary>
    Aborted,

    /// <summary>The fleet could not be resolved, or the strategy does not fit it; no host was touched.</summary>
    Invalid,

    /// <summary>An undo run: every host it had to undo is back.</summary>
    Undone,

    /// <summary>An undo run that could not undo every host; the result names the ones still changed.</summary>
    UndoIncomplete,
}

/// <summary>
/// Where a host stands, one character per host in <see cref="RolloutHosts.States"/> so a fleet of
/// ten thousand stays a small string in the history.
/// </summary>
public static class HostState
{
    public const char Pending = '.';
    public const char Done = 'D';
    public const char Failed = 'F';

    /// <summary>Started but stopped between steps by a halt or an abort: changed, not verified.</summary>
    public const char Stopped = 'S';
    public const char Undone = 'U';

    /// <summary>An undo step failed: the host is still changed.</summary>
    public const char UndoFailed = 'X';

    /// <summary>Whether a host in this state may still carry the change.</summary>
    public static bool IsChanged(char state) => state is Done or Failed or Stopped or UndoFailed;
}

/// <summary>Input of <see cref="FleetRolloutWorkflow"/>: one rollout step of one window.</summary>
public sealed record FleetRolloutInput
{
    /// <summary>The window's workflow id: continue codes are bound to it, and progress goes to it.</summary>
    public required string WindowId { get; init; }

    /// <summary>The window's first run id (codes are bound to it, as approvals are).</summary>
    public required string CodeRunId { get; init; }

    public required RolloutStep Step { get; init; }

    /// <summary>How long the window is (the waves must fit it).</summary>
    public required TimeSpan WindowDuration { get; init; }

    /// <summary>Until when continue codes are valid: the latest end the window can reach.</summary>
    public required DateTimeOffset GateExpires { get; init; }

    /// <summary>Who may send "continue": the window's eligible approvers (never the requester), as for approvals.</summary>
    public IReadOnlyList<string> Continuers { get; init; } = [];

    /// <summary>False only when the worker's policy says <c>proof: none</c> for the window's type.</summary>
    public bool ProofRequired { get; init; } = true;

    /// <summary>Shared with the window so it can tell this rollout's progress signals from anyone else's.</summary>
    public string? ProgressToken { get; init; }

    public RolloutMode Mode { get; init; } = RolloutMode.Patch;

    /// <summary>For <see cref="RolloutMode.Undo"/>: the workflow id of the patch run to undo.</summary>
    public string? UndoOf { get; init; }

    /// <summary>Hosts per batch child workflow: bounds every child's history whatever the fleet size.</summary>
    public int ChunkSize { get; init; } = 100;

    /// <summary>The patch run continues as new between waves once its history passes this many events.</summary>
    public int ContinueAsNewAfterEvents { get; init; } = 4000;

    /// <summary>State carried across continue-as-new; null on the first run.</summary>
    public RolloutCarry? Carry { get; init; }
}

/// <summary>The resolved fleet and where each host stands, compactly.</summary>
public sealed record RolloutHosts
{
    public required IReadOnlyList<string> Names { get; init; }

    /// <summary>One <see cref="HostState"/> character per host, in <see cref="Names"/> order.</summary>
    public required string States { get; init; }

    /// <summary>For hosts that stopped part-way (failed or halted): how many host steps had started, so an undo runs only their rollbacks.</summary>
    public IReadOnlyDictionary<int, int> StepsStarted { get; init; } = new Dictionary<int, int>();
}

/// <summary>What the patch run carries into its next run.</summary>
public sealed record RolloutCarry
{
    public required RolloutHosts Hosts { get; init; }

    public required int NextWave { get; init; }

    public required IReadOnlyList<WaveRecord> Waves { get; init; }

    public required IReadOnlyList<HostFailure> Failures { get; init; }

    public int FailureCount { get; init; }

    public int ProgressSignals { get; init; }
}

/// <summary>One wave as it ran, for the status, the report and the postmortem timeline.</summary>
public sealed record WaveRecord
{
    public required int Number { get; init; }

    public required string Name { get; init; }

    public required int Hosts { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    public DateTimeOffset? FinishedAt { get; init; }

    public int Done { get; init; }

    public int Failed { get; init; }

    /// <summary>What happened after the wave: "paused 10 min", "continued by T-JOSH", "halted: budget spent".</summary>
    public string? Note { get; init; }
}

/// <summary>A failed host and why (kept for the first <see cref="FleetRolloutWorkflow.KeepFailures"/> failures).</summary>
public sealed record HostFailure(string Host, string Detail, DateTimeOffset At);

/// <summary>Result of <see cref="FleetRolloutWorkflow"/>.</summary>
public sealed record FleetRolloutResult
{
    public required RolloutOutcome Outcome { get; init; }

    /// <summary>One line for the window's step record and report.</summary>
    public required string Summary { get; init; }

    public RolloutHosts? Hosts { get; init; }

    public IReadOnlyList<WaveRecord> Waves { get; init; } = [];

    public IReadOnlyList<HostFailure> Failures { get; init; } = [];

    public int FailureCount { get; init; }

    /// <summary>Hosts still carrying the change at the end (after any undo), at most <see cref="FleetRolloutWorkflow.KeepFailures"/> named.</summary>
    public IReadOnlyList<string> StillChanged { get; init; } = [];

    public int StillChangedCount { get; init; }
}

/// <summary>The rollout's Status query: where it is, for people and for `starter status`.</summary>
public sealed record RolloutStatus
{
    public required string StepId { get; init; }

    public required RolloutMode Mode { get; init; }

    /// <summary>1-based wave in progress (0 before the first); the canary counts as a wave.</summary>
    public int Wave { get; init; }

    public int Waves { get; init; }

    public string? WaveName { get; init; }

    public int Hosts { get; init; }

    public int Done { get; init; }

    public int Failed { get; init; }

    public int Pending { get; init; }

    /// <summary>Failures the budget still allows (0 = the next failure halts).</summary>
    public int BudgetLeft { get; init; }

    public string? WaitingFor { get; init; }

    public RolloutOutcome? Outcome { get; init; }

    public IReadOnlyList<WaveRecord> WaveRecords { get; init; } = [];

    public int RefusalCount { get; init; }

    public string? LastRefusal { get; init; }

    /// <summary>"batch 2 of 4 (20/200 done, 1 failed, 179 pending, budget 3 left)".</summary>
    public string Line => Outcome is { } o
        ? $"{o}: {Done}/{Hosts} done, {Failed} failed, {Pending} pending"
        : $"{WaveName ?? "starting"} ({Wave} of {Waves}): {Done}/{Hosts} done, {Failed} failed, {Pending} pending, budget {BudgetLeft} left";
}

/// <summary>Argument of the rollout's <c>Continue</c> signal: an approver lets the next wave start, with their proof code.</summary>
public sealed record ContinueCommand
{
    public string? By { get; init; }

    public string? Code { get; init; }

    public string? Comment { get; init; }
}

/// <summary>Reply of the rollout's <c>SubmitContinue</c> update once the gate opened.</summary>
public sealed record ContinueReceipt
{
    public required string StepId { get; init; }

    /// <summary>The wave (1-based) after which the gate stood.</summary>
    public required int AfterWave { get; init; }

    public required string By { get; init; }

    /// <summary>The rollout's status line when the gate opened.</summary>
    public required string Status { get; init; }
}

/// <summary>Input of <see cref="RolloutBatchWorkflow"/>: one chunk of one wave.</summary>
public sealed record RolloutBatchInput
{
    public required string WindowId { get; init; }

    public required RolloutStep Step { get; init; }

    /// <summary>Host index in the fleet and name.</summary>
    public required IReadOnlyList<BatchHost> Hosts { get; init; }

    public required int Parallelism { get; init; }

    /// <summary>Failures this chunk may see before it stops starting hosts (the budget left when it started).</summary>
    public int FailuresAllowed { get; init; }

    public RolloutMode Mode { get; init; } = RolloutMode.Patch;
}

/// <param name="Index">Position in the fleet.</param>
/// <param name="Name">Host name.</param>
/// <param name="StepsStarted">For an undo: how many host steps had started (their rollbacks run, newest first).</param>
public sealed record BatchHost(int Index, string Name, int StepsStarted = 0);

/// <param name="Index">Position in the fleet.</param>
/// <param name="State">A <see cref="HostState"/>.</param>
/// <param name="StepsStarted">How many host steps started.</param>
/// <param name="Detail">Why it failed or what the undo could not do; null when all went well.</param>
/// <param name="At">When the host finished.</param>
public sealed record HostOutcome(int Index, char State, int StepsStarted, string? Detail, DateTimeOffset At);

public sealed record RolloutBatchResult(IReadOnlyList<HostOutcome> Hosts);

/// <summary>Input of the <see cref="Contracts.ActivityNames"/> fleet activity: a fleet name from the worker's configuration.</summary>
public sealed record ResolveFleetInput(string Fleet);

/// <summary>The fleet's hosts (ranges expanded), or why it cannot be used.</summary>
public sealed record ResolveFleetResult(IReadOnlyList<string> Hosts, string? Error);

/// <summary>Input of the activity that reads what a finished rollout left changed.</summary>
public sealed record ReadRolloutInput(string WorkflowId);

/// <summary>The patch run's result, or why it cannot be read (never ran, still running, failed).</summary>
public sealed record ReadRolloutResult(FleetRolloutResult? Result, string? Error);

/// <summary>Signal the rollout sends its window at each wave: the window's Status and Phase show it.</summary>
public sealed record RolloutProgressSignal
{
    public string? Token { get; init; }

    public string? StepId { get; init; }

    public string? Line { get; init; }

    /// <summary>The counts behind <see cref="Line"/>; null in signals recorded before rollouts sent them.</summary>
    public RolloutSnapshot? Snapshot { get; init; }
}

/// <summary>Where a rollout stands, as numbers: what the window's Status, Phase and progress notices show.</summary>
public sealed record RolloutSnapshot
{
    public RolloutMode Mode { get; init; }

    /// <summary>1-based wave in progress (0 before the first); the canary counts as a wave.</summary>
    public int Wave { get; init; }

    public int Waves { get; init; }

    public string? WaveName { get; init; }

    /// <summary>Hosts in the wave in progress.</summary>
    public int WaveHosts { get; init; }

    /// <summary>True while the wave's hosts run; false once it has finished (or before the first).</summary>
    public bool WaveRunning { get; init; }

    public int Hosts { get; init; }

    public int Done { get; init; }

    public int Failed { get; init; }

    public int Pending { get; init; }

    public int BudgetLeft { get; init; }

    public RolloutOutcome? Outcome { get; init; }
}

/// <summary>The window's abort, passed to its rollout; only the window knows the token.</summary>
public sealed record RolloutAbortSignal
{
    public string? Token { get; init; }
}

/// <summary>Names of the rollout workflows' signals and queries.</summary>
public static class RolloutHandlers
{
    public const string Continue = "Continue";
    public const string SubmitContinue = "SubmitContinue";
    public const string Halt = "Halt";
    public const string Abort = "Abort";
    public const string Status = "Status";

    /// <summary>Sent by a rollout to its window.</summary>
    public const string Progress = "RolloutProgress";
}
