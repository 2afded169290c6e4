using System.Text;
using Ical.Net.CalendarComponents;
using Ical.Net.DataTypes;
using Ical.Net.Serialization;
using MaintenanceWorkflows.Workflows;
using MaintenanceWorkflows.Workflows.Plans;

namespace MaintenanceWorkflows.Starter.Calendar;

/// <summary>The calendar as iCalendar (RFC 5545): one VEVENT per window, in the window's own time zone with its VTIMEZONE.</summary>
public static class CalendarIcs
{
    public const string ProductId = "-//MaintenanceWorkflows//starter calendar//EN";

    public static string Write(WindowCalendar calendar)
    {
        ArgumentNullException.ThrowIfNull(calendar);
        var ics = new Ical.Net.Calendar { ProductId = ProductId };
        var windows = calendar.All.ToList();
        var earliest = windows.Count == 0 ? calendar.Now : windows.Min(w => w.Start);
        foreach (var zone in windows.Select(w => w.TimeZone).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            ics.AddTimeZone(VTimeZone.FromDateTimeZone(zone, earliest.UtcDateTime.AddDays(-1), includeHistoricalData: false));
        }
        foreach (var window in windows)
        {
            var e = new CalendarEvent
            {
                Uid = $"{window.WindowId}@maintenance-workflows",
                Summary = $"Maintenance: {window.Title}",
                Description = Description(window),
                DtStart = Local(window.Start, window.TimeZone),
                DtEnd = Local(window.End, window.TimeZone),
                DtStamp = new CalDateTime(calendar.Now.UtcDateTime, "UTC", true),
                Status = Status(window),
                Transparency = "OPAQUE",
            };
            e.Categories.Add(window.Type);
            e.Categories.Add(window.Phase);
            ics.Events.Add(e);
        }
        return new CalendarSerializer(ics).SerializeToString() ?? string.Empty;
    }

    /// <summary>Wall-clock time in the window's zone, tagged with its TZID, so calendars show the announced local time.</summary>
    private static CalDateTime Local(DateTimeOffset instant, string zone) =>
        new(ZoneMath.ToLocal(instant, zone).DateTime, zone, true);

    private static string Status(CalendarWindow window) =>
        Enum.TryParse<WindowPhase>(window.Phase, out var phase) && phase is WindowPhase.Cancelled or WindowPhase.Rejected or WindowPhase.Postponed
            ? "CANCELLED"
            : phase == WindowPhase.AwaitingApproval || phase == WindowPhase.Scheduled ? "TENTATIVE" : "CONFIRMED";

    private static string Description(CalendarWindow window)
    {
        var text = new StringBuilder();
        text.Append("Window: ").Append(window.WindowId).Append(" (").Append(window.Type).Append(", ").Append(window.Phase).Append(")\n");
        text.Append("Scope: ").Append(window.Scope).Append('\n');
        text.Append("Impact: ").Append(window.Impact).Append('\n');
        if (window.Systems.Count > 0)
        {
            text.Append("Systems: ").Append(string.Join(", ", window.Systems)).Append('\n');
        }
        if (window.Outcome is not null)
        {
            text.Append("Outcome: ").Append(window.Outcome).Append('\n');
        }
        return text.ToString().TrimEnd('\n');
    }
}
