using System.CommandLine;
using MaintenanceWorkflows.Starter.Calendar;
using MaintenanceWorkflows.Starter.Postmortem;
using MaintenanceWorkflows.Workflows;
using MaintenanceWorkflows.Workflows.Plans;

namespace MaintenanceWorkflows.Starter.Commands;

/// <summary>`starter calendar [--days N] [--ics FILE] [--now T]`: upcoming, in-progress and recently completed windows from visibility.</summary>
public static class CalendarCommand
{
    public const int DefaultDays = 30;

    public static Command Create(TextWriter output, TextWriter error)
    {
        var days = new Option<int>("--days") { Description = $"Upcoming windows starting within this many days (default {DefaultDays}).", DefaultValueFactory = _ => DefaultDays };
        var ics = new Option<string?>("--ics") { Description = "Also write the windows as an iCalendar file (one event per window, in its time zone)." };
        var now = PlanInputs.NowOption();
        var command = new Command("calendar", "Show the maintenance calendar: upcoming, in progress and completed in the last 30 days.") { days, ics, now };
        command.SetAction((parse, _) => RunAsync(parse, parse.GetValue(days), parse.GetValue(ics), parse.GetValue(now), output, error));
        return command;
    }

    public static async Task<int> RunAsync(ParseResult parse, int days, string? icsPath, string? nowText, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        if (days < 1)
        {
            error.WriteLine($"error: --days {days}: give a number of days of at least 1, e.g. --days {DefaultDays}.");
            return PlanInputs.ExitLoadError;
        }
        if (!PlanInputs.TryParseNow(nowText, error, out var now))
        {
            return PlanInputs.ExitLoadError;
        }
        var client = await Connection.ConnectAsync(parse, error);
        if (client is null)
        {
            return Connection.ExitUnavailable;
        }
        WindowCalendar calendar;
        try
        {
            calendar = await WindowCalendar.LoadAsync(client, now, days);
        }
        catch (Exception e) when (Connection.TryExplain(e, "(calendar)", error, out var exit))
        {
            return exit;
        }
        Write(output, calendar);
        if (icsPath is not null)
        {
            try
            {
                if (Path.GetDirectoryName(Path.GetFullPath(icsPath)) is { } directory)
                {
                    Directory.CreateDirectory(directory);
                }
                await File.WriteAllTextAsync(icsPath, CalendarIcs.Write(calendar));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                error.WriteLine($"error: cannot write {Path.GetFullPath(icsPath)}: {e.Message}");
                return PlanInputs.ExitLoadError;
            }
            output.WriteLine($"wrote {icsPath} ({calendar.All.Count()} event(s))");
        }
        return 0;
    }

    public static void Write(TextWriter output, WindowCalendar calendar)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(calendar);
        output.WriteLine($"Maintenance calendar as of {ZoneMath.FormatUtc(calendar.Now)}");
        output.WriteLine($"  Upcoming: {calendar.Upcoming.Count} (next {calendar.Days} days)   In progress: {calendar.InProgress.Count}   Completed (30d): {calendar.Completed.Count}{CompletedNote(calendar.Completed)}");
        output.WriteLine(calendar.Upcoming.Count == 0
            ? "  Next window: TBD (none scheduled)"
            : $"  Next window: {Next(calendar.Upcoming[0])}");
        Section(output, "UPCOMING", calendar.Upcoming);
        Section(output, "IN PROGRESS", calendar.InProgress);
        Section(output, "COMPLETED (30d)", calendar.Completed);
    }

    private static string Next(CalendarWindow w) =>
        $"{ZoneMath.FormatLocal(w.Start, w.TimeZone)} / {ZoneMath.FormatUtc(w.Start)} - {w.Title} ({w.WindowId})";

    /// <summary>"all successful", or the outcomes by phase ("1 Completed, 1 RolledBack").</summary>
    private static string CompletedNote(IReadOnlyList<CalendarWindow> completed)
    {
        if (completed.Count == 0)
        {
            return string.Empty;
        }
        if (completed.All(w => w.Phase == nameof(WindowPhase.Completed)))
        {
            return " - all successful";
        }
        return " - " + string.Join(", ", completed.GroupBy(w => w.Phase).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Count()} {g.Key}"));
    }

    private static void Section(TextWriter output, string heading, IReadOnlyList<CalendarWindow> windows)
    {
        output.WriteLine();
        output.WriteLine(heading);
        if (windows.Count == 0)
        {
            output.WriteLine("  (none)");
            return;
        }
        foreach (var w in windows)
        {
            output.WriteLine($"  {w.Title}  [{w.Type}, {w.Phase}]  {w.WindowId}");
            output.WriteLine($"    when:    {SlotFinder.FormatLocal(new TimeRange(w.Start, w.End), w.TimeZone)}  |  {SlotFinder.FormatUtc(new TimeRange(w.Start, w.End))}  (~{Durations.Format(w.End - w.Start)})");
            if (w.Systems.Count > 0)
            {
                output.WriteLine($"    systems: {string.Join(", ", w.Systems)}");
            }
            output.WriteLine($"    scope:   {w.Scope}");
            output.WriteLine($"    impact:  {w.Impact}");
            if (w.Outcome is not null)
            {
                output.WriteLine($"    outcome: {w.Outcome}{(w.Duration is { } d ? $" (duration {Durations.Format(d)})" : string.Empty)}{(w.ClosedAt is { } c ? $"; closed {ZoneMath.FormatUtc(c)}" : string.Empty)}");
            }
        }
    }
}
