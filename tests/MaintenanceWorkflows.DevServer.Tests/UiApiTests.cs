using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using MaintenanceWorkflows.DevServer.Tests.Workflows;
using Temporalio.Client;
using Temporalio.Worker;

namespace MaintenanceWorkflows.DevServer.Tests;

/// <summary>
/// Every /api/v1 route the Temporal web UI calls, against the JSON the UI reads: grpc-gateway's protojson
/// (lowerCamel names, enums by full name, int64 as strings, payloads as {metadata, data}), errors as
/// {code, message, details} with the mapped HTTP status, and the refusals a browser must not get past.
/// </summary>
public sealed class UiApiTests : IAsyncLifetime
{
    private TemporalDevServer? server;
    private TemporalClient? client;
    private HttpClient? http;

    private TemporalDevServer Server => server!;

    private HttpClient Http => http!;

    public async Task InitializeAsync()
    {
        server = await TemporalDevServer.StartAsync(new DevServerOptions { UiPort = 0 });
        client = await TemporalClient.ConnectAsync(new(server.Target));
        http = new HttpClient { BaseAddress = server.UiAddress, Timeout = TimeSpan.FromSeconds(90) };
        http.DefaultRequestHeaders.Add("Caller-Type", "operator");
    }

    public async Task DisposeAsync()
    {
        http?.Dispose();
        if (server != null)
        {
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task Api_EveryRouteTheUiCalls_AnswersTheJsonTheUiReads()
    {
        var settings = await GetAsync("api/v1/settings");
        Assert.False(settings["Auth"]!["Enabled"]!.GetValue<bool>());
        Assert.Equal("default", (string?)settings["DefaultNamespace"]);
        Assert.Equal("2.38.0", (string?)settings["Version"]);
        Assert.True(settings["WorkflowResetDisabled"]!.GetValue<bool>());
        Assert.Equal("1.27.0", (string?)(await GetAsync("api/v1/cluster-info"))["serverVersion"]);
        Assert.True((await GetAsync("api/v1/system-info"))["capabilities"]!["sdkMetadata"]!.GetValue<bool>());
        var namespaces = await GetAsync("api/v1/namespaces");
        Assert.Equal("NAMESPACE_STATE_REGISTERED", (string?)namespaces["namespaces"]![0]!["namespaceInfo"]!["state"]);
        Assert.Equal("default", (string?)(await GetAsync("api/v1/namespaces/default"))["namespaceInfo"]!["name"]);
        Assert.Equal("INDEXED_VALUE_TYPE_KEYWORD", (string?)(await GetAsync("api/v1/namespaces/default/search-attributes"))["systemAttributes"]!["WorkflowId"]);

        var queue = Unique.Queue("ui-api");
        // A '/' in the id reaches the API as %2F: the route takes it from the raw path.
        var id = $"ui/api-{Guid.NewGuid():N}";
        using var worker = new TemporalWorker(client!, new TemporalWorkerOptions(queue).AddWorkflow<UiApiWorkflow>());
        await worker.ExecuteAsync(async () =>
        {
            var handle = await client!.StartWorkflowAsync((UiApiWorkflow wf) => wf.RunAsync(), new(id, queue) { StaticSummary = "**approve** me" });
            var path = $"api/v1/namespaces/default/workflows/{Uri.EscapeDataString(id)}";
            await handle.QueryAsync(wf => wf.Approvals);

            var list = await GetAsync($"api/v1/namespaces/default/workflows?query={Uri.EscapeDataString($"WorkflowId = '{id}'")}&pageSize=10");
            var listed = list["executions"]![0]!;
            Assert.Equal(id, (string?)listed["execution"]!["workflowId"]);
            Assert.Equal("WORKFLOW_EXECUTION_STATUS_RUNNING", (string?)listed["status"]);
            Assert.Equal(System.Text.Json.JsonValueKind.String, listed["historyLength"]!.GetValueKind());
            var count = await GetAsync($"api/v1/namespaces/default/workflow-count?query={Uri.EscapeDataString($"WorkflowId = '{id}' GROUP BY ExecutionStatus")}");
            Assert.Equal("1", (string?)count["count"]);
            Assert.Contains("Running", Decode(count["groups"]![0]!["groupValues"]![0]!), StringComparison.Ordinal);

            var described = await GetAsync($"{path}?execution.runId={handle.ResultRunId}");
            Assert.Equal(queue, (string?)described["executionConfig"]!["taskQueue"]!["name"]);
            Assert.Equal("Unserved", (string?)described["pendingActivities"]![0]!["activityType"]!["name"]);
            Assert.Equal("PENDING_ACTIVITY_STATE_SCHEDULED", (string?)described["pendingActivities"]![0]!["state"]);
            // User metadata: the start request's summary, which the UI renders through /render.
            Assert.Equal("\"**approve** me\"", Decode(described["executionConfig"]!["userMetadata"]!["summary"]!));

            var history = await GetAsync($"{path}/history?execution.runId={handle.ResultRunId}");
            var started = history["history"]!["events"]![0]!;
            Assert.Equal("1", (string?)started["eventId"]);
            Assert.Equal("EVENT_TYPE_WORKFLOW_EXECUTION_STARTED", (string?)started["eventType"]);
            Assert.Equal("UiApiWorkflow", (string?)started["workflowExecutionStartedEventAttributes"]!["workflowType"]!["name"]);
            var lastId = long.Parse((string)history["history"]!["events"]!.AsArray()[^1]!["eventId"]!, System.Globalization.CultureInfo.InvariantCulture);

            // Long poll: a running workflow's page ends with a token, and the next call is held until a new event.
            var waiting = await GetAsync($"{path}/history?waitNewEvent=true&execution.runId={handle.ResultRunId}");
            var token = (string?)waiting["nextPageToken"];
            Assert.False(string.IsNullOrEmpty(token));
            var held = GetAsync($"{path}/history?waitNewEvent=true&nextPageToken={Uri.EscapeDataString(token!)}&execution.runId={handle.ResultRunId}");
            Assert.False(held.IsCompleted);

            var signal = await PostAsync($"{path}/signal/Approve", new JsonObject
            {
                ["signalName"] = "Approve",
                ["workflowExecution"] = new JsonObject { ["workflowId"] = id, ["runId"] = handle.ResultRunId },
                ["input"] = new JsonObject { ["payloads"] = new JsonArray(JsonPayload("\"T-JOSH\"")) },
            });
            Assert.Equal(HttpStatusCode.OK, signal.StatusCode);
            var next = await held.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Contains(next["history"]!["events"]!.AsArray(), e => (string?)e!["eventType"] == "EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED" &&
                (string?)e["workflowExecutionSignaledEventAttributes"]!["signalName"] == "Approve");
            Assert.True(long.Parse((string)next["history"]!["events"]![0]!["eventId"]!, System.Globalization.CultureInfo.InvariantCulture) > lastId);

            var query = await ReadAsync(await PostAsync($"{path}/query/Approvals", new JsonObject { ["execution"] = new JsonObject { ["runId"] = handle.ResultRunId } }));
            Assert.Equal("1", Decode(query["queryResult"]!["payloads"]![0]!));
            var metadata = await ReadAsync(await PostAsync($"{path}/query/__temporal_workflow_metadata", new JsonObject()));
            Assert.Contains("\"Approve\"", Decode(metadata["queryResult"]!["payloads"]![0]!), StringComparison.Ordinal);

            var update = await ReadAsync(await PostAsync($"{path}/update/Rename", new JsonObject
            {
                ["workflowExecution"] = new JsonObject { ["runId"] = handle.ResultRunId },
                ["request"] = new JsonObject
                {
                    ["meta"] = new JsonObject { ["updateId"] = Guid.NewGuid().ToString(), ["identity"] = "browser" },
                    ["input"] = new JsonObject { ["args"] = new JsonObject { ["payloads"] = new JsonArray(JsonPayload("\"night shift\"")) } },
                },
            }));
            Assert.Equal("\"renamed to night shift\"", Decode(update["outcome"]!["success"]!["payloads"]![0]!));

            var reverse = await GetAsync($"{path}/history-reverse?execution.runId={handle.ResultRunId}&maximumPageSize=2");
            var newest = reverse["history"]!["events"]!.AsArray();
            Assert.Equal(2, newest.Count);
            Assert.True(long.Parse((string)newest[0]!["eventId"]!, System.Globalization.CultureInfo.InvariantCulture) > long.Parse((string)newest[1]!["eventId"]!, System.Globalization.CultureInfo.InvariantCulture));
            Assert.False(string.IsNullOrEmpty((string?)reverse["nextPageToken"]));

            var workflowPollers = await GetAsync($"api/v1/namespaces/default/task-queues/{queue}?taskQueueType=1");
            Assert.False(string.IsNullOrEmpty((string?)workflowPollers["pollers"]![0]!["identity"]));
            Assert.Empty((await GetAsync($"api/v1/namespaces/default/task-queues/{UiApiWorkflow.NobodyPolls}?taskQueueType=2"))["pollers"]?.AsArray() ?? []);

            var reset = await PostAsync($"{path}/reset", new JsonObject { ["workflowTaskFinishEventId"] = "3" });
            Assert.Equal(HttpStatusCode.NotImplemented, reset.StatusCode);
            Assert.Contains("Reset is not supported", (string?)(await ReadAsync(reset))["message"], StringComparison.Ordinal);

            var cancel = await Http.PostAsync($"{path}/cancel?execution.runId={handle.ResultRunId}", null);
            Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
            await Assert.ThrowsAsync<Temporalio.Exceptions.WorkflowFailedException>(() => handle.GetResultAsync());
            var closed = await GetAsync($"{path}?execution.runId={handle.ResultRunId}");
            Assert.Equal("WORKFLOW_EXECUTION_STATUS_CANCELED", (string?)closed["workflowExecutionInfo"]!["status"]);
        });
    }

    [Fact]
    public async Task Api_TerminateFromTheUi_EndsTheRunWithTheReason()
    {
        var queue = Unique.Queue("ui-terminate");
        var id = Unique.Id("ui-terminate");
        var handle = await client!.StartWorkflowAsync((UiApiWorkflow wf) => wf.RunAsync(), new(id, queue));
        var response = await PostAsync($"api/v1/namespaces/default/workflows/{id}/terminate?execution.runId={handle.ResultRunId}", new JsonObject { ["reason"] = "from the browser" });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var described = await handle.DescribeAsync();
        Assert.Equal(Temporalio.Api.Enums.V1.WorkflowExecutionStatus.Terminated, described.Status);
    }

    [Fact]
    public async Task Api_Errors_GrpcStatusAsHttpStatusWithCodeMessageDetails()
    {
        var missing = await Http.GetAsync("api/v1/namespaces/default/workflows/no-such-window");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        var body = await ReadAsync(missing);
        Assert.Equal(5, body["code"]!.GetValue<int>());
        Assert.Contains("no-such-window", (string?)body["message"], StringComparison.Ordinal);
        Assert.Equal("type.googleapis.com/temporal.api.errordetails.v1.NotFoundFailure", (string?)body["details"]![0]!["@type"]);

        var unknownNamespace = await Http.GetAsync("api/v1/namespaces/nope/workflows");
        Assert.Equal(HttpStatusCode.NotFound, unknownNamespace.StatusCode);

        var unimplemented = await Http.GetAsync("api/v1/namespaces/default/schedules");
        Assert.Equal(HttpStatusCode.NotImplemented, unimplemented.StatusCode);
        Assert.Contains("not implemented by the devserver", (string?)(await ReadAsync(unimplemented))["message"], StringComparison.Ordinal);

        var badToken = await Http.GetAsync("api/v1/namespaces/default/workflows/x/history?nextPageToken=AAAA");
        Assert.True(badToken.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.NotFound);

        var badJson = await Http.PostAsync("api/v1/namespaces/default/workflows/x/signal/Approve", new StringContent("{not json", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, badJson.StatusCode);
        Assert.Contains("not JSON", (string?)(await ReadAsync(badJson))["message"], StringComparison.Ordinal);

        var badBool = await Http.GetAsync("api/v1/namespaces/default/workflows/x/history?waitNewEvent=maybe");
        Assert.Equal(HttpStatusCode.BadRequest, badBool.StatusCode);
        Assert.Contains("waitNewEvent", (string?)(await ReadAsync(badBool))["message"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Api_WritesFromOtherSites_Refused()
    {
        using var bare = new HttpClient { BaseAddress = Server.UiAddress };
        // A cross-site form cannot add the UI's header.
        var noHeader = await bare.PostAsync("api/v1/namespaces/default/workflows/x/terminate", new StringContent("{}"));
        Assert.Equal(HttpStatusCode.Forbidden, noHeader.StatusCode);

        using var foreign = new HttpRequestMessage(HttpMethod.Post, "api/v1/namespaces/default/workflows/x/terminate") { Content = new StringContent("{}") };
        foreign.Headers.Add("Caller-Type", "operator");
        foreign.Headers.Add("Origin", "https://evil.example");
        Assert.Equal(HttpStatusCode.Forbidden, (await bare.SendAsync(foreign)).StatusCode);

        // DNS rebinding: a page on another name that resolves to 127.0.0.1 gets nothing.
        using var rebound = new HttpRequestMessage(HttpMethod.Get, "api/v1/namespaces");
        rebound.Headers.Host = "evil.example";
        Assert.Equal(HttpStatusCode.MisdirectedRequest, (await bare.SendAsync(rebound)).StatusCode);

        // Over the 4 MB body cap: refused, or the connection is closed before the rest of the body is taken.
        try
        {
            var huge = await Http.PostAsync("api/v1/namespaces/default/workflows/x/signal/Approve", new StringContent(new string('x', 5 * 1024 * 1024)));
            Assert.True(huge.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.RequestEntityTooLarge, $"a 5 MB body got {(int)huge.StatusCode}");
        }
        catch (HttpRequestException)
        {
            // Kestrel answered 413 and closed the connection while the client was still sending.
        }
    }

    [Fact]
    public async Task Render_UserMetadataMarkdown_EscapedAndUnderAStrictPolicy()
    {
        var content = Uri.EscapeDataString("# Title\n**bold** [docs](https://docs.temporal.io) [x](javascript:alert(1))\n<script>alert(1)</script><img src=x onerror=alert(1)>");
        var response = await Http.GetAsync($"render?content={content}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("<h1>Title</h1>", html, StringComparison.Ordinal);
        Assert.Contains("<strong>bold</strong>", html, StringComparison.Ordinal);
        Assert.Contains("href=\"https://docs.temporal.io/\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("javascript:", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<img", html, StringComparison.Ordinal);
        var csp = response.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("default-src 'none'", csp, StringComparison.Ordinal);
        Assert.Contains("sandbox", csp, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pages_UnknownPathServesTheAppShellOrSaysHowToBuildIt()
    {
        var response = await Http.GetAsync("namespaces/default/workflows/some-window/run/history");
        if (Server.UiBuilt)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Contains("<div id=\"svelte\">", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        else
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Contains("not built", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    private static JsonObject JsonPayload(string json) => new()
    {
        ["metadata"] = new JsonObject { ["encoding"] = Convert.ToBase64String(Encoding.UTF8.GetBytes("json/plain")) },
        ["data"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(json)),
    };

    private static string Decode(JsonNode payload) => Encoding.UTF8.GetString(Convert.FromBase64String((string)payload["data"]!));

    private async Task<JsonObject> GetAsync(string path)
    {
        var response = await Http.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode} {body}");
        return JsonNode.Parse(body)!.AsObject();
    }

    private Task<HttpResponseMessage> PostAsync(string path, JsonObject body) =>
        Http.PostAsync(path, new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"));

    private static async Task<JsonObject> ReadAsync(HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
}
