using NodaTime;
using NodaTime.TimeZones;

namespace MaintenanceWorkflows.Workflows.Plans;

/// <summary>
/// Wall-clock arithmetic on the embedded tz database, so every machine (and every workflow replay)
/// computes the same instants regardless of the host's zone data.
/// </summary>
public static class ZoneMath
{
    /// <summary>Skipped local times (spring forward) move to the first valid instant; repeated ones (fall back) take the earlier.</summary>
    private static readonly ZoneLocalMappingResolver StartResolver =
        Resolvers.CreateMappingResolver(Resolvers.ReturnEarlier, Resolvers.ReturnStartOfIntervalAfter);

    /// <summary>An interval's end on a repeated local time takes the later instant: the job is still running the first time round.</summary>
    private static readonly ZoneLocalMappingResolver EndResolver =
        Resolvers.CreateMappingResolver(Resolvers.ReturnLater, Resolvers.ReturnStartOfIntervalAfter);

    public static DateTimeZone? FindZone(string? id) =>
        string.IsNullOrWhiteSpace(id) ? null : DateTimeZoneProviders.Tzdb.GetZoneOrNull(id);

    public static DateTimeZone Zone(string id) =>
        FindZone(id) ?? throw new ArgumentException($"'{id}' is not an IANA time zone id (e.g. America/Los_Angeles, Europe/Berlin, UTC).", nameof(id));

    /// <summary>Suggests zone ids for a typo, e.g. "America/Los Angeles" -> America/Los_Angeles.</summary>
    public static IReadOnlyList<string> SuggestZones(string id) =>
        Suggest.Closest(id, DateTimeZoneProviders.Tzdb.Ids, 3);

    public static DateTimeOffset ToLocal(DateTimeOffset instant, string zoneId) =>
        Instant.FromDateTimeOffset(instant).InZone(Zone(zoneId)).ToDateTimeOffset();

    /// <summary>"2026-06-09 02:00 PDT (UTC-07:00)".</summary>
    public static string FormatLocal(DateTimeOffset instant, string zoneId)
    {
        var zoned = Instant.FromDateTimeOffset(instant).InZone(Zone(zoneId));
        var abbreviation = zoned.GetZoneInterval().Name;
        return $"{zoned.LocalDateTime:yyyy-MM-dd HH:mm} {abbreviation} (UTC{FormatOffset(zoned.Offset)})";
    }

    public static string FormatUtc(DateTimeOffset instant) =>
        instant.ToUniversalTime().ToString("yyyy-MM-dd HH:mm 'UTC'", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The instants of a local interval: its start and end resolved on their own dates, so DST is honoured.</summary>
    public static TimeRange Resolve(DateTimeZone zone, LocalInterval local)
    {
        ArgumentNullException.ThrowIfNull(zone);
        return new TimeRange(zone.ResolveLocal(local.Start, StartResolver).ToDateTimeOffset(), zone.ResolveLocal(local.End, EndResolver).ToDateTimeOffset());
    }

    /// <summary>
    /// Occurrences of <paramref name="rule"/> whose start date falls in [from - reach, to + 1 day] (reach at least a
    /// day), each resolved on its own dates: a superset of those overlapping [from, to), in start order per date.
    /// </summary>
    public static IEnumerable<TimeRange> Occurrences(DateTimeZone zone, LocalRecurrence rule, DateTimeOffset from, DateTimeOffset to)
    {
        ArgumentNullException.ThrowIfNull(zone);
        ArgumentNullException.ThrowIfNull(rule);
        var first = LocalDateOf(from, zone).PlusDays(-Math.Max(1, rule.ReachDays));
        var last = LocalDateOf(to, zone).PlusDays(1);
        for (var date = first; date <= last; date = date.PlusDays(1))
        {
            foreach (var local in rule.StartingOn(date))
            {
                yield return Resolve(zone, local);
            }
        }
    }

    public static LocalDate LocalDateOf(DateTimeOffset instant, DateTimeZone zone) =>
        Instant.FromDateTimeOffset(instant).InZone(zone).Date;

    private static string FormatOffset(Offset offset)
    {
        var span = offset.ToTimeSpan();
        var sign = span < TimeSpan.Zero ? "-" : "+";
        return $"{sign}{span.Duration():hh\\:mm}";
    }
}

/// <summary>Half-open interval [Start, End) of instants.</summary>
public readonly record struct TimeRange(DateTimeOffset Start, DateTimeOffset End)
{
    public bool Overlaps(TimeRange other) => Start < other.End && other.Start < End;

    public bool Contains(TimeRange other) => Start <= other.Start && other.End <= End;
}
