using System.Globalization;

namespace MaintenanceWorkflows.DevServer.Engine;

/// <summary>
/// A workflow cron schedule as Temporal reads it (robfig/cron syntax, UTC): five fields
/// (minute hour day-of-month month day-of-week) with *, lists, ranges, steps and month/day names,
/// or a descriptor (@yearly, @monthly, @weekly, @daily, @hourly, @every 1h30m).
/// </summary>
public sealed class CronSchedule
{
    private static readonly string[] MonthNames = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
    private static readonly string[] DayNames = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

    private readonly bool[] minutes = new bool[60];
    private readonly bool[] hours = new bool[24];
    private readonly bool[] days = new bool[32];
    private readonly bool[] months = new bool[13];
    private readonly bool[] weekdays = new bool[7];
    private readonly bool daysRestricted;
    private readonly bool weekdaysRestricted;
    private readonly TimeSpan? every;

    private CronSchedule(TimeSpan every) => this.every = every;

    private CronSchedule(string[] fields)
    {
        Fill(fields[0], minutes, 0, 59, null, "minute");
        Fill(fields[1], hours, 0, 23, null, "hour");
        daysRestricted = Fill(fields[2], days, 1, 31, null, "day of month");
        Fill(fields[3], months, 1, 12, MonthNames, "month");
        var weekdaysWithSeven = new bool[8];
        weekdaysRestricted = Fill(fields[4], weekdaysWithSeven, 0, 7, DayNames, "day of week");
        for (var d = 0; d < 7; d++)
        {
            weekdays[d] = weekdaysWithSeven[d] || (d == 0 && weekdaysWithSeven[7]);
        }
    }

    /// <summary>Parses a schedule; throws <see cref="FormatException"/> naming what is wrong.</summary>
    public static CronSchedule Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim();
        if (trimmed.StartsWith("CRON_TZ=", StringComparison.Ordinal) || trimmed.StartsWith("TZ=", StringComparison.Ordinal))
        {
            throw new FormatException("time zones (CRON_TZ=) are not supported by the devserver; write the schedule in UTC");
        }
        if (trimmed.StartsWith('@'))
        {
            return trimmed.ToUpperInvariant() switch
            {
                "@YEARLY" or "@ANNUALLY" => new CronSchedule(["0", "0", "1", "1", "*"]),
                "@MONTHLY" => new CronSchedule(["0", "0", "1", "*", "*"]),
                "@WEEKLY" => new CronSchedule(["0", "0", "*", "*", "0"]),
                "@DAILY" or "@MIDNIGHT" => new CronSchedule(["0", "0", "*", "*", "*"]),
                "@HOURLY" => new CronSchedule(["0", "*", "*", "*", "*"]),
                var other when other.StartsWith("@EVERY ", StringComparison.Ordinal) =>
                    new CronSchedule(ParseGoDuration(trimmed[7..].Trim())),
                _ => throw new FormatException($"unknown descriptor '{trimmed}'; use @yearly, @monthly, @weekly, @daily, @hourly or @every <duration>"),
            };
        }
        var fields = trimmed.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length != 5)
        {
            throw new FormatException($"expected 5 fields (minute hour day-of-month month day-of-week), got {fields.Length}");
        }
        return new CronSchedule(fields);
    }

    /// <summary>The first fire time strictly after <paramref name="after"/> (UTC).</summary>
    public DateTime Next(DateTime after)
    {
        if (every is { } interval)
        {
            // Like robfig's ConstantDelaySchedule: whole seconds, counted from the given time.
            var next = after + interval;
            return new DateTime(next.Ticks - (next.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);
        }
        var t = new DateTime(after.Year, after.Month, after.Day, after.Hour, after.Minute, 0, DateTimeKind.Utc).AddMinutes(1);
        var limit = after.AddYears(5);
        while (t < limit)
        {
            if (!months[t.Month])
            {
                t = new DateTime(t.Year, t.Month, 1, 0, 0, 0, DateTimeKind.Utc).AddMonths(1);
                continue;
            }
            if (!DayMatches(t))
            {
                t = t.Date.AddDays(1);
                continue;
            }
            if (!hours[t.Hour])
            {
                t = new DateTime(t.Year, t.Month, t.Day, t.Hour, 0, 0, DateTimeKind.Utc).AddHours(1);
                continue;
            }
            if (!minutes[t.Minute])
            {
                t = t.AddMinutes(1);
                continue;
            }
            return t;
        }
        throw new InvalidOperationException("the schedule never fires within five years");
    }

    /// <summary>Standard cron: when both day fields are restricted, either may match.</summary>
    private bool DayMatches(DateTime t)
    {
        var dom = days[t.Day];
        var dow = weekdays[(int)t.DayOfWeek];
        return daysRestricted && weekdaysRestricted ? dom || dow : dom && dow;
    }

    /// <returns>False when the field is '*' or '?' (unrestricted).</returns>
    private static bool Fill(string field, bool[] set, int min, int max, string[]? names, string what)
    {
        foreach (var part in field.Split(','))
        {
            var (range, step) = part.Split('/') switch
            {
                [var r] => (r, 1),
                [var r, var s] when int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 => (r, n),
                _ => throw new FormatException($"{what} field '{field}': bad step in '{part}'"),
            };
            int low, high;
            if (range is "*" or "?")
            {
                (low, high) = (min, max);
            }
            else if (range.Split('-') is [var a, var b])
            {
                (low, high) = (Value(a, min, max, names, what, field), Value(b, min, max, names, what, field));
            }
            else
            {
                low = Value(range, min, max, names, what, field);
                high = part.Contains('/', StringComparison.Ordinal) ? max : low;
            }
            if (low > high)
            {
                throw new FormatException($"{what} field '{field}': range {low}-{high} is backwards");
            }
            for (var v = low; v <= high; v += step)
            {
                set[v] = true;
            }
        }
        return field is not ("*" or "?");
    }

    private static int Value(string text, int min, int max, string[]? names, string what, string field)
    {
        if (names != null)
        {
            var index = Array.FindIndex(names, n => string.Equals(n, text, StringComparison.OrdinalIgnoreCase));
            if (index >= 0)
            {
                return index + (min == 1 ? 1 : 0);
            }
        }
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw new FormatException($"{what} field '{field}': '{text}' is not a value from {min} to {max}");
    }

    /// <summary>Go duration syntax (1h30m, 90s, 1.5h) as @every takes it.</summary>
    private static TimeSpan ParseGoDuration(string text)
    {
        var total = TimeSpan.Zero;
        var i = 0;
        while (i < text.Length)
        {
            var start = i;
            while (i < text.Length && (char.IsDigit(text[i]) || text[i] == '.'))
            {
                i++;
            }
            if (start == i || !double.TryParse(text[start..i], NumberStyles.Float, CultureInfo.InvariantCulture, out var amount))
            {
                throw new FormatException($"@every duration '{text}' is not like 1h30m, 90s or 500ms");
            }
            var unitStart = i;
            while (i < text.Length && char.IsLetter(text[i]))
            {
                i++;
            }
            total += text[unitStart..i] switch
            {
                "h" => TimeSpan.FromHours(amount),
                "m" => TimeSpan.FromMinutes(amount),
                "s" => TimeSpan.FromSeconds(amount),
                "ms" => TimeSpan.FromMilliseconds(amount),
                var unit => throw new FormatException($"@every duration '{text}': unit '{unit}' is not h, m, s or ms"),
            };
        }
        return total >= TimeSpan.FromSeconds(1)
            ? total
            : throw new FormatException($"@every duration '{text}' must be at least one second");
    }
}
