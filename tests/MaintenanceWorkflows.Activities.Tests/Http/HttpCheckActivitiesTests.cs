using MaintenanceWorkflows.Activities.Http;
using MaintenanceWorkflows.Activities.Tests.Support;
using MaintenanceWorkflows.Workflows.Contracts;
using MaintenanceWorkflows.Workflows.Plans;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Temporalio.Exceptions;
using MaintenanceWorkflows.Sandbox;

namespace MaintenanceWorkflows.Activities.Tests.Http;

public sealed class HttpCheckActivitiesTests : IAsyncLifetime
{
    private const string StatusJson = """{"lambda":{"version":"40"},"lambda_alias_version":"40","database":"ok","agents":[{"name":"duck-1"}],"freeze":{"active":false}}""";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);
    private LoopbackServer server = null!;
    private ActivityHost host = null!;
    private string? lastAuthorization;

    public async Task InitializeAsync()
    {
        server = await LoopbackServer.StartAsync(app =>
        {
            app.MapGet("/beak/system/status", () => Results.Text(StatusJson, "application/json"));
            app.MapGet("/beak", () => Results.Ok());
            app.MapGet("/beak/metrics", () => Results.StatusCode(502));
            app.MapGet("/broken", () => Results.Text("<html>oops</html>", "text/html"));
            app.MapGet("/error", () => Results.StatusCode(500));
            app.MapGet("/hang", async (HttpContext c) =>
            {
                await Task.Delay(System.Threading.Timeout.Infinite, c.RequestAborted);
                return Results.Ok();
            });
            app.MapGet("/freeze/on", () => Results.Text("""{"freeze":{"active":true,"reason":"quarter-end billing run"}}""", "application/json"));
            app.MapPost("/purge", (HttpContext c) =>
            {
                lastAuthorization = c.Request.Headers.Authorization.ToString();
                return Results.Text("purged", "text/plain");
            });
            app.MapPost("/reject", () => Results.BadRequest("bad flag"));
            app.MapPost("/unavailable", () => Results.StatusCode(503));
        });
        host = new ActivityHost(new Dictionary<string, string?>
        {
            ["Targets:beak:BaseUrl"] = server.BaseAddress.ToString(),
            ["Targets:beak:Headers:Authorization"] = "Bearer from-worker-config",
            ["FreezeSources:dashboard:Url"] = new Uri(server.BaseAddress, "beak/system/status").ToString(),
            ["FreezeSources:banner:Url"] = new Uri(server.BaseAddress, "freeze/on").ToString(),
        });
    }

    public async Task DisposeAsync()
    {
        await host.DisposeAsync();
        await server.DisposeAsync();
    }

    [Fact]
    public async Task CheckStatusEndpoint_AllRequiredKeysAndValues_IsGreen()
    {
        var result = await Status(new HttpJsonCheck { Id = "status-json", Title = "Status JSON", Target = "beak", Path = "/beak/system/status", RequiredKeys = ["lambda.version", "database", "agents"], Expect = [new() { Path = "lambda_alias_version", EqualTo = "40" }, new() { Path = "agents.0.name", EqualTo = "duck-1" }], MaxLatency = TimeSpan.FromSeconds(2), Timeout = Timeout });

        Assert.Equal(CheckStatus.Green, result.Status);
        Assert.Contains(result.Details, d => d.Name == "lambda.version" && d.Passed && d.Observed == "40");
    }

    [Fact]
    public async Task CheckStatusEndpoint_MissingKeyAndWrongValue_IsRedNamingBoth()
    {
        var result = await Status(new HttpJsonCheck { Id = "status-json", Title = "Status JSON", Url = Url(), RequiredKeys = ["lambda.version", "peck.failures"], Expect = [new() { Path = "lambda_alias_version", EqualTo = "41" }], Timeout = Timeout });

        Assert.Equal(CheckStatus.Red, result.Status);
        Assert.Contains("peck.failures missing", result.Message, StringComparison.Ordinal);
        Assert.Contains("lambda_alias_version 40 (expected 41)", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckStatusEndpoint_BodyNotJson_IsRed()
    {
        var result = await Status(new HttpJsonCheck { Id = "s", Title = "s", Url = Url("broken"), RequiredKeys = ["database"], Timeout = Timeout });

        Assert.Equal(CheckStatus.Red, result.Status);
        Assert.Contains("not valid JSON", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckStatusEndpoint_ServerError_IsRed()
    {
        var result = await Status(new HttpJsonCheck { Id = "s", Title = "s", Url = Url("error"), Timeout = Timeout });

        Assert.Equal(CheckStatus.Red, result.Status);
        Assert.StartsWith("HTTP 500 in ", result.Observed, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckStatusEndpoint_NoAnswerWithinTimeout_IsRedNotAnException()
    {
        var result = await Status(new HttpJsonCheck { Id = "s", Title = "s", Url = Url("hang"), Timeout = TimeSpan.FromMilliseconds(300) });

        Assert.Equal(CheckStatus.Red, result.Status);
        Assert.Contains("did not answer within 300 ms", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckStatusEndpoint_ConnectionRefused_IsRed()
    {
        var result = await Status(new HttpJsonCheck { Id = "s", Title = "s", Url = "http://127.0.0.1:9/status", Timeout = Timeout });

        Assert.Equal(CheckStatus.Red, result.Status);
        Assert.Contains("could not be reached", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckStatusEndpoint_UnknownTarget_FailsNonRetryableListingConfiguredTargets()
    {
        var error = await Assert.ThrowsAsync<ApplicationFailureException>(() => Status(new HttpJsonCheck { Id = "s", Title = "s", Target = "peck", Path = "/x", Timeout = Timeout }));

        Assert.True(error.NonRetryable);
        Assert.Equal(ActivityErrorTypes.UnknownName, error.ErrorType);
        Assert.Contains("configured: beak", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckStatusEndpoint_RelativeUrl_FailsNonRetryableWithExample()
    {
        var error = await Assert.ThrowsAsync<ApplicationFailureException>(() => Status(new HttpJsonCheck { Id = "s", Title = "s", Url = "/beak/system/status", Timeout = Timeout }));

        Assert.True(error.NonRetryable);
        Assert.Contains("not an absolute http(s) URL", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckFreezeFlag_FreezeActive_IsRedWithReason()
    {
        var result = await host.RunAsync<HttpCheckActivities, CheckResult>(a => a.CheckFreezeFlagAsync(new FreezeCheck { Id = "freeze", Title = "Change freeze", Source = "banner", Timeout = Timeout }));

        Assert.Equal(CheckStatus.Red, result.Status);
        Assert.Contains("quarter-end billing run", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckFreezeFlag_NoFreeze_IsGreen()
    {
        var result = await host.RunAsync<HttpCheckActivities, CheckResult>(a => a.CheckFreezeFlagAsync(new FreezeCheck { Id = "freeze", Title = "Change freeze", Source = "dashboard", Timeout = Timeout }));

        Assert.Equal(CheckStatus.Green, result.Status);
    }

    [Fact]
    public async Task CheckFreezeFlag_UnknownSource_FailsNonRetryableListingSources()
    {
        var error = await Assert.ThrowsAsync<ApplicationFailureException>(() => host.RunAsync<HttpCheckActivities, CheckResult>(a => a.CheckFreezeFlagAsync(new FreezeCheck { Id = "freeze", Title = "Change freeze", Source = "calendar", Timeout = Timeout })));

        Assert.True(error.NonRetryable);
        Assert.Contains("banner, dashboard", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendHttpRequest_TargetWithConfiguredHeader_SendsHeaderAndReturnsBody()
    {
        var result = await host.RunAsync<HttpCheckActivities, HttpRequestResult>(a => a.SendHttpRequestAsync(new("purge", "POST", null, "beak", "/purge", "{}", null, 200, Timeout)));

        Assert.Equal(200, result.StatusCode);
        Assert.Equal("purged", result.BodyTail);
        Assert.Equal("Bearer from-worker-config", lastAuthorization);
    }

    [Fact]
    public async Task SendHttpRequest_ClientError_FailsNonRetryable()
    {
        var error = await Assert.ThrowsAsync<ApplicationFailureException>(() => host.RunAsync<HttpCheckActivities, HttpRequestResult>(a => a.SendHttpRequestAsync(new("flag", "POST", null, "beak", "/reject", "{}", null, 200, Timeout))));

        Assert.True(error.NonRetryable);
        Assert.Equal(ActivityErrorTypes.RemoteRejected, error.ErrorType);
        Assert.Contains("HTTP 400", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendHttpRequest_ServiceUnavailable_FailsRetryable()
    {
        var error = await Assert.ThrowsAsync<ApplicationFailureException>(() => host.RunAsync<HttpCheckActivities, HttpRequestResult>(a => a.SendHttpRequestAsync(new("flag", "POST", null, "beak", "/unavailable", null, null, 200, Timeout))));

        Assert.False(error.NonRetryable);
        Assert.Equal(ActivityErrorTypes.RemoteUnavailable, error.ErrorType);
    }

    private string Url(string path = "beak/system/status") => new Uri(server.BaseAddress, path).ToString();

    private Task<CheckResult> Status(HttpJsonCheck check) =>
        host.RunAsync<HttpCheckActivities, CheckResult>(a => a.CheckEndpointAsync(check));
}
