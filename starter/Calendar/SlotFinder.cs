using System.Globalization;
using MaintenanceWorkflows.Workflows.Plans;
using NodaTime;

namespace MaintenanceWorkflows.Starter.Calendar;

/// <summary>One occurrence of a cadence slot: the parts still free for a window, and what blocks the rest.</summary>
public sealed record SlotOccurrence(TimeRange Slot, IReadOnlyList<TimeRange> Free, IReadOnlyList<WindowConflict> Conflicts)
{
    public bool Usable => Free.Count > 0;
}

/// <summary>
/// The routine windows a policy's cadence allows from a given instant, with freezes and blackouts cut out.
/// Occurrences come from <see cref="CalendarRules"/> (computed per local date, so DST moves the UTC times
/// and can shorten or lengthen a slot); this only walks them and subtracts the conflicts.
/// </summary>
public static class SlotFinder
{
    /// <summary>How far ahead to look before giving up on finding more slots.</summary>
    public static readonly TimeSpan Horizon = TimeSpan.FromDays(400);

    /// <summary>Slots ending after <paramref name="earliest"/>, in order; a slot counts as usable when a free stretch of at least <paramref name="minimum"/> is left.</summary>
    public static IEnumerable<SlotOccurrence> Walk(MaintenancePolicy policy, MaintenancePlan probe, DateTimeOffset earliest, TimeSpan minimum)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(probe);
        var last = DateTimeOffset.MinValue;
        for (var from = earliest; from < earliest + Horizon; from = from.AddDays(14))
        {
            foreach (var slot in CalendarRules.SlotOccurrences(policy, from, from.AddDays(14)))
            {
                // Chunks overlap by a day either side; each occurrence is reported once, and empty ones (a start
                // that DST skipped onto the end) are not slots at all.
                if (slot.Start <= last || slot.End <= earliest || slot.End <= slot.Start)
                {
                    continue;
                }
                last = slot.Start;
                var usable = new TimeRange(slot.Start < earliest ? earliest : slot.Start, slot.End);
                var conflicts = CalendarRules.Conflicts(probe, policy, usable.Start, usable.End)
                    .Where(c => probe.Type != MaintenanceType.Emergency || c.Kind == CalendarRules.FreezeKind)
                    .ToList();
                var free = Subtract(usable, conflicts.Select(c => new TimeRange(c.Start, c.End))).Where(r => r.End - r.Start >= minimum).ToList();
                yield return new SlotOccurrence(slot, free, conflicts);
            }
        }
    }

    /// <summary>
    /// A plan standing in for "any routine window": when none is given, it touches every system a blackout
    /// names, so every blackout applies.
    /// </summary>
    public static MaintenancePlan AnyRoutineWindow(MaintenancePolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var now = DateTimeOffset.UnixEpoch;
        return new MaintenancePlan
        {
            Id = "slots",
            Title = "any routine window",
            Type = MaintenanceType.Routine,
            Window = new MaintenanceWindow { Start = now, End = now, TimeZone = policy.TimeZone },
            Requester = "slots",
            Scope = "any routine window",
            Impact = new ImpactAssessment { Summary = "any" },
            Systems = policy.Blackouts.SelectMany(b => b.Systems).Distinct(StringComparer.OrdinalIgnoreCase).Select(s => new AffectedSystem { Name = s }).ToList(),
        };
    }

    /// <summary>"Tue 2027-03-16 02:00 PDT - 04:00 PDT (UTC-07:00)"; both offsets when DST changes inside the range.</summary>
    public static string FormatLocal(TimeRange range, string zoneId)
    {
        var zone = ZoneMath.Zone(zoneId);
        var start = Instant.FromDateTimeOffset(range.Start).InZone(zone);
        var end = Instant.FromDateTimeOffset(range.End).InZone(zone);
        var endText = end.Date == start.Date
            ? end.ToString("HH:mm", CultureInfo.InvariantCulture)
            : end.ToString("ddd yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
        var startAbbreviation = start.GetZoneInterval().Name;
        var endAbbreviation = end.GetZoneInterval().Name;
        return start.Offset == end.Offset
            ? $"{start.ToString("ddd yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} - {endText} {endAbbreviation} (UTC{Offset(start.Offset)})"
            : $"{start.ToString("ddd yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} {startAbbreviation} (UTC{Offset(start.Offset)}) - {endText} {endAbbreviation} (UTC{Offset(end.Offset)})";
    }

    /// <summary>"2027-03-16 09:00 - 11:00 UTC".</summary>
    public static string FormatUtc(TimeRange range)
    {
        var start = range.Start.ToUniversalTime();
        var end = range.End.ToUniversalTime();
        var endText = end.Date == start.Date ? end.ToString("HH:mm", CultureInfo.InvariantCulture) : end.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
        return $"{start.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} - {endText} UTC";
    }

    private static string Offset(Offset offset)
    {
        var span = offset.ToTimeSpan();
        return $"{(span < TimeSpan.Zero ? "-" : "+")}{span.Duration():hh\\:mm}";
    }

    private static List<TimeRange> Subtract(TimeRange range, IEnumerable<TimeRange> blocked)
    {
        var free = new List<TimeRange> { range };
        foreach (var block in blocked)
        {
            free = free.SelectMany(f => !f.Overlaps(block)
                ? [f]
                : new[] { new TimeRange(f.Start, block.Start), new TimeRange(block.End, f.End) }.Where(r => r.End > r.Start)).ToList();
        }
        return free;
    }
}
