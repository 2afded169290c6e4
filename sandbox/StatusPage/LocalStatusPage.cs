using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace MaintenanceWorkflows.Sandbox.StatusPage;

/// <summary>Local stand-in for the Statuspage v1 incidents API (scheduled maintenances), with OAuth key checks.</summary>
public sealed class LocalStatusPage : IAsyncDisposable
{
    public const string PageId = "page-duck";
    public const string ApiKey = "statuspage-test-key";
    private readonly object gate = new();
    private LoopbackServer? server;

    public Uri BaseAddress => server!.BaseAddress;

    public ConcurrentDictionary<string, LocalIncident> Incidents { get; } = new();

    /// <summary>While set, every API call is answered 503 (an outage of the status-page provider).</summary>
    public bool Unavailable { get; set; }

    /// <summary>API calls answered 503 while <see cref="Unavailable"/> was set.</summary>
    public int FailedCalls { get; private set; }

    public static async Task<LocalStatusPage> StartAsync()
    {
        var fake = new LocalStatusPage();
        fake.server = await LoopbackServer.StartAsync(fake.Configure);
        return fake;
    }

    public ValueTask DisposeAsync() => server?.DisposeAsync() ?? ValueTask.CompletedTask;

    private void Configure(WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            if (context.Request.Headers.Authorization.ToString() != $"OAuth {ApiKey}")
            {
                context.Response.StatusCode = 401;
                await context.Response.WriteAsJsonAsync(new { error = "Could not authenticate" });
                return;
            }

            if (Unavailable)
            {
                lock (gate)
                {
                    FailedCalls++;
                }
                context.Response.StatusCode = 503;
                await context.Response.WriteAsJsonAsync(new { error = "Service Unavailable" });
                return;
            }

            if (!context.Request.Path.StartsWithSegments($"/v1/pages/{PageId}", StringComparison.Ordinal))
            {
                context.Response.StatusCode = 404;
                await context.Response.WriteAsJsonAsync(new { error = "The requested resource could not be found." });
                return;
            }

            await next();
        });
        app.MapGet("/v1/pages/{page}/incidents", (string q, int? limit) =>
        {
            lock (gate)
            {
                return Results.Json(new JsonArray([.. Incidents.Values.Where(i => i.Name.Contains(q, StringComparison.Ordinal)).Take(limit ?? 100).Select(i => i.ToJson())]));
            }
        });
        app.MapPost("/v1/pages/{page}/incidents", async (HttpContext c) =>
        {
            var body = (await JsonNode.ParseAsync(c.Request.Body))!["incident"]!;
            lock (gate)
            {
                var incident = new LocalIncident(Guid.NewGuid().ToString("N")[..12], (string)body["name"]!);
                incident.Apply(body);
                Incidents[incident.Id] = incident;
                return Results.Json(incident.ToJson(), statusCode: 201);
            }
        });
        app.MapMethods("/v1/pages/{page}/incidents/{id}", ["PATCH"], async (HttpContext c, string id) =>
        {
            var body = (await JsonNode.ParseAsync(c.Request.Body))!["incident"]!;
            lock (gate)
            {
                if (!Incidents.TryGetValue(id, out var incident))
                {
                    return Results.Json(new { error = "The requested resource could not be found." }, statusCode: 404);
                }

                incident.Apply(body);
                return Results.Json(incident.ToJson());
            }
        });
    }
}

public sealed class LocalIncident(string id, string name)
{
    public string Id { get; } = id;

    public string Name { get; private set; } = name;

    public List<string> StatusHistory { get; } = [];

    public List<string> Bodies { get; } = [];

    public string? ScheduledFor { get; private set; }

    public string? ScheduledUntil { get; private set; }

    public void Apply(JsonNode body)
    {
        Name = (string?)body["name"] ?? Name;
        StatusHistory.Add((string)body["status"]!);
        Bodies.Add((string?)body["body"] ?? string.Empty);
        ScheduledFor = (string?)body["scheduled_for"] ?? ScheduledFor;
        ScheduledUntil = (string?)body["scheduled_until"] ?? ScheduledUntil;
    }

    public JsonObject ToJson() => new()
    {
        ["id"] = Id,
        ["name"] = Name,
        ["status"] = StatusHistory[^1],
        ["shortlink"] = $"https://stspg.io/{Id}",
        ["scheduled_for"] = ScheduledFor,
        ["scheduled_until"] = ScheduledUntil,
    };
}
