using System.Globalization;
using System.Text.Json;

namespace MaintenanceWorkflows.Activities.Http;

/// <summary>Dotted paths into JSON documents: <c>lambda.version</c>, <c>agents.0.name</c>.</summary>
public static class JsonPaths
{
    public static bool TryGet(JsonElement root, string path, out JsonElement value)
    {
        ArgumentNullException.ThrowIfNull(path);
        value = root;
        foreach (var segment in path.Split('.'))
        {
            if (value.ValueKind == JsonValueKind.Object && value.TryGetProperty(segment, out var child))
            {
                value = child;
            }
            else if (value.ValueKind == JsonValueKind.Array
                && int.TryParse(segment, NumberStyles.None, CultureInfo.InvariantCulture, out var index)
                && index < value.GetArrayLength())
            {
                value = value[index];
            }
            else
            {
                value = default;
                return false;
            }
        }

        return true;
    }

    /// <summary>The value as people write it in a plan: strings unquoted, everything else as raw JSON.</summary>
    public static string Text(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString() ?? string.Empty,
        JsonValueKind.Object => "{…}",
        JsonValueKind.Array => $"[{value.GetArrayLength()} items]",
        _ => value.GetRawText(),
    };
}
