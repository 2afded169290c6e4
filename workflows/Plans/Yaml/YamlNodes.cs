using System.Globalization;
using NodaTime;
using NodaTime.Text;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace MaintenanceWorkflows.Workflows.Plans;

/// <summary>Shared state while mapping one YAML file: file name, collected errors, the "now" that "start: now" means.</summary>
internal sealed class YamlSource(string file, DateTimeOffset? now)
{
    public string File { get; } = file;

    public DateTimeOffset? Now { get; } = now;

    public List<LoadError> Errors { get; } = [];

    public void Error(YamlNode? node, string path, string message) => Error(node?.Start ?? Mark.Empty, path, message);

    public void Error(Mark mark, string path, string message) =>
        Errors.Add(new LoadError { File = File, Line = (int)mark.Line, Column = (int)mark.Column, Path = Clip(path, 300), Message = Clip(message, 1000) });

    /// <summary>Messages quote what was found; a huge value is shortened so the error stays readable.</summary>
    private static string Clip(string text, int length) => text.Length <= length ? text : text[..length] + $"… ({text.Length} characters in all)";

    public static string Describe(YamlNode node) => node switch
    {
        YamlMappingNode => "a mapping (key: value lines)",
        YamlSequenceNode => "a list",
        YamlScalarNode s when string.IsNullOrEmpty(s.Value) => "an empty value",
        YamlScalarNode s => $"'{s.Value}'",
        _ => "something else",
    };

    public static string Join(string path, string key) => string.IsNullOrEmpty(path) ? key : $"{path}.{key}";

