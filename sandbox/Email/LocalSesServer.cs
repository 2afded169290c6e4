using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using MaintenanceWorkflows.Sandbox.Aws;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace MaintenanceWorkflows.Sandbox.Email;

/// <summary>A message the local SES accepted.</summary>
public sealed record LocalEmail(string MessageId, string From, IReadOnlyList<string> To, string Subject, string Text);

/// <summary>
/// Local stand-in for the two SES v2 operations a window uses: SendEmail (<c>POST /v2/email/outbound-emails</c>)
/// and GetAccount (<c>GET /v2/email/account</c>, the send quota the email.quota check reads), with SigV4
/// verification. The tests use the real aws-ses-v2-local emulator from npm; this one lets `starter demo`
/// run where Node.js is not installed.
/// </summary>
public sealed class LocalSesServer : IAsyncDisposable
{
    private readonly IReadOnlyDictionary<string, string> secrets;
    private LoopbackServer? server;
    private int sentLast24Hours;
    private int throttleNext;
    private int throttled;

    private LocalSesServer(IReadOnlyDictionary<string, string> secrets, int max24HourSend, int sentLast24Hours)
    {
        this.secrets = secrets;
        Max24HourSend = max24HourSend;
        this.sentLast24Hours = sentLast24Hours;
    }

    public Uri BaseAddress => server!.BaseAddress;

    public int Max24HourSend { get; }

    public int SentLast24Hours => Volatile.Read(ref sentLast24Hours);

    public ConcurrentQueue<LocalEmail> Sent { get; } = new();

    /// <summary>SendEmail requests answered 429 TooManyRequestsException so far (see <see cref="ThrottleNext"/>).</summary>
    public int Throttled => Volatile.Read(ref throttled);

    /// <summary>Answers the next <paramref name="count"/> SendEmail requests with SES's throttling error, as a busy account does.</summary>
    public void ThrottleNext(int count) => Volatile.Write(ref throttleNext, count);

    /// <summary>Raised for every accepted message (the demo prints them).</summary>
    public event Action<LocalEmail>? Delivered;

    /// <summary>Starts with a sandbox-sized quota (200 a day, as in seed 001) and <paramref name="sentLast24Hours"/> already used.</summary>
    public static async Task<LocalSesServer> StartAsync(string accessKeyId, string secretAccessKey, int max24HourSend = 200, int sentLast24Hours = 0)
    {
        var ses = new LocalSesServer(new Dictionary<string, string> { [accessKeyId] = secretAccessKey }, max24HourSend, sentLast24Hours);
        ses.server = await LoopbackServer.StartAsync(ses.Configure);
        return ses;
    }

    public ValueTask DisposeAsync() => server?.DisposeAsync() ?? ValueTask.CompletedTask;

    private void Configure(WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            if (await SigV4Verifier.VerifyAsync(context, "ses", secrets) is { } failure)
            {
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                context.Response.Headers["x-amzn-ErrorType"] = failure.Type;
                await context.Response.WriteAsJsonAsync(new JsonObject { ["message"] = failure.Message });
                return;
            }
            await next();
        });
        app.MapGet("/v2/email/account", () => Results.Json(new JsonObject
        {
            ["SendQuota"] = new JsonObject { ["Max24HourSend"] = Max24HourSend, ["MaxSendRate"] = 1, ["SentLast24Hours"] = SentLast24Hours },
            ["ProductionAccessEnabled"] = false,
            ["SendingEnabled"] = true,
            ["EnforcementStatus"] = "HEALTHY",
        }));
        app.MapPost("/v2/email/outbound-emails", async (HttpContext context) =>
        {
            if (Interlocked.Decrement(ref throttleNext) >= 0)
            {
                Interlocked.Increment(ref throttled);
                context.Response.Headers["x-amzn-ErrorType"] = "TooManyRequestsException";
                return Results.Json(new JsonObject { ["message"] = "Maximum sending rate exceeded." }, statusCode: StatusCodes.Status429TooManyRequests);
            }
            using var body = await JsonDocument.ParseAsync(context.Request.Body);
            var root = body.RootElement;
            var simple = root.GetProperty("Content").GetProperty("Simple");
            var to = root.GetProperty("Destination").TryGetProperty("ToAddresses", out var addresses)
                ? addresses.EnumerateArray().Select(a => a.GetString() ?? string.Empty).ToList()
                : [];
            var text = simple.GetProperty("Body").TryGetProperty("Text", out var t) ? t.GetProperty("Data").GetString() ?? string.Empty : string.Empty;
            var email = new LocalEmail(
                $"local-{Guid.NewGuid():N}",
                root.GetProperty("FromEmailAddress").GetString() ?? string.Empty,
                to,
                simple.GetProperty("Subject").GetProperty("Data").GetString() ?? string.Empty,
                text);
            Interlocked.Increment(ref sentLast24Hours);
            Sent.Enqueue(email);
            Delivered?.Invoke(email);
            return Results.Json(new JsonObject { ["MessageId"] = email.MessageId });
        });
    }
}
