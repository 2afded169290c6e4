using System.Net;
using System.Reflection;
using System.Text;
using MaintenanceWorkflows.Workflows.Plans;
using Scriban;
using Scriban.Parsing;
using Scriban.Runtime;

namespace MaintenanceWorkflows.Activities.Notifications;

/// <summary>One notice in every flavour a channel needs.</summary>
public sealed record RenderedNotice(string Subject, string Text, string Html, string Short);

/// <summary>A template that does not parse or that uses a field the model does not have.</summary>
public sealed class NoticeTemplateException : Exception
{
    public NoticeTemplateException()
        : this([])
    {
    }

    public NoticeTemplateException(string message)
        : base(message)
    {
        Problems = [message];
    }

    public NoticeTemplateException(string message, Exception innerException)
        : base(message, innerException)
    {
        Problems = [message];
    }

    public NoticeTemplateException(IReadOnlyList<string> problems)
        : base($"notice templates are invalid:{Environment.NewLine}{string.Join(Environment.NewLine, problems)}")
    {
        Problems = problems;
    }

    public IReadOnlyList<string> Problems { get; }
}

/// <summary>
/// Renders notices from Scriban templates: embedded defaults, each replaceable by a file of the same name in an
/// override directory. Templates are parsed and test-rendered against sample models with strict variable and
/// member checking when the renderer is loaded, so a misspelt field fails at start-up, never at send time.
/// </summary>
public sealed class NoticeRenderer
{
    /// <summary>Flavours each notice kind needs: {kind}.subject.sbn, {kind}.text.sbn, {kind}.short.sbn.</summary>
    public static readonly IReadOnlyList<string> Flavours = ["subject", "text", "short"];

    private const string ResourcePrefix = "MaintenanceWorkflows.Notices.";
    private const string HtmlLayout = "layout.html";

    private readonly IReadOnlyDictionary<string, Template> templates;
    private readonly IReadOnlyDictionary<string, string> sources;

    private NoticeRenderer(IReadOnlyDictionary<string, string> sources, IReadOnlyDictionary<string, Template> templates)
    {
        this.sources = sources;
        this.templates = templates;
    }

    /// <summary>Template names with their origin ("embedded" or the override file path).</summary>
    public IReadOnlyDictionary<string, string> Origins { get; private init; } = new Dictionary<string, string>();

