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

    private static string ReadFile(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new PlanLoadException([new LoadError { File = path, Line = 0, Column = 0, Path = string.Empty, Message = $"cannot read the file: {e.Message}" }]);
        }
    }

    private static LoadResult<T> Parse<T>(string yaml, string file, DateTimeOffset? now, Func<YamlSource, YamlNode, T?> read)
        where T : class
    {
        var source = new YamlSource(file, now);

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
