using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace MaintenanceWorkflows.Sandbox.Chat;

/// <summary>Local chat webhooks: /hooks/{id} accepts like Slack (200 "ok") or Discord (204); /broken/{id} answers 500.</summary>
public sealed class LocalChatWebhooks : IAsyncDisposable
{
    private LoopbackServer? server;

    public Uri BaseAddress => server!.BaseAddress;

    public ConcurrentDictionary<string, JsonElement> Received { get; } = new();

    /// <summary>Raised for every message a hook accepts, with the hook id (the demo prints them).</summary>
    public event Action<string, JsonElement>? Posted;

    public static async Task<LocalChatWebhooks> StartAsync()
    {
        var fake = new LocalChatWebhooks();
        fake.server = await LoopbackServer.StartAsync(app =>
        {
            app.MapPost("/hooks/{id}", async (HttpContext c, string id) =>
            {
                using var body = await JsonDocument.ParseAsync(c.Request.Body);
                fake.Received[id] = body.RootElement.Clone();
                fake.Posted?.Invoke(id, fake.Received[id]);
                return body.RootElement.TryGetProperty("content", out _) ? Results.NoContent() : Results.Text("ok");
            });
            app.MapPost("/broken/{id}", () => Results.Text("internal_error", statusCode: 500));
            app.MapPost("/gone/{id}", () => Results.Text("no_service", statusCode: 404));
        });
        return fake;
    }

    public Uri Hook(string id) => new(BaseAddress, $"hooks/{id}");

    public ValueTask DisposeAsync() => server?.DisposeAsync() ?? ValueTask.CompletedTask;
}
