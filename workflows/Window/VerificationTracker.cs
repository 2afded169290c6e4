using System.Globalization;
using MaintenanceWorkflows.Workflows.Contracts;
using MaintenanceWorkflows.Workflows.Plans;

namespace MaintenanceWorkflows.Workflows;

/// <summary>
/// Evaluates a plan's rollback triggers over the soak's rounds of verify checks: availability and error
/// rate over every verify probe, latency over the HTTP probes, consecutive failures per blocking check. Triggers fire as soon
/// as the outcome is decided (e.g. availability can no longer reach its floor even if every remaining
/// probe passes), not only at the end. Pure and deterministic: the workflow feeds it check results.
/// </summary>
public sealed class VerificationTracker
{
    /// <summary>Failures kept verbatim for the report; the rest are counted in the per-check summary.</summary>
    public const int MaxRecordedFailures = 50;

    private readonly RollbackTriggers triggers;
    private readonly int plannedRounds;
    private readonly IReadOnlyList<PlanCheck> checks;
    private readonly Dictionary<string, CheckTally> tallies = new(StringComparer.Ordinal);
    private readonly List<CheckResult> failures = [];
    private readonly List<double> serviceLatenciesMs = [];
    private int probesFailed;
    private int probesTotal;

    public VerificationTracker(RollbackTriggers triggers, IReadOnlyList<PlanCheck> verifyChecks, int plannedRounds)
    {
        ArgumentNullException.ThrowIfNull(triggers);
        ArgumentNullException.ThrowIfNull(verifyChecks);
        ArgumentOutOfRangeException.ThrowIfLessThan(plannedRounds, 1);
        this.triggers = triggers;
        checks = verifyChecks;
        this.plannedRounds = plannedRounds;
        foreach (var check in verifyChecks)
        {
            tallies[check.Id] = new CheckTally(check);
        }
    }

    public int RoundsRun { get; private set; }

    /// <summary>Gets the reason the window must roll back, once a trigger fired.</summary>
    public string? Trigger { get; private set; }

    private int ServiceChecksPerRound => checks.Count(IsServiceProbe);

    /// <summary>Records one round of results (one per verify check) and re-evaluates the triggers.</summary>
    public void Record(IReadOnlyList<CheckResult> round)
    {
        ArgumentNullException.ThrowIfNull(round);
        RoundsRun++;
        foreach (var result in round)
        {
            if (!tallies.TryGetValue(result.CheckId, out var tally))
            {
                continue;
            }
            tally.Add(result);
            probesTotal++;
            if (!result.Passed)
            {
                probesFailed++;
                if (failures.Count < MaxRecordedFailures)
                {
                    failures.Add(result);
                }
            }
            if (IsServiceProbe(tally.Check))
            {
                serviceLatenciesMs.Add(result.Latency.TotalMilliseconds);
            }
        }
        Trigger ??= Evaluate(final: RoundsRun >= plannedRounds);
    }

    /// <summary>Evaluates the end-of-soak form of every trigger (used when the soak ends early or on time).</summary>
    public string? Finish() => Trigger ??= Evaluate(final: true);

    public VerificationSummary Summarize(TimeSpan soak, TimeSpan interval) => new()
    {
        Soak = soak,
        Interval = interval,
        PlannedRounds = plannedRounds,
        RoundsRun = RoundsRun,
        Trigger = Trigger,
        AvailabilityPercent = probesTotal == 0 ? null : Percent(probesTotal - probesFailed, probesTotal),
        ErrorRatePercent = probesTotal == 0 ? null : Percent(probesFailed, probesTotal),
        LatencyPercentile = triggers.LatencyPercentile,
        LatencyAtPercentile = serviceLatenciesMs.Count == 0
            ? null
            : TimeSpan.FromMilliseconds(Percentile(serviceLatenciesMs, triggers.LatencyPercentile)),
        Checks = checks.Select(c => tallies[c.Id].Summarize()).ToList(),
        Failures = failures.ToList(),
    };

    /// <summary>Latency is about the service's responses, so only HTTP probes count for it (a smoke invoke's duration is its own check).</summary>
    private static bool IsServiceProbe(PlanCheck check) => check is HttpStatusCheck or HttpJsonCheck;

    private static double Percent(int part, int whole) => Math.Round(100.0 * part / whole, 2);

