using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace MaintenanceWorkflows.Workflows.Plans;

/// <summary>
/// Loads plans and policies from YAML. Schema problems (syntax, unknown or missing fields, wrong types, bad
/// durations, zones or DST-ambiguous times) come back all at once with file, line, column and field path;
/// policy rules are checked separately by <see cref="PlanValidator"/>.
/// </summary>
public static partial class PlanYaml
{
    /// <summary>Reads a plan. <paramref name="now"/> is what "start: now" means (emergencies).</summary>
    public static LoadResult<MaintenancePlan> ParsePlan(string yaml, string file, DateTimeOffset? now = null) =>
        Parse(yaml, file, now, PlanMapper.Read);

    public static LoadResult<MaintenancePolicy> ParsePolicy(string yaml, string file) =>
        Parse(yaml, file, null, PolicyMapper.Read);

    public static MaintenancePlan LoadPlanFile(string path, DateTimeOffset? now = null) =>
        ParsePlan(ReadFile(path), path, now).GetValueOrThrow();

    public static MaintenancePolicy LoadPolicyFile(string path) =>
        ParsePolicy(ReadFile(path), path).GetValueOrThrow();

    /// <summary>Plans and policies are a few kilobytes; anything past this is refused before it is parsed.</summary>
    public const int MaxFileBytes = 1024 * 1024;

    /// <summary>Deepest nesting of lists and mappings accepted (real files nest 5 deep); checked before parsing, so no input can exhaust the stack.</summary>
    public const int MaxDepth = 64;

    /// <summary>Reads at most <see cref="MaxFileBytes"/> (so /dev/zero or a huge file cannot exhaust memory) as strict UTF-8.</summary>
    private static string ReadFile(string path)
    {
        byte[] bytes;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.SequentialScan);
            using var buffer = new MemoryStream();
            var chunk = new byte[64 * 1024];
            int read;
            while ((read = stream.Read(chunk, 0, chunk.Length)) > 0)
            {
                if (buffer.Length + read > MaxFileBytes)
                {
                    throw Refused(path, $"the file is larger than {MaxFileBytes / 1024} KiB; a plan or policy is a few kilobytes of YAML. Is this the right file?");
                }

                buffer.Write(chunk, 0, read);
            }

