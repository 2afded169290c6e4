namespace MaintenanceWorkflows.Workflows.Plans;

/// <summary>
/// A plan's <c>path:</c> under a worker-configured target. The worker attaches the target's credentials to the
/// request, so the path must not be able to leave the target: relative, no scheme or host, no parent segments,
/// no backslashes, no percent-encoded tricks. The plan validator and the worker apply this same rule.
/// </summary>
public static class TargetPaths
{
    public const int MaxLength = 2048;

    /// <summary>Null when <paramref name="path"/> is safe under a target's base URL, else why not.</summary>
    public static string? Problem(string? path)
    {
        if (string.IsNullOrEmpty(path))
        {
            return null;
        }

        if (path.Length > MaxLength)
        {
            return $"it is {path.Length} characters long (at most {MaxLength})";
        }

        if (path.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)))
        {
            return "it contains spaces or control characters";
        }

        if (path.Contains('\\', StringComparison.Ordinal))
        {
            return "it contains a backslash";
        }

        if (path.StartsWith("//", StringComparison.Ordinal) || path.Contains("://", StringComparison.Ordinal) || HasScheme(path))
        {
            return "it names a scheme or host; a target path is relative to the target's base URL";
        }

        // Decode repeatedly so %2e%2e, %252e%252e and friends are judged as what a server may finally see.
        var decoded = path;
        for (var i = 0; i < 3; i++)
        {
            var next = Uri.UnescapeDataString(decoded);
            if (next == decoded)
            {
                break;
            }

            decoded = next;
        }

        if (decoded.Contains('\\', StringComparison.Ordinal) || decoded.StartsWith("//", StringComparison.Ordinal) || decoded.Contains("://", StringComparison.Ordinal))
        {
            return "it hides a backslash, scheme or host in percent-encoding";
        }

        var pathPart = decoded.Split('?', '#')[0];
        if (pathPart.Split('/').Any(segment => segment is ".." or "."))
        {
            return "it contains a '.' or '..' segment (possibly percent-encoded)";
        }

        if (path.Split('?', '#')[0].Contains("//", StringComparison.Ordinal))
        {
            return "it contains an empty segment ('//')";
        }

        return null;
    }

    private static bool HasScheme(string path)
    {
        var colon = path.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            return false;
        }

        var slash = path.IndexOfAny(['/', '?', '#']);
        return (slash < 0 || colon < slash) && char.IsAsciiLetter(path[0]) && path[..colon].All(c => char.IsAsciiLetterOrDigit(c) || c is '+' or '-' or '.');
    }
}
