using System.Net.Http.Json;
using System.Text.Json.Nodes;
using MaintenanceWorkflows.Workflows.Contracts;
using Microsoft.Extensions.Options;
using Temporalio.Exceptions;

namespace MaintenanceWorkflows.Activities.Notifications.Channels;

/// <summary>Posts a message to a configured chat webhook in the payload its kind expects.</summary>
public sealed class ChatWebhookClient(HttpClient http, IOptions<ChatOptions> options)
{
    /// <summary>Discord rejects content over 2,000 characters.</summary>
    public const int DiscordLimit = 2000;

    /// <summary>Slack truncates messages over 40,000 characters.</summary>
    public const int SlackLimit = 40000;

    public bool IsConfigured(string channel) => options.Value.Channels.ContainsKey(channel);

    public async Task PostAsync(string channel, string title, string text, CancellationToken cancellationToken)
    {
        if (!options.Value.Channels.TryGetValue(channel, out var settings) || settings.WebhookUrl is null)
        {
            throw new ApplicationFailureException($"Chat channel '{channel}' has no Chat:Channels:{channel}:WebhookUrl on this worker.", ActivityErrorTypes.UnknownName, nonRetryable: true);
        }

        JsonObject payload = settings.Kind switch
        {
            ChatKind.Discord => new JsonObject
            {
                ["username"] = options.Value.Username,
                ["content"] = Limit($"**{title}**\n{text}", DiscordLimit),
                ["allowed_mentions"] = new JsonObject { ["parse"] = new JsonArray() },
            },
            _ => new JsonObject
            {
                ["text"] = Limit($"*{title}*\n{text}", SlackLimit),
                ["username"] = options.Value.Username,
            },
        };

        using var response = await http.PostAsJsonAsync(settings.WebhookUrl, payload, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            var status = (int)response.StatusCode;
            var retryable = status is 408 or 429 or >= 500;

            // The webhook URL is a secret, so the error names the channel, never the URL.
            throw new ApplicationFailureException(
                $"Chat channel '{channel}' ({settings.Kind}) answered HTTP {status}: {(body.Length > 200 ? body[..200] : body)}",
                retryable ? ActivityErrorTypes.RemoteUnavailable : ActivityErrorTypes.RemoteRejected,
                nonRetryable: !retryable);
        }
    }

    private static string Limit(string text, int limit) => text.Length <= limit ? text : text[..(limit - 1)] + "…";
}
