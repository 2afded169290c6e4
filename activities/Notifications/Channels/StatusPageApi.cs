using System.Text.Json.Serialization;
using Refit;

namespace MaintenanceWorkflows.Activities.Notifications.Channels;

/// <summary>The scheduled-maintenance part of the Statuspage REST API (v1).</summary>
public interface IStatusPageApi
{
    [Get("/v1/pages/{pageId}/incidents")]
    Task<IReadOnlyList<StatusPageIncident>> SearchIncidentsAsync(string pageId, [AliasAs("q")] string query, [AliasAs("limit")] int limit, CancellationToken cancellationToken);

    [Post("/v1/pages/{pageId}/incidents")]
    Task<StatusPageIncident> CreateIncidentAsync(string pageId, [Body] StatusPageIncidentRequest request, CancellationToken cancellationToken);

    [Patch("/v1/pages/{pageId}/incidents/{incidentId}")]
    Task<StatusPageIncident> UpdateIncidentAsync(string pageId, string incidentId, [Body] StatusPageIncidentRequest request, CancellationToken cancellationToken);
}

public sealed record StatusPageIncidentRequest
{
    [JsonPropertyName("incident")]
    public required StatusPageIncidentFields Incident { get; init; }
}

public sealed record StatusPageIncidentFields
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("name")]
    public string? Name { get; init; }

    [JsonPropertyName("status")]
    public required string Status { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("body")]
    public string? Body { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("scheduled_for")]
    public DateTimeOffset? ScheduledFor { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("scheduled_until")]
    public DateTimeOffset? ScheduledUntil { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("scheduled_remind_prior")]
    public bool? ScheduledRemindPrior { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("component_ids")]
    public IReadOnlyList<string>? ComponentIds { get; init; }
}

public sealed record StatusPageIncident
{
    [JsonPropertyName("id")]
    public string? Id { get; init; }

    [JsonPropertyName("name")]
    public string? Name { get; init; }

    [JsonPropertyName("status")]
    public string? Status { get; init; }

    [JsonPropertyName("shortlink")]
    public string? Shortlink { get; init; }

    [JsonPropertyName("scheduled_for")]
    public DateTimeOffset? ScheduledFor { get; init; }

    [JsonPropertyName("scheduled_until")]
    public DateTimeOffset? ScheduledUntil { get; init; }
}

/// <summary>Source-generated JSON metadata for the status page client.</summary>
[JsonSerializable(typeof(StatusPageIncidentRequest))]
[JsonSerializable(typeof(StatusPageIncident))]
[JsonSerializable(typeof(IReadOnlyList<StatusPageIncident>))]
internal sealed partial class StatusPageJsonContext : JsonSerializerContext;

/// <summary>Adds "Authorization: OAuth &lt;key&gt;" from the worker's configuration.</summary>
public sealed class StatusPageAuthHandler(Microsoft.Extensions.Options.IOptions<StatusPageOptions> options) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Headers.TryAddWithoutValidation("Authorization", $"OAuth {options.Value.ApiKey}");
        return base.SendAsync(request, cancellationToken);
    }
}