    private static double Percentile(List<double> values, int percentile)
    {
        var sorted = values.Order().ToList();
        var rank = (int)Math.Ceiling(percentile / 100.0 * sorted.Count) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Count - 1)];
    }

    private static string Ms(double ms) => string.Create(CultureInfo.InvariantCulture, $"{ms:0} ms");

    private string? Evaluate(bool final)
    {
        foreach (var check in checks.Where(c => c.Blocking))
        {
            var tally = tallies[check.Id];
            if (tally.ConsecutiveFailures >= Math.Max(1, triggers.BlockingCheckFailures))
            {
                return $"blocking check '{check.Id}' failed {tally.ConsecutiveFailures} time(s) in a row " +
                    $"(limit {Math.Max(1, triggers.BlockingCheckFailures)}): {tally.LastMessage}";
            }
        }

        var plannedProbes = checks.Count * plannedRounds;
        var passed = probesTotal - probesFailed;
        if (triggers.AvailabilityBelowPercent is { } floor && probesTotal > 0)
        {
            var remaining = final ? 0 : Math.Max(0, plannedProbes - probesTotal);
            var best = 100.0 * (passed + remaining) / (probesTotal + remaining);
            if (best < floor)
            {
                return string.Create(
                    CultureInfo.InvariantCulture,
                    $"availability {Percent(passed, probesTotal)}% ({passed}/{probesTotal} probes) " +
                    $"is below the {floor}% floor{(final ? string.Empty : " and can no longer recover within the soak")}");
            }
        }

        if (triggers.ErrorRateAbovePercent is { } ceiling && probesTotal > 0)
        {
            var denominator = final ? probesTotal : Math.Max(probesTotal, plannedProbes);
            if (100.0 * probesFailed / denominator > ceiling)
            {
                return string.Create(
                    CultureInfo.InvariantCulture,
                    $"error rate {Percent(probesFailed, probesTotal)}% ({probesFailed}/{probesTotal} probes) " +
                    $"is above the {ceiling}% ceiling");
            }
        }

        if (triggers.LatencyAbove is { } limit && serviceLatenciesMs.Count > 0)
        {
            var p = triggers.LatencyPercentile;
            var slow = serviceLatenciesMs.Count(ms => ms > limit.TotalMilliseconds);
            var denominator = final ? serviceLatenciesMs.Count : Math.Max(serviceLatenciesMs.Count, ServiceChecksPerRound * plannedRounds);
            var allowedSlow = Math.Floor((100 - p) / 100.0 * denominator);
            if (slow > allowedSlow)
            {
                return $"p{p} latency {Ms(Percentile(serviceLatenciesMs, p))} is above the " +
                    $"{Ms(limit.TotalMilliseconds)} limit ({slow} of {serviceLatenciesMs.Count} probes were slower)";
            }
        }
        return null;
    }

    private sealed class CheckTally(PlanCheck check)
    {
        private int runs;
        private int passes;
        private double totalLatencyMs;
        private double maxLatencyMs;
        private CheckResult? last;

        public PlanCheck Check { get; } = check;

        public int ConsecutiveFailures { get; private set; }

        public string LastMessage => last?.Message ?? string.Empty;

        public void Add(CheckResult result)
        {
            runs++;
            last = result;
            totalLatencyMs += result.Latency.TotalMilliseconds;
            maxLatencyMs = Math.Max(maxLatencyMs, result.Latency.TotalMilliseconds);
            if (result.Passed)
            {
                passes++;
                ConsecutiveFailures = 0;
            }
            else
            {
                ConsecutiveFailures++;
            }
        }

        public CheckSummary Summarize() => new()
        {
            CheckId = Check.Id,
            Title = Check.Title,
            Type = Check.CheckType,
            Blocking = Check.Blocking,
            Runs = runs,
            Passed = passes,
            AverageLatency = runs == 0 ? TimeSpan.Zero : TimeSpan.FromMilliseconds(totalLatencyMs / runs),
            MaxLatency = TimeSpan.FromMilliseconds(maxLatencyMs),
            LastObserved = last?.Observed,
            LastStatus = last?.Status,
        };
    }
}

public sealed record VerificationSummary
{
    public required TimeSpan Soak { get; init; }

    /// <summary>Time between rounds; wider than the plan's when the soak would exceed the round cap.</summary>
    public required TimeSpan Interval { get; init; }

    public required int PlannedRounds { get; init; }

    public required int RoundsRun { get; init; }

    /// <summary>The rollback trigger that fired, or null when verification passed.</summary>
    public string? Trigger { get; init; }

    public double? AvailabilityPercent { get; init; }

    public double? ErrorRatePercent { get; init; }

    public required int LatencyPercentile { get; init; }

    public TimeSpan? LatencyAtPercentile { get; init; }

    public required IReadOnlyList<CheckSummary> Checks { get; init; }

    /// <summary>The first <see cref="VerificationTracker.MaxRecordedFailures"/> failing results, verbatim.</summary>
    public required IReadOnlyList<CheckResult> Failures { get; init; }
}

public sealed record CheckSummary
{
    public required string CheckId { get; init; }

    public required string Title { get; init; }

    public required string Type { get; init; }

    public required bool Blocking { get; init; }

    public required int Runs { get; init; }

    public required int Passed { get; init; }

    public required TimeSpan AverageLatency { get; init; }

    public required TimeSpan MaxLatency { get; init; }

    public string? LastObserved { get; init; }

    public CheckStatus? LastStatus { get; init; }
}
