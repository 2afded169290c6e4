using System.Collections.Concurrent;
using MaintenanceWorkflows.Activities.Http;
using MaintenanceWorkflows.Activities.Lambda;
using MaintenanceWorkflows.Activities.Tests.Support;
using MaintenanceWorkflows.Sandbox;
using MaintenanceWorkflows.Sandbox.Aws;
using MaintenanceWorkflows.Workflows.Contracts;
using MaintenanceWorkflows.Workflows.Plans;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Temporalio.Activities;
using Temporalio.Exceptions;
using Temporalio.Testing;

namespace MaintenanceWorkflows.Activities.Tests.Http;

/// <summary>Issue 13 rows: target credentials and AWS signatures never reach another origin; responses are read up to a cap.</summary>
public sealed class TargetSafetyTests : IAsyncLifetime
{
    private const string ApiKey = "target-api-key-7f3a9c";
    private const string Bearer = "Bearer target-token-52be01";
    private const long HugeBytes = 400L * 1024 * 1024;
    private readonly ConcurrentQueue<(string Path, string Authorization, string ApiKey, string AmzToken)> elsewhere = new();
    private readonly ConcurrentQueue<string> idempotencyKeys = new();
    private LoopbackServer target = null!;
    private LoopbackServer other = null!;
    private ActivityHost host = null!;

    public async Task InitializeAsync()
    {
        other = await LoopbackServer.StartAsync(app => app.Run(c =>
        {
            elsewhere.Enqueue((c.Request.Path + c.Request.QueryString, c.Request.Headers.Authorization.ToString(), c.Request.Headers["X-Api-Key"].ToString(), c.Request.Headers["X-Amz-Security-Token"].ToString()));
            return Results.Text("{\"ok\":true}", "application/json").ExecuteAsync(c);
        }));
        target = await LoopbackServer.StartAsync(app =>
        {
            app.MapGet("/api/redirect", () => Results.Redirect(new Uri(other.BaseAddress, "collect").ToString(), permanent: false, preserveMethod: true));
            app.MapGet("/api/huge", async (HttpContext c) =>
            {
                // Streamed without a length, so only reading tells how big it is.
                var chunk = new byte[1024 * 1024];
                Array.Fill(chunk, (byte)'a');
                for (long sent = 0; sent < HugeBytes && !c.RequestAborted.IsCancellationRequested; sent += chunk.Length)
                {
                    await c.Response.Body.WriteAsync(chunk, c.RequestAborted);
                }
            });
            app.MapGet("/api/huge-declared", async (HttpContext c) =>
            {
                // Declares the size up front; the client must not start reading it.
                c.Response.ContentLength = HugeBytes;
                await c.Response.Body.WriteAsync("{"u8.ToArray(), c.RequestAborted);
                await c.Response.Body.FlushAsync(c.RequestAborted);
                await Task.Delay(System.Threading.Timeout.Infinite, c.RequestAborted);
            });
            app.MapPost("/api/purge", (HttpContext c) =>
            {
                idempotencyKeys.Enqueue(c.Request.Headers[HttpCheckActivities.IdempotencyKeyHeader].ToString());
                return Results.Text("purged");
            });
            app.MapGet("/api/status", () => Results.Text("{\"ok\":true}", "application/json"));
        });
        host = new ActivityHost(new Dictionary<string, string?>
        {
            ["Targets:beak:BaseUrl"] = new Uri(target.BaseAddress, "api/").ToString(),
            ["Targets:beak:Headers:Authorization"] = Bearer,
            ["Targets:beak:Headers:X-Api-Key"] = ApiKey,
            ["Targets:beak:IdempotencyKey"] = "true",
            ["Targets:plain:BaseUrl"] = new Uri(target.BaseAddress, "api/").ToString(),
            ["FreezeSources:tokened:Url"] = new Uri(target.BaseAddress, "api/nowhere?token=freeze-secret-91c4").ToString(),
            ["FreezeSources:tokened:ActivePath"] = "freeze.active",
        });
    }

    public async Task DisposeAsync()
    {
        await host.DisposeAsync();
        await target.DisposeAsync();
        await other.DisposeAsync();
    }

    private static string[] EscapingPaths(int port) =>
    [
        $"https://other-host:{port}/collect",
        $"http://127.0.0.1:{port}/collect",
        $"//127.0.0.1:{port}/collect",
        "../../admin",
        "status/../../admin",
        "%2e%2e/%2e%2e/admin",
        "%252e%252e/admin",
        "..%2fadmin",
        "a\\..\\admin",
        "javascript:alert(1)",
        "status\n/admin",
    ];

