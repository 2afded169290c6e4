using System.Globalization;
using System.Text.RegularExpressions;

namespace MaintenanceWorkflows.Workflows.Plans;

/// <summary>Text forms the YAML files use for durations, times of day and enum names.</summary>
public static partial class YamlValues
{
    public const string DurationHint = "a duration like 24h, 15m, 90s, 2000ms, 1d or 1h30m";

    /// <summary>Windows are planned in this century or the next; far dates would overflow the schedule arithmetic.</summary>
    public const int MinYear = 2000;

    public const int MaxYear = 2999;

    /// <summary>Longest duration any field accepts (ten years), far inside TimeSpan's and Temporal's ranges.</summary>
    public static readonly TimeSpan MaxDuration = TimeSpan.FromDays(3650);

    /// <summary>Parses 24h, 15m, 90s, 2000ms, 1d, 1h30m, 0 (units required except for zero).</summary>
    public static bool TryParseDuration(string text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        var trimmed = text.Trim();
        if (trimmed == "0")
        {
            return true;
        }

        var match = DurationPattern().Match(trimmed);
        if (!match.Success)
        {
            return false;
        }

        var milliseconds = TotalMilliseconds(match);
        if (!(milliseconds <= MaxDuration.TotalMilliseconds))
        {
            return false;
        }

        duration = TimeSpan.FromMilliseconds(Math.Round(milliseconds, 3));
        return true;
    }

    /// <summary>True when <paramref name="text"/> is written like a duration but longer than <see cref="MaxDuration"/>.</summary>
    public static bool IsDurationOutOfRange(string text)
    {
        var match = DurationPattern().Match(text.Trim());
        return match.Success && !(TotalMilliseconds(match) <= MaxDuration.TotalMilliseconds);
    }

    /// <summary>Summed in doubles, so no amount can overflow TimeSpan before the range check.</summary>
    private static double TotalMilliseconds(Match match)
    {
        var total = 0.0;
        foreach (Capture capture in match.Groups["part"].Captures)
        {
            var part = PartPattern().Match(capture.Value);
            var amount = double.Parse(part.Groups["n"].Value, CultureInfo.InvariantCulture);
            total += amount * part.Groups["u"].Value switch
            {
                "d" => 86_400_000.0,
                "h" => 3_600_000.0,
                "m" or "min" => 60_000.0,
                "s" => 1000.0,
                _ => 1.0,
            };
        }

        return total;
    }

    /// <summary>Inverse of <see cref="TryParseDuration"/>, shortest form (1h30m, 2000ms, 24h).</summary>
    public static string FormatDuration(TimeSpan duration)
    {
        if (duration == TimeSpan.Zero)
        {
            return "0s";
        }

        if (duration.Ticks % TimeSpan.TicksPerSecond != 0)
        {
            return $"{duration.TotalMilliseconds.ToString(CultureInfo.InvariantCulture)}ms";
        }

        var text = string.Empty;
        if (duration.Days > 0)
        {
            text += $"{duration.Days}d";
        }

        if (duration.Hours > 0)
        {
            text += $"{duration.Hours}h";
        }

        if (duration.Minutes > 0)
        {
            text += $"{duration.Minutes}m";
        }

        if (duration.Seconds > 0)
        {
            text += $"{duration.Seconds}s";
        }

        return text;
    }

    public static bool TryParseTimeOfDay(string text, out TimeOnly time) =>
        TimeOnly.TryParseExact(text.Trim(), ["HH:mm", "H:mm", "HH:mm:ss"], CultureInfo.InvariantCulture, DateTimeStyles.None, out time);

    /// <summary>Enum names compare without case, hyphens or underscores: statusPage, status-page and StatusPage are one value.</summary>
    public static bool TryParseEnum<TEnum>(string text, out TEnum value)
        where TEnum : struct, Enum
    {
        var key = NormalizeName(text);
        foreach (var candidate in Enum.GetValues<TEnum>())
        {
            if (NormalizeName(candidate.ToString()) == key)
            {
                value = candidate;
                return true;
            }
        }

        value = default;
        return false;
    }

    public static string EnumName<TEnum>(TEnum value)
        where TEnum : struct, Enum
    {
        var name = value.ToString();
        return char.ToLowerInvariant(name[0]) + name[1..];
    }

    private static string NormalizeName(string text) =>
        new(text.Where(c => c is not ('-' or '_' or ' ')).Select(char.ToLowerInvariant).ToArray());

    [GeneratedRegex(@"^(?<part>\d+(\.\d+)?(ms|min|d|h|m|s))+$")]
    private static partial Regex DurationPattern();

    [GeneratedRegex(@"^(?<n>\d+(\.\d+)?)(?<u>ms|min|d|h|m|s)$")]
    private static partial Regex PartPattern();
}