            bytes = buffer.ToArray();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            throw Refused(path, $"cannot read the file: {e.Message}");
        }

        try
        {
            return new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(bytes).TrimStart('\uFEFF');
        }
        catch (System.Text.DecoderFallbackException e)
        {
            var at = e.Index >= 0 ? $" at byte {e.Index}" : string.Empty;
            throw Refused(path, $"the file is not valid UTF-8 text{at}; save it as UTF-8.");
        }
    }

    private static PlanLoadException Refused(string path, string message) =>
        new([new LoadError { File = path, Line = 0, Column = 0, Path = string.Empty, Message = message }]);

    /// <summary>
    /// Where the text nests deeper than <see cref="MaxDepth"/>: flow brackets outside quotes, plus block nesting by
    /// indentation and compact "- - -" items. Over-estimates on odd plain scalars, which is the safe side.
    /// </summary>
    internal static (int Line, int Column)? FindExcessiveNesting(string yaml)
    {
        var line = 1;
        var column = 0;
        var flow = 0;
        var lineStart = true;
        var indent = 0;
        char quote = '\0';
        var comment = false;
        for (var i = 0; i < yaml.Length; i++)
        {
            var c = yaml[i];
            column++;
            if (c == '\n')
            {
                line++;
                column = 0;
                lineStart = true;
                indent = 0;
                comment = false;
                if (quote == '\0')
                {
                    continue;
                }
            }

            if (comment)
            {
                continue;
            }

            if (lineStart && quote == '\0')
            {
                if (c is ' ' or '-' || (c == '?' && i + 1 < yaml.Length && yaml[i + 1] == ' '))
                {
                    // Indentation and compact list markers both open a level per column or two.
                    indent++;
                    if (indent / 2 + flow > MaxDepth * 2)
                    {
                        return (line, column);
                    }

                    continue;
                }

                lineStart = false;
            }

            if (quote != '\0')
            {
                if (c == quote && !(quote == '"' && i > 0 && yaml[i - 1] == '\\'))
                {
                    quote = '\0';
                }

                continue;
            }

            switch (c)
            {
                case '"' or '\'' when i == 0 || yaml[i - 1] is ' ' or '[' or '{' or ',' or ':' or '\n' or '-':
                    quote = c;
                    break;
                case '#' when i == 0 || yaml[i - 1] is ' ' or '\t':
                    comment = true;
                    break;
                case '[' or '{':
                    flow++;
                    if (flow > MaxDepth || indent / 2 + flow > MaxDepth * 2)
                    {
                        return (line, column);
                    }

                    break;
                case ']' or '}':
                    flow = Math.Max(0, flow - 1);
                    break;
            }
        }

        return null;
    }

    private static LoadResult<T> Parse<T>(string yaml, string file, DateTimeOffset? now, Func<YamlSource, YamlNode, T?> read)
        where T : class
    {
        var source = new YamlSource(file, now);
        if (yaml.Length > MaxFileBytes)
        {
            source.Error(Mark.Empty, string.Empty, $"the text is longer than {MaxFileBytes / 1024} KiB; a plan or policy is a few kilobytes of YAML.");
            return new LoadResult<T> { Errors = source.Errors };
        }

        if (yaml.IndexOf('\0', StringComparison.Ordinal) is var nul and >= 0)
        {
            var line = yaml.AsSpan(0, nul).Count('\n') + 1;
            source.Error(new Mark(0, line, 1), string.Empty, "the file contains NUL bytes, so it is not a YAML text file; is it the right file?");
            return new LoadResult<T> { Errors = source.Errors };
        }

        if (FindExcessiveNesting(yaml) is { } deep)
        {
            source.Error(new Mark(0, deep.Line, deep.Column), string.Empty, $"lists and mappings nest more than {MaxDepth} levels deep here; a plan or policy needs a handful. Check for unclosed or repeated brackets.");
            return new LoadResult<T> { Errors = source.Errors };
        }

        // The parser reports tab indentation at line 1, column 1; find the real place first.
        var tab = FindTabIndentation(yaml);
        if (tab is { } at)
        {
            source.Error(new Mark(0, at.Line, at.Column), string.Empty, "YAML syntax error: a tab is used for indentation. Indent with spaces only.");
            return new LoadResult<T> { Errors = source.Errors };
        }

        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            source.Error(e.Start, string.Empty, SyntaxMessage(e, yaml));
            return new LoadResult<T> { Errors = source.Errors };
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet 18 throws this without a position for some unterminated flow collections.
            source.Error(Mark.Empty, string.Empty, "YAML syntax error: the file ends inside an unclosed [list], {mapping} or quoted text. Close every bracket and quote.");
            return new LoadResult<T> { Errors = source.Errors };
        }

        if (stream.Documents.Count != 1)
        {
            source.Error(Mark.Empty, string.Empty, stream.Documents.Count == 0 ? "the file is empty." : "the file holds several YAML documents; put one plan or policy per file.");
            return new LoadResult<T> { Errors = source.Errors };
        }

        var value = read(source, stream.Documents[0].RootNode);
        var errors = source.Errors.OrderBy(e => e.Line).ThenBy(e => e.Column).ToList();
        return new LoadResult<T> { Value = errors.Count == 0 ? value : null, Errors = errors };
    }

    private static string SyntaxMessage(YamlException e, string yaml)
    {
        var message = e.InnerException is YamlException inner ? inner.Message : e.Message;
        var line = yaml.Split('\n').ElementAtOrDefault((int)e.Start.Line - 1) ?? string.Empty;
        var layout = message.Contains("mapping", StringComparison.OrdinalIgnoreCase)
            || message.Contains("block", StringComparison.OrdinalIgnoreCase)
            || message.Contains("indent", StringComparison.OrdinalIgnoreCase);

        // An unquoted cron expression ("*/15 ...") reads as an alias and fails in ways that look like indentation.
        var hint = UnquotedStarPattern().IsMatch(line)
            ? " A value starting with * or & must be quoted, e.g. cron: \"*/15 2 * * *\"; YAML otherwise reads it as an alias or anchor."
            : layout
                ? " Check the indentation: fields of one mapping must line up, nested fields are indented further, and a value containing ': ' must be quoted."
                : string.Empty;
        return $"YAML syntax error: {message}{hint}";
    }

    [GeneratedRegex(@"^\s*(-\s+)?[A-Za-z][\w.-]*:\s+[*&]")]
    private static partial Regex UnquotedStarPattern();

    private static (int Line, int Column)? FindTabIndentation(string yaml)
    {
        var lines = yaml.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            for (var c = 0; c < line.Length && (line[c] == ' ' || line[c] == '\t'); c++)
            {
                if (line[c] == '\t' && c + 1 < line.Length && line.AsSpan(c).Trim().Length > 0)
                {
                    return (i + 1, c + 1);
                }
            }
        }

        return null;
    }
}
