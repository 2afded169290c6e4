using System.Text.Json.Serialization;

namespace MaintenanceWorkflows.Activities.Notifications.Channels;

/// <summary>Which payload a chat webhook expects.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ChatKind>))]
public enum ChatKind
{
    /// <summary>Slack incoming webhooks (and Mattermost, Rocket.Chat): <c>{"text": ...}</c>.</summary>
    Slack,

    /// <summary>Discord webhooks: <c>{"content": ..., "username": ...}</c>.</summary>
    Discord,
}

/// <summary>Section <c>Chat</c>: <c>Chat:Channels:&lt;name&gt;:Kind</c> and <c>:WebhookUrl</c>.</summary>
public sealed class ChatOptions
{
    public const string Section = "Chat";

    /// <summary>Name shown as the sender where the chat service allows it.</summary>
    public string Username { get; set; } = "Maintenance";

    public Dictionary<string, ChatChannelOptions> Channels { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}

/// <summary>One chat channel; its webhook URL is a secret and never leaves the worker.</summary>
public sealed class ChatChannelOptions
{
    public ChatKind Kind { get; set; } = ChatKind.Slack;

    public Uri? WebhookUrl { get; set; }
}
