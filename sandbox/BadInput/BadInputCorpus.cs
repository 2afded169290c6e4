using System.Text;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace MaintenanceWorkflows.Sandbox.BadInput;

/// <summary>One generated bad input: the file's bytes, what was done to it, and where an error must point.</summary>
/// <param name="Name">Unique, readable case name (source file, mutation, field).</param>
/// <param name="Source">Example file it was made from (a plan, or policy.yaml).</param>
/// <param name="IsPolicy">Whether the mutated file is the policy (validated with an unchanged plan) rather than a plan.</param>
/// <param name="Kind">Mutation kind, e.g. wrong-type, unknown-field.</param>
/// <param name="Bytes">The mutated file.</param>
/// <param name="Field">Field path the error must name (e.g. window.duration), or null when none exists.</param>
/// <param name="Line">1-based line the error may point at instead of a field path; 0 when unknown.</param>
/// <param name="MustRefuse">True when no reading of the file is valid; false when the change may leave a valid file (a removed optional field).</param>
public sealed record BadInputCase(string Name, string Source, bool IsPolicy, string Kind, byte[] Bytes, string? Field, int Line, bool MustRefuse);

/// <summary>
/// Mutations of every example plan and the policy (issue 13 item 6): wrong types, missing and unknown fields,
/// extreme numbers, deep nesting, huge strings, invalid UTF-8 and bad time zones. Deterministic: the same
/// examples give the same corpus, so a failing case can be reproduced by name.
/// </summary>
public static partial class BadInputCorpus
{
    private static readonly string[] ExtremeNumbers = ["NaN", ".inf", "-.inf", "1e309", "-99999999999999999999999", "4294967296", "0x7fffffff"];

    private static readonly string[] BadZones = ["Mars/Olympus_Mons", "America/Los Angeles", "UTC+25", "../../etc/localtime", "\u00e9t\u00e9"];

    public static IReadOnlyList<BadInputCase> Generate(string examplesDirectory)
    {
        var cases = new List<BadInputCase>();
        foreach (var file in Directory.GetFiles(examplesDirectory, "*.yaml").Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(file);
            var text = File.ReadAllText(file);
            var isPolicy = name == "policy.yaml";
            cases.AddRange(Mutate(name, text, isPolicy));
        }

        return cases;
    }

    private static IEnumerable<BadInputCase> Mutate(string source, string text, bool isPolicy)
    {
        var nodes = Walk(Load(text).RootNode, string.Empty).ToList();
        for (var index = 0; index < nodes.Count; index++)
        {
            var (path, node, parent, key) = nodes[index];
            var line = (int)node.Start.Line;
            switch (node)
            {
                case YamlScalarNode scalar when parent is not null:
                    // Fields take a mapping or a list in turn, which halves the corpus and still gives every field a wrong type.
                    yield return index % 2 == 0
                        ? Case(source, isPolicy, "wrong-type-mapping", path, line, text, index, n => new YamlMappingNode(new YamlScalarNode("unexpected"), new YamlScalarNode("1")))
                        : Case(source, isPolicy, "wrong-type-list", path, line, text, index, n => new YamlSequenceNode(new YamlScalarNode("a"), new YamlScalarNode("b")));
                    // The heavy mutations go to every fifth field: each is tens of kilobytes to write and read.
                    var heavy = index % 5 == 0;
                    if (heavy)
                    {
                        yield return Case(source, isPolicy, "huge-string", path, line, text, index, n => new YamlScalarNode(new string('x', 300_000)) { Style = ScalarStyle.DoubleQuoted });
                    }

                    if (double.TryParse(scalar.Value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out _))
                    {
                        foreach (var number in ExtremeNumbers)
                        {
                            // A number-looking text field (a version "40") may take any text, so the change need not be refused.
                            yield return Case(source, isPolicy, $"extreme-number {number}", path, line, text, index, n => new YamlScalarNode(number), mustRefuse: false);
                        }
                    }

                    if (IsDurationLike(scalar.Value))
                    {
                        yield return Case(source, isPolicy, "extreme-duration", path, line, text, index, n => new YamlScalarNode("99999999999d"));
                        yield return Case(source, isPolicy, "negative-duration", path, line, text, index, n => new YamlScalarNode("-5m"));
                    }

                    if (key is "start" or "end" or "from" or "until" && scalar.Value?.Contains('-', StringComparison.Ordinal) == true)
                    {
                        yield return Case(source, isPolicy, "date-0001", path, line, text, index, n => new YamlScalarNode("0001-01-01T00:00"));
                        yield return Case(source, isPolicy, "date-9999", path, line, text, index, n => new YamlScalarNode("9999-12-31T23:59"));
                    }

                    if (key is not null && key.Contains("zone", StringComparison.OrdinalIgnoreCase))
                    {
                        foreach (var zone in BadZones)
                        {
                            yield return Case(source, isPolicy, $"bad-zone {zone}", path, line, text, index, n => new YamlScalarNode(zone));
                        }
                    }

                    if (heavy)
                    {
                        yield return Case(source, isPolicy, "deep-nesting", path, line, text, index, _ => Nested());
                    }

                    break;
                case YamlMappingNode:
                    // A step's args map placeholder names to values, so any key is a field there; the worker judges them.
                    yield return Case(source, isPolicy, "unknown-field", Join(path, "bogusField"), line, text, index, n =>
                    {
                        ((YamlMappingNode)n).Children.Add(new YamlScalarNode("bogusField"), new YamlScalarNode("1"));
                        return n;
                    }, mustRefuse: key != "args");
                    foreach (var child in ((YamlMappingNode)node).Children.Keys.OfType<YamlScalarNode>().Select(k => k.Value!).ToList())
                    {
                        yield return Case(source, isPolicy, $"missing-field {child}", Join(path, child), line, text, index, n =>
                        {
                            ((YamlMappingNode)n).Children.Remove(new YamlScalarNode(child));
                            return n;
                        }, mustRefuse: false);
                    }

                    break;
            }
        }

        var bytes = Encoding.UTF8.GetBytes(text);
        var invalid = bytes.Take(bytes.Length / 2).Concat(new byte[] { 0xC3, 0x28, 0xFF, 0xFE }).Concat(bytes.Skip(bytes.Length / 2)).ToArray();
        yield return new BadInputCase($"{source} invalid-utf8", source, isPolicy, "invalid-utf8", invalid, null, 0, MustRefuse: true);
        yield return new BadInputCase($"{source} nul-bytes", source, isPolicy, "nul-bytes", [.. bytes, 0, 0, 0], null, 0, MustRefuse: true);
        yield return new BadInputCase($"{source} truncated", source, isPolicy, "truncated", bytes[..(bytes.Length / 3)], null, 0, MustRefuse: false);
        yield return new BadInputCase($"{source} empty", source, isPolicy, "empty", [], null, 0, MustRefuse: true);
        yield return new BadInputCase($"{source} oversized", source, isPolicy, "oversized", [.. bytes, .. Encoding.UTF8.GetBytes("\n# " + new string('x', 2 * 1024 * 1024))], null, 0, MustRefuse: true);
    }

