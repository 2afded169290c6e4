using System.Globalization;
using System.Text.Json;

namespace MaintenanceWorkflows.Activities.Http;

/// <summary>Dotted paths into JSON documents: <c>lambda.version</c>, <c>agents.0.name</c>.</summary>
public static class JsonPaths
{
    /// <summary>
    /// Follows the path through objects and arrays. A key that itself contains dots (a flat
    /// <c>"lambda.version"</c>) matches too: the longest literal key wins at each level.
    /// </summary>
    public static bool TryGet(JsonElement root, string path, out JsonElement value)
    {
        ArgumentNullException.ThrowIfNull(path);
        return TryGet(root, path.Split('.'), 0, out value);
    }

    /// <summary>The value as people write it in a plan: strings unquoted, everything else as raw JSON.</summary>
    public static string Text(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString() ?? string.Empty,
        JsonValueKind.Object => "{…}",
        JsonValueKind.Array => $"[{value.GetArrayLength()} items]",
        _ => value.GetRawText(),
    };

    private static bool TryGet(JsonElement current, string[] segments, int index, out JsonElement value)
    {
        if (index == segments.Length)
        {
            value = current;
            return true;
        }

        if (current.ValueKind == JsonValueKind.Object)
        {
            for (var end = segments.Length; end > index; end--)
            {
                if (current.TryGetProperty(string.Join('.', segments[index..end]), out var child) && TryGet(child, segments, end, out value))
                {
                    return true;
                }
            }
        }
        else if (current.ValueKind == JsonValueKind.Array
            && int.TryParse(segments[index], NumberStyles.None, CultureInfo.InvariantCulture, out var position)
            && position < current.GetArrayLength())
        {
            return TryGet(current[position], segments, index + 1, out value);
        }

        value = default;
        return false;
    }
}
