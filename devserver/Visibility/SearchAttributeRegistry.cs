using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Google.Protobuf;
using MaintenanceWorkflows.DevServer.Grpc;
using Temporalio.Api.Common.V1;
using Temporalio.Api.Enums.V1;

namespace MaintenanceWorkflows.DevServer.Visibility;

/// <summary>
/// A namespace's search attributes: the system ones every Temporal server has, and the custom ones
/// registered through the OperatorService. Values are checked against the registered type when a
/// workflow starts or upserts them, and stored with the <c>type</c> metadata the SDK reads back.
/// </summary>
public sealed partial class SearchAttributeRegistry
{
    /// <summary>Attributes the server derives from the execution itself; workflows cannot set them.</summary>
    public static readonly IReadOnlyDictionary<string, IndexedValueType> Derived = new Dictionary<string, IndexedValueType>(StringComparer.Ordinal)
    {
        ["WorkflowId"] = IndexedValueType.Keyword,
        ["RunId"] = IndexedValueType.Keyword,
        ["WorkflowType"] = IndexedValueType.Keyword,
        ["ExecutionStatus"] = IndexedValueType.Keyword,
        ["TaskQueue"] = IndexedValueType.Keyword,
        ["StartTime"] = IndexedValueType.Datetime,
        ["ExecutionTime"] = IndexedValueType.Datetime,
        ["CloseTime"] = IndexedValueType.Datetime,
        ["ExecutionDuration"] = IndexedValueType.Int,
        ["HistoryLength"] = IndexedValueType.Int,
        ["HistorySizeBytes"] = IndexedValueType.Int,
        ["StateTransitionCount"] = IndexedValueType.Int,
        ["ParentWorkflowId"] = IndexedValueType.Keyword,
        ["ParentRunId"] = IndexedValueType.Keyword,
        ["RootWorkflowId"] = IndexedValueType.Keyword,
        ["RootRunId"] = IndexedValueType.Keyword,
    };

    /// <summary>System attributes that workflows set themselves (the SDK's <c>patched()</c> upserts TemporalChangeVersion).</summary>
    public static readonly IReadOnlyDictionary<string, IndexedValueType> Predefined = new Dictionary<string, IndexedValueType>(StringComparer.Ordinal)
    {
        ["TemporalChangeVersion"] = IndexedValueType.KeywordList,
        ["BinaryChecksums"] = IndexedValueType.KeywordList,
        ["BuildIds"] = IndexedValueType.KeywordList,
    };

    private const string ReservedPrefix = "Temporal";

    private const int MaxCustomAttributes = 100;

    private readonly object gate = new();
    private readonly Dictionary<string, IndexedValueType> custom = new(StringComparer.Ordinal);

    public SearchAttributeRegistry(string ns) => Namespace = ns;

    public string Namespace { get; }

    /// <summary>Custom attributes, name to type (a copy).</summary>
    public IReadOnlyDictionary<string, IndexedValueType> Custom
    {
        get
        {
            lock (gate)
            {
                return new Dictionary<string, IndexedValueType>(custom, StringComparer.Ordinal);
            }
        }
    }

    /// <summary>Every system attribute, derived and predefined.</summary>
    public static IEnumerable<KeyValuePair<string, IndexedValueType>> System => Derived.Concat(Predefined);

    /// <summary>Registers custom attributes; all or nothing. Re-registering a name with the same type is a no-op.</summary>
    /// <returns>True when anything was added.</returns>
    public bool Add(IReadOnlyDictionary<string, IndexedValueType> attributes)
    {
        lock (gate)
        {
            foreach (var (name, type) in attributes)
            {
                ValidateName(name);
                if (type == IndexedValueType.Unspecified || !Enum.IsDefined(type))
                {
                    throw GrpcException.InvalidArgument(
                        $"search attribute '{name}' has no valid type: use one of Text, Keyword, Int, Double, Bool, Datetime, KeywordList");
                }
                if (custom.TryGetValue(name, out var existing) && existing != type)
                {
                    throw GrpcException.InvalidArgument(
                        $"search attribute '{name}' already exists with type {existing}; remove it first to register it as {type}");
                }
            }
            var added = attributes.Keys.Count(name => !custom.ContainsKey(name));
            if (custom.Count + added > MaxCustomAttributes)
            {
                throw GrpcException.InvalidArgument($"a namespace holds at most {MaxCustomAttributes} custom search attributes");
            }
            foreach (var (name, type) in attributes)
            {
                custom[name] = type;
            }
            return added > 0;
        }
    }

    /// <summary>Removes custom attributes; all or nothing. Values already stored on workflows stay in their histories.</summary>
    public void Remove(IReadOnlyCollection<string> names)
    {
        lock (gate)
        {
            foreach (var name in names)
            {
                if (!custom.ContainsKey(name))
                {
                    throw GrpcException.NotFound(
                        IsSystem(name)
                            ? $"search attribute '{name}' is a system attribute and cannot be removed"
                            : $"search attribute '{name}' is not registered in namespace '{Namespace}'");
                }
            }
            foreach (var name in names)
            {
                custom.Remove(name);
            }
        }
    }

    public static bool IsSystem(string name) => Derived.ContainsKey(name) || Predefined.ContainsKey(name);

    /// <summary>The type of any attribute a query may name, or null when the namespace has no such attribute.</summary>
    public IndexedValueType? TypeOf(string name)
    {
        if (Derived.TryGetValue(name, out var derived))
        {
            return derived;
        }
        if (Predefined.TryGetValue(name, out var predefined))
        {
            return predefined;
        }
        lock (gate)
        {
            return custom.TryGetValue(name, out var type) ? type : null;
        }
    }

