using System.Globalization;
using System.Text.Json.Serialization;

namespace MaintenanceWorkflows.Workflows.Plans;

/// <summary>
/// Patches a fleet in health-gated waves: canary hosts first, then batches, each host running
/// <see cref="Steps"/> (with <c>{host}</c> replaced by its name) and passing <see cref="Checks"/>. Each
/// host step's own rollback undoes it; the rollout as a whole is undone host by host, so it takes no
/// rollback of its own.
/// </summary>
public sealed record RolloutStep : PlanStep
{
    /// <summary>The text replaced by each host's name in step arguments, URLs, paths, targets and checks.</summary>
    public const string HostPlaceholder = "{host}";

    /// <summary>Host names inline; an entry like <c>pve-{01..08}</c> stands for a numbered range.</summary>
    public IReadOnlyList<string> Hosts { get; init; } = [];

    /// <summary>Name of a fleet the worker resolves from its configuration (<c>Fleets:&lt;name&gt;</c>); exclusive with <see cref="Hosts"/>.</summary>
    public string? Fleet { get; init; }

    /// <summary>What runs on each host, in order.</summary>
    public IReadOnlyList<PlanStep> Steps { get; init; } = [];

    /// <summary>Checks each host must pass after its steps; a failing blocking check fails the host.</summary>
    public IReadOnlyList<PlanCheck> Checks { get; init; } = [];

    public RolloutStrategy Strategy { get; init; } = new();

    public override string StepType => StepTypes.Rollout;

    public override bool ChangesState => Steps.Any(s => s.ChangesState);

    /// <summary>Undone host by host through the host steps' rollbacks.</summary>
    public override bool HasBuiltInCompensation => true;
}

/// <summary>How the fleet is split into waves, how fast they go, and what a failure costs.</summary>
public sealed record RolloutStrategy
{
    /// <summary>Hosts patched first, alone; a canary failure beyond the budget halts before any batch.</summary>
    public HostCount Canary { get; init; } = HostCount.None;

    /// <summary>Batches of this size after the canary (e.g. 1 for one at a time, or 25%); exclusive with <see cref="Waves"/>.</summary>
    public HostCount? BatchSize { get; init; }

    /// <summary>Cumulative targets after the canary (e.g. 10%, 25%, 100%): each wave brings the patched share up to its value.</summary>
    public IReadOnlyList<HostCount> Waves { get; init; } = [];

    /// <summary>Most hosts changing at the same time; null means a whole batch at once.</summary>
    public HostCount? MaxUnavailable { get; init; }

    /// <summary>Failure budget: the rollout halts when more hosts than this have failed.</summary>
    public HostCount MaxFailedHosts { get; init; } = HostCount.None;

    /// <summary>A timed pause or a human "continue" gate after the canary or after each batch; null for none.</summary>
    public RolloutPause? Pause { get; init; }

    public RolloutFailureAction OnFailure { get; init; } = RolloutFailureAction.Halt;
}

/// <summary>A number of hosts, absolute or as a share of the fleet.</summary>
public sealed record HostCount
{
    public static HostCount None { get; } = new() { Count = 0 };

    public int? Count { get; init; }

    public double? Percent { get; init; }

    /// <summary>The host count for a fleet; a share rounds up (a batch of 10% of 5 hosts is 1 host).</summary>
    public int ForBatch(int fleetSize) => Count ?? (int)Math.Ceiling(fleetSize * Percent!.Value / 100 - 1e-9);

    /// <summary>The host count for a budget; a share rounds down (2% of 40 hosts allows no failure).</summary>
    public int ForBudget(int fleetSize) => Count ?? (int)Math.Floor(fleetSize * Percent!.Value / 100 + 1e-9);

    public override string ToString() => Count?.ToString(CultureInfo.InvariantCulture) ?? $"{Percent!.Value.ToString("0.##", CultureInfo.InvariantCulture)}%";
}

public sealed record RolloutPause
{
    public PauseAfter After { get; init; } = PauseAfter.Canary;

    /// <summary>A timed pause; null with <see cref="Approval"/> for a human gate.</summary>
    public TimeSpan? Duration { get; init; }

    /// <summary>Wait for a "continue" from an approver of the window, with their proof code, as for approvals.</summary>
    public bool Approval { get; init; }
}

[JsonConverter(typeof(JsonStringEnumConverter<PauseAfter>))]
public enum PauseAfter
{
    Canary,
    EachBatch,
}

[JsonConverter(typeof(JsonStringEnumConverter<RolloutFailureAction>))]
public enum RolloutFailureAction
{
    /// <summary>Stop starting hosts; leave every host as it is for a human.</summary>
    Halt,

    /// <summary>Stop, and undo the hosts that failed.</summary>
    RollbackFailed,

    /// <summary>Stop, and undo every changed host, latest batch first.</summary>
    RollbackAll,
}
