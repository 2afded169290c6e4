using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MaintenanceWorkflows.Sandbox.Aws;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace MaintenanceWorkflows.Sandbox.Lambda;

/// <summary>
/// Loopback stand-in for the Lambda 2015-03-31 REST API: same paths, JSON shapes, error headers and
/// bodies, and SigV4 verification of every request with the secret it knows.
/// </summary>
public sealed class LocalLambdaServer : IAsyncDisposable
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = null };
    private readonly object gate = new();
    private readonly Dictionary<string, LocalFunction> functions = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<InjectedFault> faults = new();
    private readonly ConcurrentQueue<LambdaCallHold> holds = new();
    private readonly ConcurrentDictionary<string, int> calls = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> secrets;
    private LoopbackServer? server;

    private LocalLambdaServer(Dictionary<string, string> secrets) => this.secrets = secrets;

    public Uri BaseAddress => server!.BaseAddress;

    /// <summary>Every rejected signature, so tests can prove verification ran.</summary>
    public ConcurrentQueue<string> Rejections { get; } = new();

    public static async Task<LocalLambdaServer> StartAsync(string accessKeyId, string secretAccessKey)
    {
        var fake = new LocalLambdaServer(new() { [accessKeyId] = secretAccessKey });
        fake.server = await LoopbackServer.StartAsync(fake.Configure);
        return fake;
    }

    public int Calls(string operation) => calls.GetValueOrDefault(operation);

    /// <summary>Adds a function whose $LATEST has the given code and published versions 1..n with it.</summary>
    public LocalFunction AddFunction(string name, string latestCodeSha256, params string[] publishedCodeSha256)
    {
        var function = new LocalFunction(name, latestCodeSha256);
        foreach (var sha in publishedCodeSha256)
        {
            function.Publish(sha, $"release {function.Versions.Count + 1}");
        }

        lock (gate)
        {
            functions[name] = function;
        }

        return function;
    }

    /// <summary>The next call of <paramref name="operation"/> fails; with <paramref name="afterApplying"/> the change is made first (a lost response).</summary>
    public void FailNext(string operation, int status, string errorType, string message, bool afterApplying = false) =>
        faults.Enqueue(new InjectedFault(operation, status, errorType, message, afterApplying));

    /// <summary>
    /// The next call of <paramref name="operation"/> is applied, then its answer is held until <see cref="LambdaCallHold.Release"/>
    /// or until the caller gives up (a slow or lost response after the change was made).
    /// </summary>
    public LambdaCallHold HoldNext(string operation)
    {
        var hold = new LambdaCallHold(operation);
        holds.Enqueue(hold);
        return hold;
    }

    public async ValueTask DisposeAsync()
    {
        while (holds.TryDequeue(out var hold))
        {
            hold.Release();
        }
        if (server is not null)
        {
            await server.DisposeAsync();
        }
    }

    private void Configure(WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            var failure = await SigV4Verifier.VerifyAsync(context, "lambda", secrets);
            if (failure is { } f)
            {
                Rejections.Enqueue(f.Type);
                await WriteErrorAsync(context, StatusCodes.Status403Forbidden, f.Type, f.Message, lowercaseMessage: true);
                return;
            }

            await next();
        });

        const string Functions = "/2015-03-31/functions/{name}";
        app.MapGet(Functions + "/configuration", (HttpContext c, string name, string? qualifier) =>
            Handle(c, "GetFunctionConfiguration", false, () =>
            {
                var function = Function(name);
                return Ok(function.Configuration(function.Resolve(qualifier ?? "$LATEST")));
            }));
        app.MapGet(Functions + "/aliases/{alias}", (HttpContext c, string name, string alias) =>
            Handle(c, "GetAlias", false, () => Ok(Function(name).Alias(alias).ToJson(name))));
        app.MapGet(Functions + "/versions", (HttpContext c, string name, string? marker, int? maxItems) =>
            Handle(c, "ListVersionsByFunction", false, () =>
            {
                var function = Function(name);
                var all = new[] { "$LATEST" }.Concat(function.Versions.Select(v => v.Version)).ToList();
                var start = marker is null ? 0 : int.Parse(marker, CultureInfo.InvariantCulture);
                var take = maxItems ?? 50;
                var page = all.Skip(start).Take(take).Select(v => function.Configuration(v)).ToList();
                var next = start + take < all.Count ? (start + take).ToString(CultureInfo.InvariantCulture) : null;
                return Ok(new JsonObject { ["Versions"] = new JsonArray([.. page]), ["NextMarker"] = next });
            }));
        app.MapPost(Functions + "/versions", async (HttpContext c, string name) =>
        {
            var body = await JsonNode.ParseAsync(c.Request.Body);
            return await Handle(c, "PublishVersion", true, () =>
            {
                var function = Function(name);
                var sha = (string?)body?["CodeSha256"];
                var revision = (string?)body?["RevisionId"];
                if ((sha is not null && sha != function.LatestCodeSha256) || (revision is not null && revision != function.LatestRevisionId))
                {
                    throw new LambdaApiError(412, "PreconditionFailedException", "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id");
                }

                // Like Lambda: nothing changed since the last version, so that version is returned again.
                var last = function.Versions.LastOrDefault();
                var version = last is not null && last.CodeSha256 == function.LatestCodeSha256
                    ? last
                    : function.Publish(function.LatestCodeSha256, (string?)body?["Description"] ?? string.Empty);
                return Results.Json(function.Configuration(version.Version), Json, statusCode: 201);
            });
        });
        app.MapPut(Functions + "/aliases/{alias}", async (HttpContext c, string name, string alias) =>
        {
            var body = await JsonNode.ParseAsync(c.Request.Body);
            return await Handle(c, "UpdateAlias", true, () =>
            {
                var function = Function(name);
                var existing = function.Alias(alias);
                var revision = (string?)body?["RevisionId"];
                if (revision is not null && revision != existing.RevisionId)
                {
                    throw new LambdaApiError(412, "PreconditionFailedException", "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id");
                }

                var version = (string?)body?["FunctionVersion"] ?? existing.FunctionVersion;
                function.Resolve(version);
                existing.FunctionVersion = version;
                existing.Description = (string?)body?["Description"] ?? existing.Description;
                if (body?["RoutingConfig"]?["AdditionalVersionWeights"] is JsonObject weights)
                {
                    existing.Weights = weights.ToDictionary(w => w.Key, w => (double)w.Value!);
                }

                existing.RevisionId = Guid.NewGuid().ToString();
                return Ok(existing.ToJson(name));
            });
        });
        app.MapPost(Functions + "/invocations", async (HttpContext c, string name, string? qualifier) =>
        {
            using var reader = new StreamReader(c.Request.Body);
            var payload = await reader.ReadToEndAsync();
            return await Handle(c, "Invoke", false, () =>
            {
                var function = Function(name);
                var version = function.Resolve(qualifier ?? "$LATEST");
                var behaviour = function.Behaviour(version);
                function.LastPayload = payload;
                var requestId = Guid.NewGuid().ToString();
                var report = new StringBuilder()
                    .Append(CultureInfo.InvariantCulture, $"START RequestId: {requestId} Version: {version}\n")
                    .Append(CultureInfo.InvariantCulture, $"END RequestId: {requestId}\n")
                    .Append(CultureInfo.InvariantCulture, $"REPORT RequestId: {requestId}\tDuration: {behaviour.DurationMs:0.00} ms\tBilled Duration: {Math.Ceiling(behaviour.DurationMs):0} ms\tMemory Size: 128 MB\tMax Memory Used: 61 MB\t")
                    .Append(behaviour.InitMs > 0 ? string.Create(CultureInfo.InvariantCulture, $"Init Duration: {behaviour.InitMs:0.00} ms\t") : string.Empty)
                    .Append('\n');
                c.Response.Headers["X-Amz-Executed-Version"] = version;
                c.Response.Headers["X-Amz-Log-Result"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(report.ToString()));
                if (behaviour.ErrorType is not null)
                {
                    c.Response.Headers["X-Amz-Function-Error"] = "Unhandled";
                    return Ok(new JsonObject { ["errorMessage"] = behaviour.ErrorMessage, ["errorType"] = behaviour.ErrorType });
                }

                return Results.Text(behaviour.Response, "application/json");
            });
        });
    }

    private static IResult Ok(JsonNode node) => Results.Json(node, Json);

    private static Task WriteErrorAsync(HttpContext context, int status, string type, string message, bool lowercaseMessage = false)
    {
        context.Response.StatusCode = status;
        context.Response.Headers["x-amzn-ErrorType"] = type;
        context.Response.ContentType = "application/json";
        var body = lowercaseMessage ? new JsonObject { ["message"] = message } : new JsonObject { ["Type"] = "User", ["Message"] = message };
        return context.Response.WriteAsync(body.ToJsonString());
    }

    private LocalFunction Function(string name)
    {
        lock (gate)
        {
            return functions.TryGetValue(name, out var f)
                ? f
                : throw new LambdaApiError(404, "ResourceNotFoundException", $"Function not found: arn:aws:lambda:us-east-1:123456789012:function:{name}");
        }
    }

    private async Task<IResult> Handle(HttpContext context, string operation, bool mutates, Func<IResult> action)
    {
        calls.AddOrUpdate(operation, 1, (_, n) => n + 1);
        InjectedFault? fault = null;
        if (faults.TryPeek(out var next) && next.Operation == operation && faults.TryDequeue(out var taken))
        {
            fault = taken;
        }

        try
        {
            if (fault is { AfterApplying: false })
            {
                throw new LambdaApiError(fault.Status, fault.Type, fault.Message);
            }

            IResult result;
            lock (gate)
            {
                result = action();
            }

            if (holds.TryPeek(out var hold) && hold.Operation == operation && holds.TryDequeue(out var held))
            {
                held.Applied();
                try
                {
                    await held.Released.WaitAsync(context.RequestAborted);
                }
                catch (OperationCanceledException)
                {
                    // The caller gave up (cancelled) while the answer was held; the change stays made.
                    held.Abandoned();
                    return Results.Empty;
                }
            }

            if (fault is not null && mutates)
            {
                throw new LambdaApiError(fault.Status, fault.Type, fault.Message);
            }

            return result;
        }
        catch (LambdaApiError e)
        {
            await WriteErrorAsync(context, e.Status, e.Type, e.Message);
            return Results.Empty;
        }
    }

    private sealed record InjectedFault(string Operation, int Status, string Type, string Message, bool AfterApplying);
}