    private static BadInputCase Case(string source, bool isPolicy, string kind, string path, int line, string text, int index, Func<YamlNode, YamlNode> change, bool mustRefuse = true)
    {
        // Each case starts from a fresh parse: the mutation replaces the index-th node of the same walk.
        var document = Load(text);
        var target = Walk(document.RootNode, string.Empty).ElementAt(index);
        var replacement = change(target.Node);
        if (!ReferenceEquals(replacement, target.Node))
        {
            Replace(target.Parent!, target.Node, replacement);
        }

        var stream = new YamlStream(document);
        using var writer = new StringWriter();
        stream.Save(writer, assignAnchors: false);
        var yaml = writer.ToString();
        if (kind == "deep-nesting")
        {
            // YamlDotNet cannot write 100,000 levels either; splice the text in where the placeholder went.
            yaml = yaml.Replace("__deep_nesting__", new string('[', 100_000), StringComparison.Ordinal);
        }

        return new BadInputCase($"{source} {kind} @ {path}", source, isPolicy, kind, Encoding.UTF8.GetBytes(yaml), path, line, mustRefuse);
    }

    private static YamlScalarNode Nested() => new("__deep_nesting__") { Style = ScalarStyle.Plain };

    private static void Replace(YamlNode parent, YamlNode old, YamlNode replacement)
    {
        switch (parent)
        {
            case YamlMappingNode map:
                var key = map.Children.First(p => ReferenceEquals(p.Value, old)).Key;
                map.Children[key] = replacement;
                break;
            case YamlSequenceNode list:
                list.Children[list.Children.IndexOf(old)] = replacement;
                break;
        }
    }

    private static YamlDocument Load(string text)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        return stream.Documents[0];
    }

    private static IEnumerable<(string Path, YamlNode Node, YamlNode? Parent, string? Key)> Walk(YamlNode node, string path, YamlNode? parent = null, string? key = null)
    {
        yield return (path, node, parent, key);
        switch (node)
        {
            case YamlMappingNode map:
                foreach (var (k, v) in map.Children)
                {
                    var name = (k as YamlScalarNode)?.Value ?? "?";
                    foreach (var item in Walk(v, Join(path, name), map, name))
                    {
                        yield return item;
                    }
                }

                break;
            case YamlSequenceNode list:
                for (var i = 0; i < list.Children.Count; i++)
                {
                    foreach (var item in Walk(list.Children[i], $"{path}[{i}]", list, key))
                    {
                        yield return item;
                    }
                }

                break;
        }
    }

    private static bool IsDurationLike(string? value) => value is { Length: < 20 } && DurationPattern().IsMatch(value);

    [System.Text.RegularExpressions.GeneratedRegex(@"^(\d+(\.\d+)?(ms|min|d|h|m|s))+$")]
    private static partial System.Text.RegularExpressions.Regex DurationPattern();

    private static string Join(string path, string key) => string.IsNullOrEmpty(path) ? key : $"{path}.{key}";
}
