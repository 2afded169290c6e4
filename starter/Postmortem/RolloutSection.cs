using MaintenanceWorkflows.Workflows.Plans;
using MaintenanceWorkflows.Workflows.Rollout;

namespace MaintenanceWorkflows.Starter.Postmortem;

/// <summary>
/// A rollout step as the postmortem tells it: its waves and a per-host outcome table, built from the compact
/// results the rollout children returned to the window (one character per host, the waves, the first failures),
/// so it reads no child history and stays small for ten thousand hosts: a small fleet lists every host, a large
/// one lists the hosts that did not end patched (up to <see cref="MaxHostRows"/>) and counts the rest per wave.
/// </summary>
public sealed record RolloutSection
{
    /// <summary>Fleets up to this size list every host; larger ones list only the hosts that did not end patched, at most this many.</summary>
    public const int MaxHostRows = 50;

    public required string StepId { get; init; }

    public required string Title { get; init; }

    /// <summary>"Completed", "Halted", "running"...; the undo's outcome follows when the window rolled back.</summary>
    public required string Outcome { get; init; }

    public required string Summary { get; init; }

    public int Hosts { get; init; }

    public int Patched { get; init; }

    public int Failed { get; init; }

    public int NotStarted { get; init; }

    public int RolledBack { get; init; }

    /// <summary>Hosts still carrying the change; it matters when <see cref="RollbackAsked"/>.</summary>
    public int StillChanged { get; init; }

    /// <summary>Whether anything asked for hosts to be rolled back: a halt (onFailure) or the window's rollback.</summary>
    public bool RollbackAsked { get; init; }

    public IReadOnlyList<WaveRecord> Waves { get; init; } = [];

    public IReadOnlyList<HostLine> HostRows { get; init; } = [];

    /// <summary>True when <see cref="HostRows"/> lists only some hosts (the others are counted per wave).</summary>
    public bool Collapsed { get; init; }

    /// <summary>Hosts that would be listed but are past <see cref="MaxHostRows"/>.</summary>
    public int HostsNotListed { get; init; }

    public static RolloutSection From(RolloutRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var step = run.Step;
        if (run.Patch is not { Hosts: { } fleet } patch)
        {
            var state = run.Patch is { } invalid ? $"{invalid.Outcome}"
                : run.ClosedAt is null ? "running"
                : "did not complete";
            var summary = run.Patch?.Summary ?? run.Failure ?? (run.LastReport is { } report ? $"the window last showed {report}" : "started; no wave reported yet");
            return new RolloutSection { StepId = step.Id, Title = step.Title, Outcome = state, Summary = summary, Waves = run.Patch?.Waves ?? [] };
        }

        var names = fleet.Names;
        var patchStates = fleet.States;
        var finalStates = run.Undo?.Hosts is { } undone && undone.States.Length == patchStates.Length ? undone.States : patchStates;
        var failures = patch.Failures.GroupBy(f => f.Host).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var undoFailures = (run.Undo?.Failures ?? []).GroupBy(f => f.Host).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var plannedWaves = RolloutRules.PlanWaves(names.Count, step.Strategy);
        var recorded = patch.Waves.ToDictionary(w => w.Number);

        var lines = new List<HostLine>();
        var listAll = names.Count <= MaxHostRows;
        var notListed = 0;
        var (patched, failed, notStarted, rolledBack, stillChanged) = (0, 0, 0, 0, 0);
        for (var i = 0; i < names.Count; i++)
        {
            var before = patchStates[i];
            var after = finalStates[i];
            var hostFailed = before == HostState.Failed || failures.ContainsKey(names[i]);
            var wave = plannedWaves.FirstOrDefault(w => i >= w.Start && i < w.Start + w.Count);
            var waveRecord = wave is null ? null : recorded.GetValueOrDefault(wave.Number);
            var result = hostFailed ? $"FAILED: {failures.GetValueOrDefault(names[i])?.Detail ?? "its check or a step failed"}"
                : before == HostState.Pending ? "not started"
                : before == HostState.Stopped ? "stopped mid-way (halt or abort)"
                : "patched";
            var back = after switch
            {
                HostState.Undone => "yes",
                HostState.UndoFailed => $"NO: the undo failed{(undoFailures.GetValueOrDefault(names[i]) is { } u ? $" ({u.Detail})" : string.Empty)}",
                _ when HostState.IsChanged(after) && (run.Undo is not null || patch.Outcome == RolloutOutcome.Halted) => "no: still changed",
                _ => "-",
            };
            patched += before is HostState.Done || (before == HostState.Undone && !hostFailed) ? 1 : 0;
            failed += hostFailed ? 1 : 0;
            notStarted += before == HostState.Pending ? 1 : 0;
            rolledBack += after == HostState.Undone ? 1 : 0;
            stillChanged += HostState.IsChanged(after) ? 1 : 0;

            var cleanSuccess = !hostFailed && before is HostState.Done && after is HostState.Done;
            if (!listAll && (cleanSuccess || before == HostState.Pending))
            {
                continue;
            }
            if (lines.Count >= MaxHostRows)
            {
                notListed++;
                continue;
            }
            var when = failures.GetValueOrDefault(names[i])?.At ?? (before == HostState.Pending ? null : waveRecord?.FinishedAt ?? waveRecord?.StartedAt);
            lines.Add(new HostLine(names[i], wave?.Name ?? "-", result, when, back));
        }

        var outcome = run.Undo is { } undo ? $"{patch.Outcome}, then {undo.Outcome}" : run.UndoFailure is { } undoFailure ? $"{patch.Outcome}, then the undo did not complete ({undoFailure})" : patch.Outcome.ToString();
        return new RolloutSection
        {
            StepId = step.Id,
            Title = step.Title,
            Outcome = outcome,
            // An undo of a halted rollout quotes the patch run's summary; once is enough.
            Summary = run.Undo is { } u2 ? $"{patch.Summary}; undo: {u2.Summary.Replace($" ({patch.Summary})", string.Empty, StringComparison.Ordinal)}" : patch.Summary,
            Hosts = names.Count,
            Patched = patched,
            Failed = failed,
            NotStarted = notStarted,
            RolledBack = rolledBack,
            StillChanged = stillChanged,
            RollbackAsked = run.UndoStartedAt is not null || patch.Outcome == RolloutOutcome.Halted,
            Waves = patch.Waves,
            HostRows = lines,
            Collapsed = !listAll,
            HostsNotListed = notListed,
        };
    }
}

/// <summary>One host of a rollout: its wave, how it ended, when, and whether it was rolled back.</summary>
public sealed record HostLine(string Host, string Wave, string Result, DateTimeOffset? At, string RolledBack);