/// <summary>A held Lambda call: <see cref="Reached"/> completes once the change is made and the answer is being held.</summary>
public sealed class LambdaCallHold(string operation)
{
    private readonly TaskCompletionSource reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource abandoned = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string Operation { get; } = operation;

    /// <summary>Completes when the held call was applied.</summary>
    public Task Reached => reached.Task;

    /// <summary>Completes when the caller gave up on the held answer (its request was aborted).</summary>
    public Task CallerGaveUp => abandoned.Task;

    internal Task Released => released.Task;

    public void Release() => released.TrySetResult();

    internal void Applied() => reached.TrySetResult();

    internal void Abandoned() => abandoned.TrySetResult();
}

public sealed class LambdaApiError(int status, string type, string message) : Exception(message)
{
    public int Status { get; } = status;

    public string Type { get; } = type;
}

public sealed record LocalVersion(string Version, string CodeSha256, string Description, string RevisionId);

public sealed record InvokeBehaviour(double DurationMs = 12.5, double InitMs = 0, string? ErrorType = null, string? ErrorMessage = null, string Response = "{\"ok\":true}");

public sealed class LocalAlias(string name, string version)
{
    public string Name { get; } = name;

    public string FunctionVersion { get; set; } = version;

    public string Description { get; set; } = string.Empty;

