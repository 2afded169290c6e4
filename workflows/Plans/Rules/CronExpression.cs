using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using NodaTime;

namespace MaintenanceWorkflows.Workflows.Plans;

/// <summary>
/// A standard five-field cron expression (minute hour day-of-month month day-of-week) evaluated on NodaTime
/// local dates and times. It is evaluated here rather than by a library so that it depends on nothing but the
/// text: the workflow calls it during replay, and TimeZoneInfo (which cron libraries use) differs per host.
/// Cronos (0.13) was tried in its place and gets POSIX cron wrong where this gets it right: with both day
/// fields restricted it requires both, so "0 2 13 * FRI" fires only on a Friday the 13th (never in March 2027)
/// where cron fires on the 13th and on every Friday (see
/// CronExpressionTests.Matches_DayOfMonthAndDayOfWeekBothRestricted_EitherMatches). It also accepts
/// "0 2 30 FEB *" (never fires) and wraps FRI-MON silently, both of which this refuses with the field named.
/// </summary>
/// <remarks>
/// Fields take <c>*</c>, numbers, lists (<c>1,15</c>), ranges (<c>1-5</c>), steps (<c>*/15</c>, <c>0-30/10</c>,
/// <c>5/15</c> = from 5 to the field's end) and names (JAN-DEC, SUN-SAT). Day-of-week 0 and 7 are both Sunday,
/// and SUN ending a range means 7, so FRI-SUN is Friday to Sunday. As in Vixie cron, when day-of-month and
/// day-of-week are both restricted (neither starts with <c>*</c>) a date matches either; otherwise both.
/// </remarks>
public sealed class CronExpression
{
    public const string Hint = "five fields: minute hour day-of-month month day-of-week, e.g. \"0 2 * * TUE,THU\"";

