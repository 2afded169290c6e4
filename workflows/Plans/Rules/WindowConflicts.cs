namespace MaintenanceWorkflows.Workflows.Plans;

/// <summary>A freeze or a blackout-job run that a window would overlap, as instants.</summary>
public sealed record WindowConflict
{
    public required string Kind { get; init; }

    public required string Id { get; init; }

    public required string Description { get; init; }

    public required DateTimeOffset Start { get; init; }

    public required DateTimeOffset End { get; init; }
}

/// <summary>Calendar rules: cadence, freezes, blackouts, and the earliest start that satisfies all of them.</summary>
public static class CalendarRules
{
    public const string FreezeKind = "freeze";
    public const string BlackoutKind = "blackout";

    /// <summary>The cadence slot occurrence that contains the whole window, if any.</summary>
    public static TimeRange? ContainingSlot(MaintenancePolicy policy, DateTimeOffset start, DateTimeOffset end)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var window = new TimeRange(start, end);
        return SlotOccurrences(policy, start, end).Where(s => s.Contains(window)).Cast<TimeRange?>().FirstOrDefault();
    }

    /// <summary>
    /// Occurrences of every cadence slot, either form, that start on a local date around [from, to) (a superset of
    /// those overlapping it), ascending. Two firings that DST resolves to the same instants count once; malformed
    /// slots yield nothing (<see cref="PolicyRules"/> reports them).
    /// </summary>
    public static IEnumerable<TimeRange> SlotOccurrences(MaintenancePolicy policy, DateTimeOffset from, DateTimeOffset to)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var zone = ZoneMath.Zone(policy.TimeZone);
        return policy.Cadence
            .Select(LocalRecurrence.Of)
            .OfType<LocalRecurrence>()
            .SelectMany(rule => ZoneMath.Occurrences(zone, rule, from, to))
            .Distinct()
            .OrderBy(r => r.Start)
            .ThenBy(r => r.End);
    }

    /// <summary>Freezes (not validly overridden) and blackout runs that overlap [start, end).</summary>
    public static IReadOnlyList<WindowConflict> Conflicts(MaintenancePlan plan, MaintenancePolicy policy, DateTimeOffset start, DateTimeOffset end)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(policy);
        var window = new TimeRange(start, end);
        var conflicts = new List<WindowConflict>();
        foreach (var freeze in policy.Freezes)
        {
            if (freeze.AppliesTo.Contains(plan.Type)
                && window.Overlaps(new TimeRange(freeze.Start, freeze.End))
                && !IsOverridden(plan, freeze))
            {
                conflicts.Add(new WindowConflict { Kind = FreezeKind, Id = freeze.Id, Description = freeze.Reason, Start = freeze.Start, End = freeze.End });
            }
        }

        foreach (var blackout in policy.Blackouts.Where(b => Touches(plan, b)))
        {
            var zone = ZoneMath.FindZone(blackout.TimeZone ?? policy.TimeZone);
            if (zone is null)
            {
                continue;
            }

            foreach (var run in ZoneMath.Occurrences(zone, LocalRecurrence.Daily(blackout.Start, blackout.End, d => RunsOn(blackout, d)), start, end))
            {
                if (run.Overlaps(window))
                {
                    conflicts.Add(new WindowConflict { Kind = BlackoutKind, Id = blackout.Id, Description = blackout.Job, Start = run.Start, End = run.End });
                }
            }
        }

        return conflicts;
    }

    /// <summary>
    /// Earliest start at or after <paramref name="notBefore"/> (and the notice and approval lead from now) where a window of
    /// the plan's duration fits the cadence (when required) and overlaps no freeze or blackout. Null when none within 120 days.
    /// </summary>
    public static DateTimeOffset? EarliestLegalStart(MaintenancePlan plan, MaintenancePolicy policy, DateTimeOffset now, DateTimeOffset? notBefore = null)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(policy);
        var duration = plan.Window.Duration;
        if (duration <= TimeSpan.Zero || ZoneMath.FindZone(policy.TimeZone) is null)
        {
            return null;
        }

        var rules = policy.Types.For(plan.Type);
        var lead = rules.Notice;
        if (rules.Approval.DeadlineBeforeStart is { } before && before > lead)
        {
            lead = before;
        }

        var candidate = RoundUpToMinute(Max(now + lead, notBefore ?? now));
        var horizon = candidate.AddDays(120);
        while (candidate < horizon)
        {
            if (rules.RequiresCadence)
            {
                var slot = SlotOccurrences(policy, candidate, candidate.AddDays(8))
                    .FirstOrDefault(s => s.End - Max(s.Start, candidate) >= duration && s.End > candidate);
                if (slot == default)
                {
                    candidate = candidate.AddDays(7);
                    continue;
                }

                candidate = Max(slot.Start, candidate);
            }

            var conflicts = Conflicts(plan, policy, candidate, candidate + duration)
                .Where(c => plan.Type != MaintenanceType.Emergency || c.Kind == FreezeKind)
                .ToList();
            if (conflicts.Count == 0)
            {
                return candidate;
            }

            candidate = conflicts.Max(c => c.End);
        }

        return null;
    }

    private static bool IsOverridden(MaintenancePlan plan, FreezePeriod freeze) =>
        plan.FreezeOverride is { } o
        && ScheduleRules.SameId(o.Freeze, freeze.Id)
        && freeze.OverrideApprovers.Contains(o.Approver, StringComparer.OrdinalIgnoreCase);

    private static bool Touches(MaintenancePlan plan, BlackoutJob blackout) =>
        blackout.Systems.Count == 0
        || plan.Systems.Any(s => blackout.Systems.Contains(s.Name, StringComparer.OrdinalIgnoreCase));

    private static bool RunsOn(BlackoutJob blackout, NodaTime.LocalDate date)
    {
        if (blackout.Days.Count == 0 && blackout.DaysOfMonth.Count == 0)
        {
            return true;
        }

        return blackout.Days.Contains(WeekdayExtensions.FromIso(date.DayOfWeek)) || blackout.DaysOfMonth.Contains(date.Day);
    }

    private static DateTimeOffset RoundUpToMinute(DateTimeOffset t)
    {
        var remainder = t.Ticks % TimeSpan.TicksPerMinute;
        return remainder == 0 ? t : t.AddTicks(TimeSpan.TicksPerMinute - remainder);
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a >= b ? a : b;
}
