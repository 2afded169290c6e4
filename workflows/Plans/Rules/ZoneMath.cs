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

    public static DateTimeOffset StartInstant(LocalDate date, TimeOnly time, DateTimeZone zone) =>
        zone.ResolveLocal(date + ToLocalTime(time), StartResolver).ToDateTimeOffset();

    public static DateTimeOffset EndInstant(LocalDate date, TimeOnly time, DateTimeZone zone) =>
        zone.ResolveLocal(date + ToLocalTime(time), EndResolver).ToDateTimeOffset();

    /// <summary>
    /// Occurrences of a daily wall-clock slot (start..end local, end at or before start = next day) whose start
    /// date falls in [from - 1 day, to + 1 day], each converted to instants on its own date (so DST is honoured).
    /// </summary>
    public static IEnumerable<TimeRange> Occurrences(
        DateTimeZone zone, TimeOnly start, TimeOnly end, Func<LocalDate, bool> runsOn, DateTimeOffset from, DateTimeOffset to)
    {
        var first = Instant.FromDateTimeOffset(from).InZone(zone).Date.PlusDays(-1);
        var last = Instant.FromDateTimeOffset(to).InZone(zone).Date.PlusDays(1);
        for (var date = first; date <= last; date = date.PlusDays(1))
        {
            if (!runsOn(date))
            {
                continue;
            }

            var endDate = end <= start ? date.PlusDays(1) : date;
            yield return new TimeRange(StartInstant(date, start, zone), EndInstant(endDate, end, zone));
        }
    }

    public static LocalDate LocalDateOf(DateTimeOffset instant, DateTimeZone zone) =>
        Instant.FromDateTimeOffset(instant).InZone(zone).Date;

    private static LocalTime ToLocalTime(TimeOnly time) => new(time.Hour, time.Minute, time.Second);

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
