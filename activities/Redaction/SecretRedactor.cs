using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using MaintenanceWorkflows.Activities.Commands;
using MaintenanceWorkflows.Activities.Http;
using MaintenanceWorkflows.Activities.Notifications.Channels;
using Microsoft.Extensions.Options;

namespace MaintenanceWorkflows.Activities.Redaction;

/// <summary>More secret values for <see cref="SecretRedactor"/>, e.g. a signing key another part of the worker holds.</summary>
public interface ISecretValues
{
    IEnumerable<string?> Values { get; }
}

/// <summary>
/// The one redaction step: every text that leaves the worker for history (activity results and failure
/// messages, via <see cref="RedactingInterceptor"/>), logs of outside text (command output, check messages),
/// and so reports and postmortems, passes <see cref="Redact"/>. It removes the values of every secret the
/// worker is configured with (target and freeze-source headers, the Statuspage key, chat webhook URLs,
/// command environments, AWS credentials as they are used, and any <see cref="ISecretValues"/>) and the
/// user information and query values of any URL in the text.
/// </summary>
public sealed partial class SecretRedactor
{
    public const string Mask = "[redacted]";

    /// <summary>Shorter values (a "1", a "yes") would blank out ordinary words; secrets are longer.</summary>
    public const int MinimumSecretLength = 6;

    private static readonly string[] EnvironmentSecrets = ["AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"];

    private readonly ConcurrentDictionary<string, byte> secrets = new(StringComparer.Ordinal);
    private volatile string[] ordered = [];

    public SecretRedactor(
        IOptions<TargetsOptions> targets,
        IOptions<FreezeSourcesOptions> freezeSources,
        IOptions<StatusPageOptions> statusPage,
        IOptions<ChatOptions> chat,
        IOptions<CommandsOptions> commands,
        IEnumerable<ISecretValues> more)
    {
        ArgumentNullException.ThrowIfNull(more);
        foreach (var target in targets.Value.Values)
        {
            RememberHeaders(target.Headers);
        }

        foreach (var source in freezeSources.Value.Values)
        {
            RememberHeaders(source.Headers);
            RememberUrlCredentials(source.Url);
        }

        Remember(statusPage.Value.ApiKey);
        foreach (var channel in chat.Value.Channels.Values)
        {
            RememberSecretUrl(channel.WebhookUrl);
        }

        foreach (var command in commands.Value.Values)
        {
            foreach (var value in command.Environment.Values)
            {
                Remember(value);
            }
        }

        foreach (var name in EnvironmentSecrets)
        {
            Remember(Environment.GetEnvironmentVariable(name));
        }

        foreach (var source in more)
        {
            foreach (var value in source.Values)
            {
                Remember(value);
            }
        }
    }

    /// <summary>Adds a secret learned at run time (AWS credentials resolved from the chain, for example).</summary>
    public void Remember(string? secret)
    {
        if (secret is null || secret.Trim().Length < MinimumSecretLength || !secrets.TryAdd(secret, 0))
        {
            return;
        }

        // Longest first, so a secret that contains another is removed whole.
        ordered = [.. secrets.Keys.OrderByDescending(s => s.Length).ThenBy(s => s, StringComparer.Ordinal)];
    }

    /// <summary>The text with every known secret value and every URL credential or query value replaced by <see cref="Mask"/>.</summary>
    public string Redact(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return text ?? string.Empty;
        }

        var result = text;
        foreach (var secret in ordered)
        {
            if (result.Contains(secret, StringComparison.Ordinal))
            {
                result = result.Replace(secret, Mask, StringComparison.Ordinal);
            }
        }

        return result.Contains("://", StringComparison.Ordinal) ? UrlPattern().Replace(result, m => RedactUrl(m.Value)) : result;
    }

    private static string RedactUrl(string url)
    {
        var redacted = UserInfoPattern().Replace(url, "${scheme}" + Mask + "@");
        var query = redacted.IndexOf('?', StringComparison.Ordinal);
        return query < 0 ? redacted : redacted[..query] + QueryValuePattern().Replace(redacted[query..], "${name}" + Mask);
    }

    private void RememberHeaders(Dictionary<string, string> headers)
    {
        foreach (var value in headers.Values)
        {
            Remember(value);

            // "Bearer abc": the credential is the part after the scheme, and may be quoted elsewhere on its own.
            var space = value.IndexOf(' ', StringComparison.Ordinal);
            if (space > 0)
            {
                Remember(value[(space + 1)..].Trim());
            }
        }
    }

    /// <summary>A webhook URL as a whole is the secret (its path is the token), and so is each part of it.</summary>
    private void RememberSecretUrl(Uri? url)
    {
        if (url is null)
        {
            return;
        }

        Remember(url.OriginalString);
        Remember(url.AbsoluteUri);
        Remember(url.PathAndQuery.Length > 1 ? url.PathAndQuery : null);
        RememberUrlCredentials(url);
    }

    /// <summary>A URL that may be shown, but not its user information or query values.</summary>
    private void RememberUrlCredentials(Uri? url)
    {
        if (url is null)
        {
            return;
        }

        Remember(url.UserInfo);
        foreach (var part in url.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            Remember(equals >= 0 ? Uri.UnescapeDataString(part[(equals + 1)..]) : null);
        }
    }

    [GeneratedRegex(@"[A-Za-z][A-Za-z0-9+.-]*://[^\s""'<>`]+")]
    private static partial Regex UrlPattern();

    [GeneratedRegex(@"^(?<scheme>[A-Za-z][A-Za-z0-9+.-]*://)[^/@?#]+@")]
    private static partial Regex UserInfoPattern();

    [GeneratedRegex(@"(?<name>[?&;][^=&#\s]*=)[^&#\s]+")]
    private static partial Regex QueryValuePattern();
}

/// <summary>Secrets read straight from configuration (every value under the given keys), without binding or validating the options that own them.</summary>
internal sealed class ConfigurationSecrets(Microsoft.Extensions.Configuration.IConfiguration section, params string[] keys) : ISecretValues
{
    public IEnumerable<string?> Values =>
        keys.SelectMany(key => Microsoft.Extensions.Configuration.ConfigurationExtensions.AsEnumerable(section.GetSection(key)).Select(pair => pair.Value));
}
