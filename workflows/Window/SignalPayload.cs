using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Temporalio.Converters;

namespace MaintenanceWorkflows.Workflows;

/// <summary>
/// Parses a signal's raw payload into its record, forgivingly where people type (field-name case) and
/// strictly where a mistake would change the meaning (unknown fields, times without an offset). Every
/// failure is a sentence naming the field and showing a payload that works.
/// </summary>
public static class SignalPayload
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNameCaseInsensitive = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        Converters = { new StrictDateTimeOffsetConverter() },
    };

    public static ParsedPayload<T> Parse<T>(IRawValue? raw, string example)
        where T : class
    {
        var expected = string.Join(", ", typeof(T).GetProperties().Select(p => JsonNamingPolicy.CamelCase.ConvertName(p.Name)));
        if (raw is null || Encoding(raw) == "binary/null")
        {
            return new(null, $"the signal carries no argument; send one JSON object with {expected}, e.g. {example}");
        }
        if (Encoding(raw) != "json/plain")
        {
            return new(null, $"the argument is encoded as '{Encoding(raw)}'; send one JSON object, e.g. {example}");
        }
        var json = raw.Payload.Data.ToStringUtf8();
        try
        {
            using var document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return new(null, $"the argument is a JSON {document.RootElement.ValueKind.ToString().ToLowerInvariant()}, not an object; send {example}");
            }
            var value = document.RootElement.Deserialize<T>(Options);
            return value is null ? new(null, $"the argument is empty; send {example}") : new(value, null);
        }
        catch (JsonException e)
        {
            return new(null, Describe(e, expected, example));
        }
    }

    private static string Encoding(IRawValue raw) =>
        raw.Payload.Metadata.TryGetValue("encoding", out var encoding) ? encoding.ToStringUtf8() : "(none)";

    private static string Describe(JsonException e, string expected, string example)
    {
        var field = e.Path is { Length: > 2 } path ? path[2..] : null;
        if (e.Message.Contains("could not be mapped", StringComparison.Ordinal) && field is not null)
        {
            return $"unknown field '{field}'; the fields are {expected}, e.g. {example}";
        }
        if (e.InnerException is FormatException format && field is not null)
        {
            return $"field '{field}': {format.Message}";
        }
        return field is null
            ? $"the argument is not valid JSON ({e.Message}); send {example}"
            : $"field '{field}' has the wrong type or format; the fields are {expected}, e.g. {example}";
    }

    /// <summary>Times must name their offset: a bare local time would depend on the worker's time zone.</summary>
    private sealed class StrictDateTimeOffsetConverter : JsonConverter<DateTimeOffset>
    {
        public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            var text = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
            if (text is null
                || !(text.EndsWith('Z') || text.EndsWith('z') || (text.Length > 6 && text[^6] is '+' or '-' && text[^3] == ':'))
                || !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var value))
            {
                throw new JsonException(null, new FormatException($"'{text}' is not an ISO-8601 time with an offset, e.g. 2026-12-01T12:30:00Z or 2026-12-01T04:30:00-08:00"));
            }
            return value;
        }

        public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options)
        {
            ArgumentNullException.ThrowIfNull(writer);
            writer.WriteStringValue(value);
        }
    }
}

public sealed record ParsedPayload<T>(T? Value, string? Error)
    where T : class;