    public Dictionary<string, double> Weights { get; set; } = [];

    public string RevisionId { get; set; } = Guid.NewGuid().ToString();

    public JsonObject ToJson(string function) => new()
    {
        ["AliasArn"] = $"arn:aws:lambda:us-east-1:123456789012:function:{function}:{Name}",
        ["Name"] = Name,
        ["FunctionVersion"] = FunctionVersion,
        ["Description"] = Description,
        ["RoutingConfig"] = Weights.Count == 0 ? null : new JsonObject { ["AdditionalVersionWeights"] = new JsonObject(Weights.Select(w => KeyValuePair.Create(w.Key, (JsonNode?)w.Value))) },
        ["RevisionId"] = RevisionId,
    };
}

public sealed class LocalFunction(string name, string latestCodeSha256)
{
    private readonly Dictionary<string, InvokeBehaviour> behaviours = new(StringComparer.Ordinal);

    public string Name { get; } = name;

    public string LatestCodeSha256 { get; set; } = latestCodeSha256;

    public string LatestRevisionId { get; set; } = Guid.NewGuid().ToString();

    public List<LocalVersion> Versions { get; } = [];

    public Dictionary<string, LocalAlias> Aliases { get; } = new(StringComparer.Ordinal);

    public string? LastPayload { get; set; }

    public LocalAlias AddAlias(string alias, string version)
    {
        var created = new LocalAlias(alias, version);
        Aliases[alias] = created;
        return created;
    }

    public void SetBehaviour(string version, InvokeBehaviour behaviour) => behaviours[version] = behaviour;

    public InvokeBehaviour Behaviour(string version) => behaviours.GetValueOrDefault(version) ?? new InvokeBehaviour();

    public LocalVersion Publish(string codeSha256, string description)
    {
        var version = new LocalVersion((Versions.Count + 1).ToString(CultureInfo.InvariantCulture), codeSha256, description, Guid.NewGuid().ToString());
        Versions.Add(version);
        return version;
    }

    public LocalAlias Alias(string alias) =>
        Aliases.TryGetValue(alias, out var a)
            ? a
            : throw new LambdaApiError(404, "ResourceNotFoundException", $"Alias not found: arn:aws:lambda:us-east-1:123456789012:function:{Name}:{alias}");

    /// <summary>Alias or version to a version number; unknown ones are Lambda's 404.</summary>
    public string Resolve(string qualifier)
    {
        if (qualifier == "$LATEST" || Versions.Any(v => v.Version == qualifier))
        {
            return qualifier;
        }

        if (Aliases.TryGetValue(qualifier, out var alias))
        {
            return alias.FunctionVersion;
        }

        throw new LambdaApiError(404, "ResourceNotFoundException", $"Function not found: arn:aws:lambda:us-east-1:123456789012:function:{Name}:{qualifier}");
    }

    public JsonObject Configuration(string version)
    {
        var published = Versions.FirstOrDefault(v => v.Version == version);
        return new JsonObject
        {
            ["FunctionName"] = Name,
            ["FunctionArn"] = $"arn:aws:lambda:us-east-1:123456789012:function:{Name}:{version}",
            ["Runtime"] = "python3.12",
            ["Version"] = version,
            ["CodeSha256"] = published?.CodeSha256 ?? LatestCodeSha256,
            ["Description"] = published?.Description ?? string.Empty,
            ["RevisionId"] = published?.RevisionId ?? LatestRevisionId,
            ["State"] = "Active",
        };
    }
}