    /// <summary>Loads the embedded templates, replaced by any same-named *.sbn in <paramref name="overrideDirectory"/>.</summary>
    public static NoticeRenderer Load(string? overrideDirectory = null)
    {
        var sources = new Dictionary<string, string>(StringComparer.Ordinal);
        var origins = new Dictionary<string, string>(StringComparer.Ordinal);
        var assembly = typeof(NoticeRenderer).Assembly;
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)))
        {
            var name = resource[ResourcePrefix.Length..^".sbn".Length];
            sources[name] = ReadResource(assembly, resource);
            origins[name] = "embedded";
        }

        var problems = new List<string>();
        if (overrideDirectory is not null)
        {
            if (!Directory.Exists(overrideDirectory))
            {
                throw new NoticeTemplateException([$"template override directory '{overrideDirectory}' does not exist."]);
            }

            foreach (var file in Directory.GetFiles(overrideDirectory, "*.sbn").Order(StringComparer.Ordinal))
            {
                var name = Path.GetFileName(file)[..^".sbn".Length];
                if (!sources.ContainsKey(name))
                {
                    problems.Add($"{file}: no template is called '{name}'; overrides must use an existing name ({string.Join(", ", sources.Keys.Order(StringComparer.Ordinal))}).");
                    continue;
                }

                sources[name] = File.ReadAllText(file);
                origins[name] = file;
            }
        }

        foreach (var kind in Enum.GetValues<NoticeKind>())
        {
            foreach (var flavour in Flavours)
            {
                if (!sources.ContainsKey(Name(kind, flavour)))
                {
                    problems.Add($"{Name(kind, flavour)}.sbn: missing template for notice kind {kind.ToName()}.");
                }
            }
        }

        var parsed = new Dictionary<string, Template>(StringComparer.Ordinal);
        foreach (var (name, text) in sources)
        {
            var template = Template.Parse(text, origins[name] == "embedded" ? name + ".sbn" : origins[name]);
            if (template.HasErrors)
            {
                problems.AddRange(template.Messages.Select(m => m.ToString()));
                continue;
            }

            parsed[name] = template;
        }

        if (problems.Count > 0)
        {
            throw new NoticeTemplateException(problems);
        }

        var renderer = new NoticeRenderer(sources, parsed) { Origins = origins };
        renderer.Verify();
        return renderer;
    }

    public RenderedNotice Render(NoticeKind kind, NoticeModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var subject = RenderTemplate(Name(kind, "subject"), model, null).Trim();
        var text = Normalize(RenderTemplate(Name(kind, "text"), model, null));
        var shortText = Normalize(RenderTemplate(Name(kind, "short"), model, null));
        var htmlName = templates.ContainsKey(Name(kind, "html")) ? Name(kind, "html") : HtmlLayout;
        var html = RenderTemplate(htmlName, model, new ScriptObject { ["subject"] = subject, ["body_html"] = TextToHtml(text) });
        return new RenderedNotice(subject, text, html, shortText);
    }

    private static string Name(NoticeKind kind, string flavour) => $"{kind.ToName()}.{flavour}";

    private static string ReadResource(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    /// <summary>Collapses runs of blank lines the template logic leaves behind.</summary>
    private static string Normalize(string text)
    {
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n').Select(l => l.TrimEnd()).ToList();
        var result = new StringBuilder();
        var blank = 0;
        foreach (var line in lines)
        {
            blank = line.Length == 0 ? blank + 1 : 0;
            if (blank <= 1)
            {
                result.Append(line).Append('\n');
            }
        }

        return result.ToString().Trim('\n') + "\n";
    }

    /// <summary>
    /// The text flavour as HTML: blank lines separate blocks, "• "/"□ " lines become list items and the line
    /// before a list becomes its heading. Everything is HTML-encoded.
    /// </summary>
    private static string TextToHtml(string text)
    {
        var html = new StringBuilder();
        foreach (var block in text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            var lines = block.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            var isItem = lines.Select(l => l.StartsWith("• ", StringComparison.Ordinal) || l.StartsWith("□ ", StringComparison.Ordinal)).ToArray();
            if (!isItem.Any(x => x))
            {
                html.Append("<p>").Append(string.Join("<br>\n", lines.Select(WebUtility.HtmlEncode))).Append("</p>\n");
                continue;
            }

            var inList = false;
            for (var i = 0; i < lines.Length; i++)
            {
                if (isItem[i])
                {
                    if (!inList)
                    {
                        html.Append("<ul>\n");
                        inList = true;
                    }

                    html.Append("  <li>").Append(WebUtility.HtmlEncode(lines[i][2..])).Append("</li>\n");
                    continue;
                }

                if (inList)
                {
                    html.Append("</ul>\n");
                    inList = false;
                }

                html.Append(i + 1 < lines.Length && isItem[i + 1] ? "<h3>" : "<p>")
                    .Append(WebUtility.HtmlEncode(lines[i]))
                    .Append(i + 1 < lines.Length && isItem[i + 1] ? "</h3>\n" : "</p>\n");
            }

            if (inList)
            {
                html.Append("</ul>\n");
            }
        }

        return html.ToString();
    }

    private string RenderTemplate(string name, NoticeModel model, ScriptObject? extra)
    {
        var globals = new ScriptObject();
        globals.Import(model);
        if (extra is not null)
        {
            foreach (var (key, value) in extra)
            {
                globals[key] = value;
            }
        }

        var context = new TemplateContext
        {
            StrictVariables = true,
            EnableRelaxedMemberAccess = false,
            TemplateLoader = new Loader(sources),
            MemberRenamer = StandardMemberRenamer.Default,
            LoopLimit = 10_000,
        };
        context.PushGlobal(globals);
        return templates[name].Render(context);
    }

    /// <summary>Renders every template against varied sample models so every branch meets strict member checking.</summary>
    private void Verify()
    {
        var problems = new List<string>();
        foreach (var (label, kindModel) in NoticeSamples.All())
        {
            foreach (var kind in Enum.GetValues<NoticeKind>())
            {
                try
                {
                    Render(kind, kindModel(kind));
                }
                catch (Exception e) when (e is Scriban.Syntax.ScriptRuntimeException or InvalidOperationException)
                {
                    var message = $"{kind.ToName()} ({label} sample): {e.Message}";
                    if (!problems.Contains(message))
                    {
                        problems.Add(message);
                    }
                }
            }
        }

        if (problems.Count > 0)
        {
            throw new NoticeTemplateException(problems);
        }
    }

    private sealed class Loader(IReadOnlyDictionary<string, string> sources) : ITemplateLoader
    {
        public string GetPath(TemplateContext context, SourceSpan callerSpan, string templateName) => templateName;

        public string Load(TemplateContext context, SourceSpan callerSpan, string templatePath) =>
            sources.TryGetValue(templatePath, out var text)
                ? text
                : throw new InvalidOperationException($"{callerSpan}: include '{templatePath}' names no template; known: {string.Join(", ", sources.Keys.Where(k => k.StartsWith('_')).Order(StringComparer.Ordinal))}.");

        public ValueTask<string?> LoadAsync(TemplateContext context, SourceSpan callerSpan, string templatePath) =>
            ValueTask.FromResult<string?>(Load(context, callerSpan, templatePath));
    }
}