    [Fact]
    public async Task Resolve_PathLeavingTheTarget_RefusedBeforeAnyRequestWithCredentials()
    {
        var port = other.BaseAddress.Port;
        foreach (var path in EscapingPaths(port))
        {
            var error = await Assert.ThrowsAsync<ApplicationFailureException>(() =>
                host.RunAsync<HttpCheckActivities, HttpRequestResult>(a => a.SendHttpRequestAsync(new("purge", "POST", null, "beak", path, "{}", null, 200, TimeSpan.FromSeconds(5)))));

            Assert.True(error.NonRetryable, path);
            Assert.Equal(ActivityErrorTypes.InvalidInput, error.ErrorType);
            Assert.Contains("path of target 'beak' is refused", error.Message, StringComparison.Ordinal);
        }

        Assert.Empty(elsewhere);
    }

    [Fact]
    public async Task CheckStatusEndpoint_TargetRedirectsToAnotherHost_CredentialsNeverFollow()
    {
        var result = await host.RunAsync<HttpCheckActivities, CheckResult>(a => a.CheckEndpointAsync(new HttpJsonCheck { Id = "r", Title = "redirect", Target = "beak", Path = "/redirect", Timeout = TimeSpan.FromSeconds(5) }));

        Assert.Equal(CheckStatus.Red, result.Status);
        Assert.Contains("HTTP 307", result.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(elsewhere, r => r.Authorization.Length > 0 || r.ApiKey.Length > 0);
        Assert.Empty(elsewhere);
    }

    [Theory]
    [InlineData("/huge")]
    [InlineData("/huge-declared")]
    public async Task CheckStatusEndpoint_400MiBAnswer_FailsNamingTheLimitInsteadOfReadingIt(string path)
    {
        var result = await host.RunAsync<HttpCheckActivities, CheckResult>(a => a.CheckEndpointAsync(new HttpJsonCheck { Id = "big", Title = "big", Target = "beak", Path = path, RequiredKeys = ["ok"], Timeout = TimeSpan.FromSeconds(30) }));

        Assert.Equal(CheckStatus.Red, result.Status);
        Assert.Contains($"response larger than {HttpCheckActivities.MaxResponseBytes.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)} bytes", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckFreezeFlag_SourceUrlWithToken_TokenNeverInTheResult()
    {
        var result = await host.RunAsync<HttpCheckActivities, CheckResult>(a => a.CheckFreezeFlagAsync(new FreezeCheck { Id = "freeze", Title = "freeze", Source = "tokened", Timeout = TimeSpan.FromSeconds(5) }));

        Assert.Equal(CheckStatus.Red, result.Status);
        Assert.Contains("/api/nowhere?token=[redacted]", result.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("freeze-secret-91c4", result.Message + result.Observed, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendHttpRequest_TargetAcceptsIdempotencyKey_SameKeyForEveryAttemptOfOneActivityOnly()
    {
        HttpRequestInput input = new("purge", "POST", null, "beak", "/purge", "{}", null, 200, TimeSpan.FromSeconds(5));
        Task Run(string activityId, int attempt, string target = "beak")
        {
            host.Environment = new ActivityEnvironment { Info = ActivityEnvironment.DefaultInfo with { WorkflowId = "maint-x", WorkflowRunId = "run-1", ActivityId = activityId, Attempt = attempt } };
            return host.RunAsync<HttpCheckActivities, HttpRequestResult>(a => a.SendHttpRequestAsync(input with { Target = target }));
        }

        await Run("7", 1);
        await Run("7", 2);
        await Run("8", 1);
        await Run("7", 1, target: "plain");

        var keys = idempotencyKeys.ToList();
        Assert.Equal(4, keys.Count);
        Assert.Equal(keys[0], keys[1]);
        Assert.NotEqual(keys[0], keys[2]);
        Assert.Equal(32, keys[0].Length);
        Assert.Equal(string.Empty, keys[3]);
    }

    [Fact]
    public async Task LambdaCall_EndpointRedirectsToAnotherPort_SignatureAndSessionTokenNeverFollow()
    {
        await using var redirecting = await LoopbackServer.StartAsync(app => app.Run(c =>
            Results.Redirect(new Uri(other.BaseAddress, "2015-03-31/functions/beak-api/aliases/prod").ToString(), permanent: false, preserveMethod: true).ExecuteAsync(c)));
        await using var lambda = new ActivityHost(
            new Dictionary<string, string?> { ["Aws:Lambda:ServiceUrl"] = redirecting.BaseAddress.ToString() },
            StaticCredentialSource.Test with { SessionToken = "session-token-3e9d" });

        try
        {
            var answer = await lambda.RunAsync<LambdaActivities, CheckResult>(a => a.CheckAliasAsync(new LambdaAliasCheck { Id = "c", Title = "c", Function = "beak-api", Alias = "prod", ExpectedVersion = "39" }));
            Assert.NotEqual(CheckStatus.Green, answer.Status);
        }
        catch (ApplicationFailureException)
        {
            // Either way the redirect is an answer, not something to follow.
        }

        Assert.DoesNotContain(elsewhere, r => r.AmzToken.Length > 0 || r.Authorization.Length > 0);
        Assert.Empty(elsewhere);
    }
}