    public static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Style: ScalarStyle.Plain } s && (string.IsNullOrEmpty(s.Value) || s.Value is "~" or "null" or "Null" or "NULL");

    /// <summary>Longest text any single field takes (a long description is a few thousand characters).</summary>
    public const int MaxScalarLength = 20_000;

    public string? Scalar(YamlNode node, string path, string expected)
    {
        if (node is YamlScalarNode scalar && !IsNull(node))
        {
            if (scalar.Value is { Length: > MaxScalarLength } text)
            {
                Error(node, path, $"the value is {text.Length} characters long; at most {MaxScalarLength} are accepted here.");
                return null;
            }

            return scalar.Value;
        }

        Error(node, path, $"expected {expected}, found {Describe(node)}.");
        return null;
    }

    public string? String(YamlNode node, string path) => Scalar(node, path, "text");

    public int? Int(YamlNode node, string path)
    {
        var text = Scalar(node, path, "a whole number");
        if (text is null)
        {
            return null;
        }

        if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
        {
            return value;
        }

        Error(node, path, $"expected a whole number, found '{text}'.");
        return null;
    }

    public double? Number(YamlNode node, string path)
    {
        var text = Scalar(node, path, "a number");
        if (text is null)
        {
            return null;
        }

        if (double.TryParse(text.TrimEnd('%'), NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
        {
            if (double.IsFinite(value))
            {
                return value;
            }

            Error(node, path, $"expected a finite number (e.g. 99.5), found '{text}'; NaN and infinities can never be compared against.");
            return null;
        }

        Error(node, path, $"expected a number (e.g. 99.5), found '{text}'.");
        return null;
    }

    public bool? Bool(YamlNode node, string path)
    {
        var text = Scalar(node, path, "true or false");
        switch (text?.ToLowerInvariant())
        {
            case null:
                return null;
            case "true" or "yes" or "on":
                return true;
            case "false" or "no" or "off":
                return false;
            default:
                Error(node, path, $"expected true or false, found '{text}'.");
                return null;
        }
    }

    public TimeSpan? Duration(YamlNode node, string path)
    {
        var text = Scalar(node, path, YamlValues.DurationHint);
        if (text is null)
        {
            return null;
        }

        if (YamlValues.TryParseDuration(text, out var value))
        {
            return value;
        }

        if (YamlValues.IsDurationOutOfRange(text))
        {
            Error(node, path, $"'{text}' is longer than the {YamlValues.MaxDuration.TotalDays:0} days any duration here may be.");
            return null;
        }

        Error(node, path, $"expected {YamlValues.DurationHint}, found '{text}'" + (double.TryParse(text, CultureInfo.InvariantCulture, out _) ? " (a unit is required)." : "."));
        return null;
    }

    public TimeOnly? TimeOfDay(YamlNode node, string path)
    {
        var text = Scalar(node, path, "a time of day like 02:00");
        if (text is null)
        {
            return null;
        }

        if (YamlValues.TryParseTimeOfDay(text, out var value))
        {
            return value;
        }

        Error(node, path, $"expected a 24-hour time of day like 02:00 or 14:30, found '{text}'.");
        return null;
    }

    public TEnum? Enum<TEnum>(YamlNode node, string path)
        where TEnum : struct, Enum
    {
        var names = System.Enum.GetValues<TEnum>().Select(YamlValues.EnumName).ToList();
        var text = Scalar(node, path, $"one of {string.Join(", ", names)}");
        if (text is null)
        {
            return null;
        }

        if (YamlValues.TryParseEnum<TEnum>(text, out var value))
        {
            return value;
        }

        Error(node, path, $"expected one of {string.Join(", ", names)}, found '{text}'.{Suggest.DidYouMean(text, names)}");
        return null;
    }

    /// <summary>A five-field cron expression, returned with its fields separated by single spaces.</summary>
    public string? Cron(YamlNode node, string path)
    {
        var text = Scalar(node, path, CronExpression.Hint);
        if (text is null)
        {
            return null;
        }

        if (CronExpression.TryParse(text, out var cron, out var error))
        {
            return cron.Text;
        }

        Error(node, path, $"cron \"{text}\": {error}");
        return null;
    }

    public string? Zone(YamlNode node, string path)
    {
        var text = Scalar(node, path, "an IANA time zone id like America/Los_Angeles");
        if (text is null)
        {
            return null;
        }

        if (ZoneMath.FindZone(text) is not null)
        {
            return text;
        }

        var suggestions = ZoneMath.SuggestZones(text);
        Error(node, path, $"'{text}' is not an IANA time zone id" + (suggestions.Count > 0 ? $"; did you mean {string.Join(" or ", suggestions.Select(s => $"'{s}'"))}?" : " (e.g. America/Los_Angeles, Europe/Berlin, UTC)."));
        return null;
    }

    /// <summary>
    /// A point in time: with an offset or Z (2026-06-09T09:00Z, 2026-06-09T02:00-07:00), or local wall-clock time in
    /// <paramref name="zoneId"/> (2026-06-09T02:00). Local times that do not exist or occur twice (DST) are errors.
    /// </summary>
    public DateTimeOffset? Instant(YamlNode node, string path, string? zoneId, bool allowNow = false)
    {
        var text = Scalar(node, path, "a date and time like 2026-06-09T02:00");
        if (text is null)
        {
            return null;
        }

        if (allowNow && text.Trim().Equals("now", StringComparison.OrdinalIgnoreCase))
        {
            if (Now is { } now)
            {
                return now;
            }

            Error(node, path, "'now' needs the current time, which the caller did not provide.");
            return null;
        }

        var zone = ZoneMath.FindZone(zoneId);
        var trimmed = text.Trim().Replace(' ', 'T');
        foreach (var pattern in OffsetPatterns)
        {
            var parsed = pattern.Parse(trimmed);
            if (!parsed.Success)
            {
                continue;
            }

            var value = parsed.Value;
            if (OutOfRange(value.Year, node, path))
            {
                return null;
            }

            if (zone is not null)
            {
                var inForce = zone.GetUtcOffset(value.ToInstant());
                if (inForce != value.Offset)
                {
                    Error(node, path, $"offset {value.Offset} is not in force in {zoneId} at that moment ({value.ToInstant().InZone(zone).LocalDateTime:uuuu-MM-dd'T'HH:mm} has offset {inForce}); write {value.ToInstant().InZone(zone).ToOffsetDateTime():uuuu-MM-dd'T'HH:mmo<G>} or drop the offset to use local time.");
                    return null;
                }
            }

            return value.ToDateTimeOffset();
        }

        foreach (var pattern in LocalPatterns)
        {
            var parsed = pattern.Parse(trimmed);
            if (!parsed.Success)
            {
                continue;
            }

            if (zone is null)
            {
                Error(node, path, $"'{text}' has no offset and there is no valid time zone to read it in; add an offset (e.g. {text}Z) or fix the time zone.");
                return null;
            }

            var local = parsed.Value;
            if (OutOfRange(local.Year, node, path))
            {
                return null;
            }

            var mapping = zone.MapLocal(local);
            switch (mapping.Count)
            {
                case 1:
                    return mapping.Single().ToDateTimeOffset();
                case 0:
                    var after = zone.AtLeniently(local);
                    Error(node, path, $"{local:uuuu-MM-dd'T'HH:mm} does not exist in {zoneId}: clocks spring forward that night. Use {after.LocalDateTime:uuuu-MM-dd'T'HH:mm} ({after.Offset}) or a time outside the skipped hour.");
                    return null;
                default:
                    var first = mapping.First();
                    var second = mapping.Last();
                    Error(node, path, $"{local:uuuu-MM-dd'T'HH:mm} occurs twice in {zoneId}: clocks fall back that night. Write the offset to pick one: {first.ToOffsetDateTime():uuuu-MM-dd'T'HH:mmo<G>} (first, {first.GetZoneInterval().Name}) or {second.ToOffsetDateTime():uuuu-MM-dd'T'HH:mmo<G>} (second, {second.GetZoneInterval().Name}).");
                    return null;
            }
        }

        Error(node, path, $"expected a date and time like 2026-06-09T02:00 (local), 2026-06-09T09:00Z or 2026-06-09T02:00-07:00, found '{text}'.");
        return null;
    }

    private bool OutOfRange(int year, YamlNode node, string path)
    {
        if (year is >= YamlValues.MinYear and <= YamlValues.MaxYear)
        {
            return false;
        }

        Error(node, path, $"year {year} is out of range; dates must fall between {YamlValues.MinYear} and {YamlValues.MaxYear}.");
        return true;
    }

    private static readonly OffsetDateTimePattern[] OffsetPatterns =
    [
        OffsetDateTimePattern.CreateWithInvariantCulture("uuuu-MM-dd'T'HH:mmo<G>"),
        OffsetDateTimePattern.CreateWithInvariantCulture("uuuu-MM-dd'T'HH:mm:sso<G>"),
    ];

    private static readonly LocalDateTimePattern[] LocalPatterns =
    [
        LocalDateTimePattern.CreateWithInvariantCulture("uuuu-MM-dd'T'HH:mm"),
        LocalDateTimePattern.CreateWithInvariantCulture("uuuu-MM-dd'T'HH:mm:ss"),
    ];
}

/// <summary>
/// Reads one YAML mapping; remembers which keys were asked for so that <see cref="Finish"/> can report every
/// other key as unknown (typos must not be ignored), with a "did you mean".
/// </summary>
internal sealed class MapReader
{
    private readonly Dictionary<string, (YamlScalarNode Key, YamlNode Value)> entries = new(StringComparer.Ordinal);
    private readonly List<string> asked = [];

    public MapReader(YamlSource source, YamlMappingNode node, string path)
    {
        Source = source;
        Node = node;
        Path = path;
        foreach (var (key, value) in node.Children)
        {
            if (key is not YamlScalarNode scalar || scalar.Value is null)
            {
                source.Error(key, path, "keys must be plain names.");
                continue;
            }

            if (!entries.TryAdd(scalar.Value, (scalar, value)))
            {
                source.Error(key, YamlSource.Join(path, scalar.Value), $"'{scalar.Value}' appears twice in this mapping; keep one.");
            }
        }
    }

    public YamlSource Source { get; }

    public YamlMappingNode Node { get; }

    public string Path { get; }

    public static MapReader? Of(YamlSource source, YamlNode node, string path)
    {
        if (node is YamlMappingNode map)
        {
            return new MapReader(source, map, path);
        }

        source.Error(node, path, $"expected a mapping (key: value lines), found {YamlSource.Describe(node)}.");
        return null;
    }

    public bool Has(string key)
    {
        Ask(key);
        return entries.TryGetValue(key, out var entry) && !YamlSource.IsNull(entry.Value);
    }

    public YamlNode? Raw(string key)
    {
        Ask(key);
        return entries.TryGetValue(key, out var entry) && !YamlSource.IsNull(entry.Value) ? entry.Value : null;
    }

    public string Child(string key) => YamlSource.Join(Path, key);

    /// <summary>Reads an optional field; missing or null gives default.</summary>
    public T? Optional<T>(string key, Func<YamlNode, string, T?> read)
        where T : struct
    {
        var node = Raw(key);
        return node is null ? null : read(node, Child(key));
    }

    public T? OptionalRef<T>(string key, Func<YamlNode, string, T?> read)
        where T : class
    {
        var node = Raw(key);
        return node is null ? null : read(node, Child(key));
    }

    /// <summary>Reads a required field; records "missing required field" at the mapping when absent.</summary>
    public T? Required<T>(string key, string expected, Func<YamlNode, string, T?> read)
        where T : struct
    {
        var node = Raw(key);
        if (node is null)
        {
            Missing(key, expected);
            return null;
        }

        return read(node, Child(key));
    }

    public T? RequiredRef<T>(string key, string expected, Func<YamlNode, string, T?> read)
        where T : class
    {
        var node = Raw(key);
        if (node is null)
        {
            Missing(key, expected);
            return null;
        }

        return read(node, Child(key));
    }

    public string? String(string key) => OptionalRef(key, Source.String);

    public string? RequiredString(string key, string expected = "text") => RequiredRef(key, expected, Source.String);

    public IReadOnlyList<T> List<T>(string key, Func<YamlNode, string, T?> readItem)
    {
        var node = Raw(key);
        if (node is null)
        {
            return [];
        }

        return ListOf(Source, node, Child(key), readItem);
    }

    public IReadOnlyList<string> Strings(string key) => List(key, Source.String);

    public void Missing(string key, string expected) =>
        Source.Error(Node, Child(key), $"missing required field '{key}' ({expected}).");

    /// <summary>Reports every key that no reader asked for.</summary>
    public void Finish()
    {
        foreach (var (name, entry) in entries)
        {
            if (!asked.Contains(name, StringComparer.Ordinal))
            {
                var hint = Suggest.DidYouMean(name, asked);
                Source.Error(
                    entry.Key,
                    YamlSource.Join(Path, name),
                    $"unknown field '{name}'.{(hint.Length > 0 ? hint : string.Empty)} Fields allowed here: {string.Join(", ", asked)}.");
            }
        }
    }

    public static IReadOnlyList<T> ListOf<T>(YamlSource source, YamlNode node, string path, Func<YamlNode, string, T?> readItem)
    {
        if (node is not YamlSequenceNode sequence)
        {
            // A single scalar where a list is expected is almost always "forgot the brackets".
            source.Error(node, path, $"expected a list (- item lines or [a, b]), found {YamlSource.Describe(node)}.");
            return [];
        }

        var items = new List<T>();
        var index = 0;
        foreach (var child in sequence.Children)
        {
            var item = readItem(child, $"{path}[{index}]");
            if (item is not null)
            {
                items.Add(item);
            }

            index++;
        }

        return items;
    }

    private void Ask(string key)
    {
        if (!asked.Contains(key, StringComparer.Ordinal))
        {
            asked.Add(key);
        }
    }
}

internal static class MapReaderExtensions
{
    /// <summary>List of value-type items (enums, numbers, durations).</summary>
    public static IReadOnlyList<T> Values<T>(this MapReader reader, string key, Func<YamlNode, string, T?> readItem)
        where T : struct
    {
        var node = reader.Raw(key);
        if (node is null)
        {
            return [];
        }

        return MapReader.ListOf<Box<T>>(reader.Source, node, reader.Child(key), (n, p) => readItem(n, p) is { } v ? new Box<T>(v) : null)
            .Select(b => b.Value)
            .ToList();
    }

    private sealed record Box<T>(T Value);
}