    private static readonly FieldSpec MinuteField = new("minute", 0, 59, 59, [], "0-59");
    private static readonly FieldSpec HourField = new("hour", 0, 23, 23, [], "0-23");
    private static readonly FieldSpec DayOfMonthField = new("day-of-month", 1, 31, 31, [], "1-31");
    private static readonly FieldSpec MonthField = new("month", 1, 12, 12, ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], "1-12 or JAN-DEC");

    /// <summary>Runs to 7 (a second Sunday) when written, but * and a/step stop at 6 so Sunday is not counted twice.</summary>
    private static readonly FieldSpec DayOfWeekField = new("day-of-week", 0, 7, 6, ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], "0-7 (0 and 7 are Sunday) or SUN-SAT");

    private static readonly FieldSpec[] Fields = [MinuteField, HourField, DayOfMonthField, MonthField, DayOfWeekField];

    /// <summary>Longest month length per month, February counted in a leap year.</summary>
    private static readonly int[] MonthLength = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

    private readonly bool[] minutes;
    private readonly bool[] hours;
    private readonly bool[] daysOfMonth;
    private readonly bool[] months;
    private readonly bool[] daysOfWeek;
    private readonly bool eitherDay;
    private readonly LocalTime[] times;

    private CronExpression(string text, bool[][] sets, bool eitherDay)
    {
        Text = text;
        (minutes, hours, daysOfMonth, months, daysOfWeek) = (sets[0], sets[1], sets[2], sets[3], sets[4]);
        this.eitherDay = eitherDay;
        times = Enumerable.Range(0, 24).Where(h => hours[h])
            .SelectMany(h => Enumerable.Range(0, 60).Where(m => minutes[m]).Select(m => new LocalTime(h, m)))
            .ToArray();
    }

    public string Text { get; }

    /// <summary>The times of day it fires on a matching date, ascending.</summary>
    public IReadOnlyList<LocalTime> TimesOfDay => times;

    public static CronExpression Parse(string text) =>
        TryParse(text, out var cron, out var error) ? cron : throw new FormatException($"cron \"{text}\": {error}");

    /// <summary>Parses <paramref name="text"/>; on failure <paramref name="error"/> names the field, the character position and what is allowed.</summary>
    public static bool TryParse(string text, [NotNullWhen(true)] out CronExpression? cron, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        cron = null;
        var tokens = Tokens(text);
        if (tokens.Count == 1 && tokens[0].Text.StartsWith('@'))
        {
            error = $"shorthands like '{tokens[0].Text}' are not supported; write the {Hint}" + Shorthand(tokens[0].Text);
            return false;
        }

        if (tokens.Count != Fields.Length)
        {
            error = tokens.Count == 0
                ? $"the expression is empty; expected {Hint}."
                : $"expected {Hint}; found {tokens.Count} field{(tokens.Count == 1 ? string.Empty : "s")}." + CountHint(tokens);
            return false;
        }

        var sets = new bool[Fields.Length][];
        for (var i = 0; i < Fields.Length; i++)
        {
            error = ParseField(Fields[i], i + 1, tokens[i], out sets[i]);
            if (error is not null)
            {
                return false;
            }
        }

        // 7 is the second spelling of Sunday; fold it so matching needs only 0-6.
        sets[4][0] |= sets[4][7];
        var eitherDay = !tokens[2].Text.StartsWith('*') && !tokens[4].Text.StartsWith('*');
        error = eitherDay ? null : NeverMatches(sets[2], sets[3], tokens[2]);
        if (error is not null)
        {
            return false;
        }

        cron = new CronExpression(string.Join(' ', tokens.Select(t => t.Text)), sets, eitherDay);
        return true;
    }

    public bool Matches(LocalDate date)
    {
        if (!months[date.Month])
        {
            return false;
        }

        var dayOfMonth = daysOfMonth[date.Day];
        var dayOfWeek = daysOfWeek[(int)date.DayOfWeek % 7];
        return eitherDay ? dayOfMonth || dayOfWeek : dayOfMonth && dayOfWeek;
    }

    /// <summary>Local starts on <paramref name="date"/>, ascending; none when the date does not match.</summary>
    public IEnumerable<LocalDateTime> StartsOn(LocalDate date) =>
        Matches(date) ? times.Select(t => date + t) : [];

    public override string ToString() => Text;

    private static string? ParseField(FieldSpec field, int number, Token token, out bool[] set)
    {
        set = new bool[field.Max + 1];
        var offset = 0;
        foreach (var item in token.Text.Split(','))
        {
            var at = token.Position + offset;
            offset += item.Length + 1;
            var error = item.Length == 0
                ? $"{field.Name} has an empty list item (field {number}, character {at}); separate values with single commas, e.g. 1,15."
                : ParseItem(field, number, item, at, set);
            if (error is not null)
            {
                return error;
            }
        }

        return null;
    }

    /// <summary>One list item: <c>*</c>, <c>a</c>, <c>a-b</c>, each optionally followed by <c>/step</c>.</summary>
    private static string? ParseItem(FieldSpec field, int number, string item, int at, bool[] set)
    {
        var slash = item.IndexOf('/', StringComparison.Ordinal);
        var range = slash < 0 ? item : item[..slash];
        var step = 1;
        if (slash >= 0)
        {
            var stepText = item[(slash + 1)..];
            if (!int.TryParse(stepText, NumberStyles.None, CultureInfo.InvariantCulture, out step) || step < 1)
            {
                return $"{field.Name} step '{stepText}' (field {number}, character {at + slash + 1}) must be a whole number of at least 1, e.g. */15.";
            }
        }

        int low;
        int high;
        if (range == "*")
        {
            (low, high) = (field.Min, field.Last);
        }
        else
        {
            var dash = range.IndexOf('-', StringComparison.Ordinal);
            var lowError = Value(field, number, dash < 0 ? range : range[..dash], at, isRangeEnd: false, out low);
            if (lowError is not null)
            {
                return lowError;
            }

            high = slash >= 0 && dash < 0 ? field.Last : low;
            if (dash >= 0)
            {
                var highError = Value(field, number, range[(dash + 1)..], at + dash + 1, isRangeEnd: true, out high);
                if (highError is not null)
                {
                    return highError;
                }

                if (high < low)
                {
                    return $"{field.Name} range {range} (field {number}, character {at}) runs backwards from {low} to {high}; write it as two ranges, e.g. {Wrapped(field, range, low, high)}.";
                }
            }
        }

        for (var v = low; v <= high; v += step)
        {
            set[v] = true;
        }

        return null;
    }

    private static string? Value(FieldSpec field, int number, string text, int at, bool isRangeEnd, out int value)
    {
        var where = $"(field {number}, character {at})";
        if (text.Length == 0)
        {
            value = 0;
            return $"{field.Name} is missing a value {where}: use {field.Allowed}.";
        }

        if (text.Length > 0 && text.All(char.IsAsciiDigit))
        {
            if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value >= field.Min && value <= field.Max)
            {
                return null;
            }

            return $"{field.Name} {text} {where} is out of range {field.Allowed}.";
        }

        value = field.Names.ToList().FindIndex(n => n.Equals(text, StringComparison.OrdinalIgnoreCase));
        if (value >= 0)
        {
            value += field.Min;
            if (isRangeEnd && ReferenceEquals(field, DayOfWeekField) && value == 0)
            {
                value = 7;
            }

            return null;
        }

        var unsupported = text switch
        {
            "?" => "; '?' is Quartz syntax, standard cron writes *",
            "L" or "l" => "; L, W and # are Quartz extensions, not standard cron",
            _ when text.Contains('#', StringComparison.Ordinal) || (text[..^1].All(char.IsAsciiDigit) && "LWlw".Contains(text[^1], StringComparison.Ordinal)) =>
                "; L, W and # are Quartz extensions, not standard cron",
            _ => string.Empty,
        };
        var hint = field.Names.Count > 0 ? Suggest.DidYouMean(text.ToUpperInvariant(), field.Names) : string.Empty;
        return $"{field.Name} '{text}' {where} is not allowed{unsupported}: use {field.Allowed}.{hint}";
    }

    private static string Wrapped(FieldSpec field, string range, int low, int high)
    {
        var names = range.Any(char.IsAsciiLetter) && field.Names.Count > 0;
        string Show(int v) => names ? field.Names[(v - field.Min) % field.Names.Count] : v.ToString(CultureInfo.InvariantCulture);
        string Span(int from, int to) => from == to ? Show(from) : $"{Show(from)}-{Show(to)}";

        // Day-of-week wraps through 7, so the second part starts on Monday.
        var restart = ReferenceEquals(field, DayOfWeekField) ? 1 : field.Min;
        return high < restart ? Span(low, field.Max) : $"{Span(low, field.Max)},{Span(restart, high)}";
    }

    /// <summary>With day-of-week unrestricted the day-of-month must exist in one of the months, or the expression never fires.</summary>
    private static string? NeverMatches(bool[] days, bool[] monthSet, Token dayToken)
    {
        for (var m = 1; m <= 12; m++)
        {
            if (monthSet[m] && Enumerable.Range(1, MonthLength[m]).Any(d => days[d]))
            {
                return null;
            }
        }

        var listed = string.Join(",", Enumerable.Range(1, 12).Where(m => monthSet[m]).Select(m => MonthField.Names[m - 1]));
        return $"day-of-month {dayToken.Text} (field 3, character {dayToken.Position}) never occurs in {listed}, so the expression would never fire; pick days that exist in those months.";
    }

    private static string Shorthand(string text) => text.ToLowerInvariant() switch
    {
        "@hourly" => ": @hourly is \"0 * * * *\".",
        "@daily" or "@midnight" => $": {text} is \"0 0 * * *\".",
        "@weekly" => ": @weekly is \"0 0 * * 0\".",
        "@monthly" => ": @monthly is \"0 0 1 * *\".",
        "@yearly" or "@annually" => $": {text} is \"0 0 1 1 *\".",
        _ => ".",
    };

    private static string CountHint(List<Token> tokens)
    {
        if (tokens.Count < Fields.Length)
        {
            return string.Empty;
        }

        return tokens.Any(t => t.Text.EndsWith(',') || t.Text.StartsWith(','))
            ? " Lists take no spaces: write TUE,THU, not TUE, THU."
            : " Seconds and year fields are not part of standard cron.";
    }

    /// <summary>Whitespace-separated fields with their 1-based character position in the text.</summary>
    private static List<Token> Tokens(string text)
    {
        var tokens = new List<Token>();
        var i = 0;
        while (i < text.Length)
        {
            if (char.IsWhiteSpace(text[i]))
            {
                i++;
                continue;
            }

            var start = i;
            while (i < text.Length && !char.IsWhiteSpace(text[i]))
            {
                i++;
            }

            tokens.Add(new Token(text[start..i], start + 1));
        }

        return tokens;
    }

    /// <param name="Last">Where * and a/step stop.</param>
    private sealed record FieldSpec(string Name, int Min, int Max, int Last, IReadOnlyList<string> Names, string Allowed);

    private readonly record struct Token(string Text, int Position);
}
