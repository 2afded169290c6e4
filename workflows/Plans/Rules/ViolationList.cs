namespace MaintenanceWorkflows.Workflows.Plans;

/// <summary>Collects violations with terse call sites.</summary>
internal sealed class ViolationList : List<PlanViolation>
{
    public void Error(string code, string path, string message, string fix) =>
        Add(new PlanViolation { Code = code, Path = path, Message = message, Fix = fix });

    public void Warning(string code, string path, string message, string fix) =>
        Add(new PlanViolation { Code = code, Path = path, Message = message, Fix = fix, Severity = ViolationSeverity.Warning });

    public void Duplicates(IEnumerable<(string Id, string Path)> items, string what)
    {
        foreach (var group in items.GroupBy(i => i.Id, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
        {
            var paths = group.Select(g => g.Path).ToList();
            Error(
                ViolationCodes.DuplicateId,
                paths[1],
                $"{what} id '{group.Key}' is used {paths.Count} times ({string.Join(", ", paths)}).",
                $"Give each {what} its own id.");
        }
    }
}

internal static class Format
{
    /// <summary>Long user text shortened for a message: the start and how much was left out.</summary>
    public static string Clip(string text, int length) => text.Length <= length ? text : text[..length] + $"… ({text.Length} characters)";

    public static string Span(TimeSpan span)
    {
        var negative = span < TimeSpan.Zero;
        span = span.Duration();
        var parts = new List<string>();
        // Notice periods read as hours ("24 h notice"); only spans of two days or more use days.
        var days = span.TotalHours >= 48 ? span.Days : 0;
        var hours = days > 0 ? span.Hours : (int)span.TotalHours;
        if (days > 0)
        {
            parts.Add($"{days} d");
        }

        if (hours > 0)
        {
            parts.Add($"{hours} h");
        }

        if (span.Minutes > 0)
        {
            parts.Add($"{span.Minutes} min");
        }

        if (span.Seconds > 0 && span.TotalMinutes < 10)
        {
            parts.Add($"{span.Seconds} s");
        }

        var text = parts.Count == 0 ? "0 min" : string.Join(" ", parts);
        return negative ? "-" + text : text;
    }

    public static string Instant(DateTimeOffset instant, string zoneId) =>
        ZoneMath.FindZone(zoneId) is null
            ? ZoneMath.FormatUtc(instant)
            : $"{ZoneMath.FormatUtc(instant)} ({ZoneMath.FormatLocal(instant, zoneId)})";

    public static string Iso(DateTimeOffset instant) =>
        instant.ToString("yyyy-MM-dd'T'HH:mm:sszzz", System.Globalization.CultureInfo.InvariantCulture);

    public static string Type(MaintenanceType type) => type.ToString().ToLowerInvariant();
}
