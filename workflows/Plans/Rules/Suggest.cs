namespace MaintenanceWorkflows.Workflows.Plans;

/// <summary>"Did you mean" by edit distance, for field names, ids and zone ids.</summary>
public static class Suggest
{
    public static IReadOnlyList<string> Closest(string input, IEnumerable<string> candidates, int max = 1)
    {
        var normalized = Normalize(input);
        var limit = Math.Max(2, normalized.Length / 3);
        return candidates
            .Select(c => (Candidate: c, Distance: Distance(normalized, Normalize(c))))
            .Where(x => x.Distance <= limit)
            .OrderBy(x => x.Distance)
            .ThenBy(x => x.Candidate, StringComparer.Ordinal)
            .Take(max)
            .Select(x => x.Candidate)
            .ToList();
    }

    public static string DidYouMean(string input, IEnumerable<string> candidates)
    {
        var best = Closest(input, candidates);
        return best.Count == 0 ? string.Empty : $" Did you mean '{best[0]}'?";
    }

    private static string Normalize(string s) =>
        new(s.Where(char.IsLetterOrDigit).Select(char.ToLowerInvariant).ToArray());

    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
