using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace MaintenanceWorkflows.DevServer.Http;

/// <summary>
/// <c>GET /render?content=</c>: the UI shows a workflow's summary and details (user metadata, written by
/// whoever started it) by loading this page in an iframe. Everything is HTML-escaped first and only a small
/// markdown subset is turned back into tags (headings, lists, code, emphasis, http(s)/mailto links); a
/// strict Content-Security-Policy (no scripts, one nonce'd style, sandboxed) covers anything missed.
/// </summary>
internal static partial class MarkdownPage
{
    /// <summary>Longest content rendered; user metadata is a summary, not a document.</summary>
    public const int MaxContentChars = 20_000;

    public static (string Html, string ContentSecurityPolicy) Render(string content, string? theme)
    {
        if (content.Length > MaxContentChars)
        {
            content = content[..MaxContentChars] + "\n\n… (cut at " + MaxContentChars + " characters)";
        }
        var nonce = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        var dark = string.Equals(theme, "dark", StringComparison.Ordinal);
        var html = new StringBuilder()
            .Append("<!doctype html><html><head><meta charset=\"utf-8\"><base target=\"_blank\"><title>Rendered Markdown</title>")
            .Append("<style nonce=\"").Append(nonce).Append("\">body{font-family:Inter,system-ui,sans-serif;font-size:14px;margin:0;")
            .Append(dark ? "color:#f8fafc;background:transparent}" : "color:#0f172a;background:transparent}")
            .Append("pre,code{font-family:'Noto Sans Mono',monospace;font-size:13px}pre{white-space:pre-wrap}a{color:inherit}</style>")
            .Append("</head><body><main>")
            .Append(ToHtml(content))
            .Append("</main></body></html>")
            .ToString();
        var csp = $"default-src 'none'; style-src 'nonce-{nonce}'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'; " +
                  "sandbox allow-popups allow-popups-to-escape-sandbox";
        return (html, csp);
    }

    internal static string ToHtml(string markdown)
    {
        var output = new StringBuilder();
        var lines = markdown.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var paragraph = new List<string>();
        string? list = null;
        var inCode = false;

        void FlushParagraph()
        {
            if (paragraph.Count > 0)
            {
                output.Append("<p>").Append(string.Join("<br>", paragraph.Select(Inline))).Append("</p>");
                paragraph.Clear();
            }
        }

        void CloseList()
        {
            if (list != null)
            {
                output.Append("</").Append(list).Append('>');
                list = null;
            }
        }

        foreach (var line in lines)
        {
            if (line.TrimStart().StartsWith("```", StringComparison.Ordinal))
            {
                FlushParagraph();
                CloseList();
                output.Append(inCode ? "</code></pre>" : "<pre><code>");
                inCode = !inCode;
                continue;
            }
            if (inCode)
            {
                output.Append(WebUtility.HtmlEncode(line)).Append('\n');
                continue;
            }
            if (string.IsNullOrWhiteSpace(line))
            {
                FlushParagraph();
                CloseList();
                continue;
            }
            var heading = HeadingPattern().Match(line);
            if (heading.Success)
            {
                FlushParagraph();
                CloseList();
                var level = heading.Groups[1].Length;
                output.Append("<h").Append(level).Append('>').Append(Inline(heading.Groups[2].Value)).Append("</h").Append(level).Append('>');
                continue;
            }
            var item = ListPattern().Match(line);
            if (item.Success)
            {
                FlushParagraph();
                var kind = char.IsDigit(item.Groups[1].Value[0]) ? "ol" : "ul";
                if (list != kind)
                {
                    CloseList();
                    output.Append('<').Append(kind).Append('>');
                    list = kind;
                }
                output.Append("<li>").Append(Inline(item.Groups[2].Value)).Append("</li>");
                continue;
            }
            CloseList();
            paragraph.Add(line.Trim());
        }
        FlushParagraph();
        CloseList();
        if (inCode)
        {
            output.Append("</code></pre>");
        }
        return output.ToString();
    }

    /// <summary>Escapes a line, then restores code spans, emphasis and safe links.</summary>
    private static string Inline(string text)
    {
        var escaped = WebUtility.HtmlEncode(text);
        escaped = CodePattern().Replace(escaped, "<code>$1</code>");
        escaped = BoldPattern().Replace(escaped, "<strong>$1</strong>");
        escaped = ItalicPattern().Replace(escaped, "<em>$1</em>");
        return LinkPattern().Replace(escaped, m =>
        {
            // The URL was escaped with the rest; only absolute http(s) and mailto targets become links.
            var url = WebUtility.HtmlDecode(m.Groups[2].Value);
            return Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" or "mailto"
                ? $"<a href=\"{WebUtility.HtmlEncode(uri.AbsoluteUri)}\" rel=\"noopener noreferrer\">{m.Groups[1].Value}</a>"
                : m.Groups[1].Value;
        });
    }

    [GeneratedRegex(@"^(#{1,6})\s+(.*)$")]
    private static partial Regex HeadingPattern();

    [GeneratedRegex(@"^\s*([-*+]|\d{1,9}[.)])\s+(.*)$")]
    private static partial Regex ListPattern();

    [GeneratedRegex(@"`([^`]+)`")]
    private static partial Regex CodePattern();

    [GeneratedRegex(@"\*\*([^*]+)\*\*")]
    private static partial Regex BoldPattern();

    [GeneratedRegex(@"(?<![\w*])[*_]([^*_]+)[*_](?![\w*])")]
    private static partial Regex ItalicPattern();

    [GeneratedRegex(@"\[([^\]]+)\]\(([^)\s]+)\)")]
    private static partial Regex LinkPattern();
}