    /// <summary>
    /// Checks values a workflow sets (at start or by upsert) and returns them typed for storage; an
    /// unset value (null, empty list) stays, meaning "remove". Returns the problem instead of throwing
    /// so the caller can fail a workflow task with it.
    /// </summary>
    public string? Normalize(SearchAttributes? attributes, out SearchAttributes normalized)
    {
        normalized = new SearchAttributes();
        if (attributes == null)
        {
            return null;
        }
        foreach (var (name, payload) in attributes.IndexedFields)
        {
            if (Derived.ContainsKey(name))
            {
                return $"search attribute '{name}' is a system attribute that the server sets; workflows cannot set it";
            }
            var type = TypeOf(name);
            if (type == null)
            {
                // Temporal's wording (clients match on "no mapping defined"), then how to fix it.
                return $"Namespace {Namespace} has no mapping defined for search attribute {name}: register it first " +
                    $"(OperatorService AddSearchAttributes, or `temporal operator search-attribute create --name {name} --type Keyword`)";
            }
            if (payload.Metadata.TryGetValue("type", out var declared) &&
                !string.Equals(declared.ToStringUtf8(), type.Value.ToString(), StringComparison.Ordinal))
            {
                return $"search attribute '{name}' is registered as {type} but the value was sent as {declared.ToStringUtf8()}";
            }
            object? value;
            try
            {
                value = Decode(payload, type.Value);
            }
            catch (FormatException ex)
            {
                return $"search attribute '{name}' ({type}): {ex.Message}";
            }
            normalized.IndexedFields[name] = value == null ? payload : Encode(value, type.Value);
        }
        return null;
    }

    /// <summary>True when the payload clears the attribute (the SDK sends null or an empty list for "unset").</summary>
    public static bool IsUnset(Payload payload)
    {
        if (payload.Data.IsEmpty)
        {
            return true;
        }
        var text = payload.Data.ToStringUtf8().Trim();
        return text is "null" or "[]";
    }

    /// <summary>
    /// The .NET value of a stored payload: string, long, double, bool, DateTime (UTC) or a string list;
    /// null when unset.
    /// </summary>
    public static object? Decode(Payload payload, IndexedValueType type)
    {
        if (IsUnset(payload))
        {
            return null;
        }
        JsonElement json;
        try
        {
            using var document = JsonDocument.Parse(payload.Data.Memory);
            json = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            throw new FormatException("the value is not JSON (send it with the SDK's default converter)");
        }
        return type switch
        {
            IndexedValueType.Keyword or IndexedValueType.Text => json.ValueKind == JsonValueKind.String
                ? json.GetString()
                : throw new FormatException($"expected a string, got {json.ValueKind}"),
            IndexedValueType.Int => json.ValueKind == JsonValueKind.Number && json.TryGetInt64(out var i)
                ? i
                : throw new FormatException($"expected a 64-bit integer, got {json}"),
            IndexedValueType.Double => json.ValueKind == JsonValueKind.Number
                ? json.GetDouble()
                : throw new FormatException($"expected a number, got {json.ValueKind}"),
            IndexedValueType.Bool => json.ValueKind is JsonValueKind.True or JsonValueKind.False
                ? json.GetBoolean()
                : throw new FormatException($"expected true or false, got {json}"),
            IndexedValueType.Datetime => json.ValueKind == JsonValueKind.String && TryParseTime(json.GetString()!, out var time)
                ? time
                : throw new FormatException($"expected an RFC 3339 timestamp string, got {json}"),
            IndexedValueType.KeywordList => json.ValueKind switch
            {
                JsonValueKind.String => new List<string> { json.GetString()! },
                JsonValueKind.Array when json.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String) =>
                    json.EnumerateArray().Select(e => e.GetString()!).ToList(),
                _ => throw new FormatException($"expected a list of strings, got {json}"),
            },
            _ => throw new FormatException($"type {type} is not supported"),
        };
    }

    /// <summary>Decodes a stored payload by its own <c>type</c> metadata; null when unset or untyped.</summary>
    public static object? DecodeTyped(Payload payload) =>
        payload.Metadata.TryGetValue("type", out var declared) &&
        Enum.TryParse<IndexedValueType>(declared.ToStringUtf8(), out var type) && Enum.IsDefined(type)
            ? Decode(payload, type)
            : null;

    /// <summary>A payload the SDK decodes as <paramref name="type"/>: JSON with <c>encoding</c> and <c>type</c> metadata.</summary>
    public static Payload Encode(object value, IndexedValueType type)
    {
        var json = value switch
        {
            DateTime time => JsonSerializer.Serialize(time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture)),
            _ => JsonSerializer.Serialize(value),
        };
        return new Payload
        {
            Metadata =
            {
                ["encoding"] = ByteString.CopyFromUtf8("json/plain"),
                ["type"] = ByteString.CopyFromUtf8(type.ToString()),
            },
            Data = ByteString.CopyFromUtf8(json),
        };
    }

    public static bool TryParseTime(string text, out DateTime utc)
    {
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
        {
            utc = parsed.UtcDateTime;
            return true;
        }
        utc = default;
        return false;
    }

    private static void ValidateName(string name)
    {
        if (string.IsNullOrEmpty(name) || !NamePattern().IsMatch(name))
        {
            throw GrpcException.InvalidArgument(
                $"search attribute name '{name}' is invalid: use letters, digits and underscores, starting with a letter");
        }
        if (IsSystem(name) || name.StartsWith(ReservedPrefix, StringComparison.Ordinal))
        {
            throw GrpcException.InvalidArgument(
                $"search attribute name '{name}' is reserved by the system (system attributes and names starting with '{ReservedPrefix}'); choose another name");
        }
    }

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_]*$")]
    private static partial Regex NamePattern();
}
