using System.Globalization;

namespace MaintenanceWorkflows.Activities.Lambda;

/// <summary>
/// The alias state before a window's promotion, written into the alias description next to the run's marker:
/// <c>maint:&lt;window&gt;/&lt;run&gt;/&lt;step&gt; previous=40 to=41 weights=39:0.1 desc=&lt;escaped original&gt;</c>.
/// The alias alone then says what to restore, even when the promotion's result never reached the workflow.
/// </summary>
internal sealed record AliasMarker(string Version, IReadOnlyDictionary<string, double> Weights, string Description, string Target)
{
    /// <summary>Lambda's limit for an alias description.</summary>
    public const int MaxDescriptionLength = 256;

    public string Write(string marker)
    {
        var weights = string.Join(',', Weights.OrderBy(w => w.Key, StringComparer.Ordinal).Select(w => $"{w.Key}:{w.Value.ToString("R", CultureInfo.InvariantCulture)}"));
        return $"{marker} previous={Version} to={Target} weights={weights} desc={Uri.EscapeDataString(Description)}";
    }

    /// <summary>
    /// The description a promotion keeps: an earlier window's marker is unwrapped to the description that window
    /// kept, so markers never nest (each promotion would otherwise grow the description past Lambda's limit).
    /// </summary>
    public static string Kept(string? description)
    {
        description ??= string.Empty;
        if (!description.StartsWith("maint:", StringComparison.Ordinal))
        {
            return description;
        }

        var at = description.IndexOf(" desc=", StringComparison.Ordinal);
        return at < 0 || description.IndexOf(" previous=", StringComparison.Ordinal) < 0
            ? description
            : Uri.UnescapeDataString(description[(at + " desc=".Length)..]);
    }

    /// <summary>The recorded state when <paramref name="description"/> carries exactly this marker; otherwise null.</summary>
    public static AliasMarker? Parse(string? description, string marker)
    {
        if (description is null || !description.StartsWith(marker + " previous=", StringComparison.Ordinal))
        {
            return null;
        }

        var fields = description[(marker.Length + 1)..]
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(f => f.Split('=', 2))
            .Where(f => f.Length == 2)
            .ToDictionary(f => f[0], f => f[1], StringComparer.Ordinal);
        if (!fields.TryGetValue("previous", out var version) || version.Length == 0 ||
            !fields.TryGetValue("to", out var target) || !fields.TryGetValue("weights", out var weightText) || !fields.TryGetValue("desc", out var escaped))
        {
            return null;
        }

        var weights = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var pair in weightText.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = pair.Split(':', 2);
            if (parts.Length != 2 || !double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var weight))
            {
                return null;
            }

            weights[parts[0]] = weight;
        }

        return new AliasMarker(version, weights, Uri.UnescapeDataString(escaped), target);
    }
}
