using NodaTime;

namespace MaintenanceWorkflows.Workflows.Plans;

/// <summary>An interval of local wall-clock time, before the zone turns it into instants.</summary>
public readonly record struct LocalInterval(LocalDateTime Start, LocalDateTime End);

/// <summary>
/// A recurring wall-clock rule as the local intervals that start on each date. Cadence slots (weekday
/// list or cron) and blackout jobs are all expressed this way, so <see cref="ZoneMath.Occurrences(DateTimeZone, LocalRecurrence, DateTimeOffset, DateTimeOffset)"/>
/// is the one place that walks dates and resolves DST gaps and overlaps.
/// </summary>
public sealed class LocalRecurrence
{
    private readonly Func<LocalDate, IEnumerable<LocalInterval>> startingOn;

    private LocalRecurrence(Func<LocalDate, IEnumerable<LocalInterval>> startingOn, int reachDays)
    {
        this.startingOn = startingOn;
        ReachDays = reachDays;
    }

    /// <summary>How many dates past its start date an occurrence can end on: how far back expansion must look.</summary>
    public int ReachDays { get; }

    public IEnumerable<LocalInterval> StartingOn(LocalDate date) => startingOn(date);

    /// <summary>start..end on each date <paramref name="runsOn"/> accepts; an end at or before the start is on the next day.</summary>
    public static LocalRecurrence Daily(TimeOnly start, TimeOnly end, Func<LocalDate, bool> runsOn)
    {
        ArgumentNullException.ThrowIfNull(runsOn);
        var startTime = ToLocalTime(start);
        var endTime = ToLocalTime(end);
        var overnight = end <= start;
        return new LocalRecurrence(
            date => runsOn(date) ? [new LocalInterval(date + startTime, (overnight ? date.PlusDays(1) : date) + endTime)] : [],
            overnight ? 1 : 0);
    }

    /// <summary>Each firing of <paramref name="cron"/> starts an interval of <paramref name="duration"/> on the wall clock.</summary>
    public static LocalRecurrence Cron(CronExpression cron, TimeSpan duration)
    {
        ArgumentNullException.ThrowIfNull(cron);
        if (duration <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(duration), duration, "a cron slot needs a positive duration");
        }

        return new LocalRecurrence(
            date => cron.StartsOn(date).Select(start => new LocalInterval(start, start.PlusTicks(duration.Ticks))),
            (int)Math.Ceiling(duration.TotalDays));
    }

    /// <summary>
    /// The slot's rule, or null when the slot is malformed (both forms, neither, a bad cron, a non-positive
    /// duration); <see cref="PolicyRules"/> reports those, and the calendar must not throw inside a workflow.
    /// </summary>
    public static LocalRecurrence? Of(CadenceSlot slot)
    {
        ArgumentNullException.ThrowIfNull(slot);
        var daysForm = slot.Start is not null || slot.End is not null || slot.Days.Count > 0;
        var cronForm = slot.Cron is not null || slot.Duration is not null;
        if (daysForm && !cronForm && slot is { Start: { } start, End: { } end })
        {
            var days = slot.Days;
            return Daily(start, end, d => days.Contains(WeekdayExtensions.FromIso(d.DayOfWeek)));
        }

        if (cronForm && !daysForm && slot is { Cron: { } text, Duration: { } duration } && duration > TimeSpan.Zero
            && CronExpression.TryParse(text, out var cron, out _))
        {
            return Cron(cron, duration);
        }

        return null;
    }

    private static LocalTime ToLocalTime(TimeOnly time) => new(time.Hour, time.Minute, time.Second);
}
