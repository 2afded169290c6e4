using System.Net;
using System.Reflection;
using System.Text;
using MaintenanceWorkflows.DevServer.Grpc;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Temporalio.Exceptions;

namespace MaintenanceWorkflows.DevServer.Http;

/// <summary>
/// The web UI's HTTP/1.1 port: the built Temporal UI (static files, index.html for every page path),
/// its <c>/api/v1</c> JSON API on the same engine as gRPC, and <c>/render</c> for user metadata.
/// </summary>
internal sealed class UiServer : IAsyncDisposable
{
    private const string ApiPrefix = "/api/v1/";
    private const long MaxBodyBytes = 4 * 1024 * 1024;

    private static readonly FileExtensionContentTypeProvider ContentTypes = new();

    private readonly WebApplication app;
    private readonly CancellationTokenSource stopping;

    private UiServer(WebApplication app, CancellationTokenSource stopping, Uri address, string? assets)
    {
        this.app = app;
        this.stopping = stopping;
        Address = address;
        AssetsDirectory = assets;
    }

    public Uri Address { get; }

    /// <summary>Where the UI's files are served from; null when they are not built.</summary>
    public string? AssetsDirectory { get; }

    public static async Task<UiServer> StartAsync(
        IPAddress address, int port, string? assetsDirectory, GrpcRouter router,
        ILogger logger, CancellationToken ct)
    {
        var assets = FindAssets(assetsDirectory);
        if (assets == null)
        {
            logger.LogWarning("{HowToBuild}", WebUi.HowToBuild);
        }
        var stopping = new CancellationTokenSource();
        var api = new ApiRoutes(router);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = MaxBodyBytes;
            kestrel.Listen(address, port, listen => listen.Protocols = HttpProtocols.Http1);
        });
        var app = builder.Build();
        var loopbackOnly = IPAddress.IsLoopback(address);
        app.Run(http => HandleAsync(http, api, assets, loopbackOnly, logger, stopping.Token));
        try
        {
            await app.StartAsync(ct);
        }
        catch (IOException ex)
        {
            await app.DisposeAsync();
            stopping.Dispose();
            throw new InvalidOperationException(
                $"the web UI cannot listen on {address}:{port} ({ex.Message}); pick another port with --ui-port N or turn it off with --headless", ex);
        }
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!
            .Addresses.Select(a => new Uri(a).Port).First();
        var host = address.Equals(IPAddress.Any) || IPAddress.IsLoopback(address) ? "localhost" : address.ToString();
        return new UiServer(app, stopping, new Uri($"http://{host}:{bound}/"), assets);
    }

    /// <summary>The first of: the given directory, the build output recorded at compile time, ui/ next to the binaries.</summary>
    internal static string? FindAssets(string? given)
    {
        var recorded = typeof(UiServer).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "MaintenanceWorkflows.UiBuildDirectory")?.Value;
        var candidates = given != null ? [given] : new[] { recorded, Path.Combine(AppContext.BaseDirectory, "ui") };
        return candidates.Where(c => !string.IsNullOrEmpty(c)).Select(c => Path.GetFullPath(c!))
            .FirstOrDefault(c => File.Exists(Path.Combine(c, "index.html")));
    }

    private static async Task HandleAsync(HttpContext http, ApiRoutes api, string? assets, bool loopbackOnly, ILogger logger, CancellationToken stopping)
    {
        if (loopbackOnly && !IsLoopbackHost(http.Request.Host.Host))
        {
            // A page from another site that resolves its own name to 127.0.0.1 (DNS rebinding) gets nothing.
            await WritePlainAsync(http, StatusCodes.Status421MisdirectedRequest,
                $"this devserver answers only for localhost, not '{http.Request.Host.Host}'");
            return;
        }
        var rawPath = RawPath(http);
        if (rawPath.StartsWith(ApiPrefix, StringComparison.Ordinal) || rawPath == "/api/v1")
        {
            await HandleApiAsync(http, api, rawPath, logger, stopping);
            return;
        }
        if (rawPath == "/render")
        {
            var (html, csp) = MarkdownPage.Render(http.Request.Query["content"].ToString(), http.Request.Query["theme"].ToString());
            http.Response.Headers.ContentSecurityPolicy = csp;
            http.Response.Headers.XContentTypeOptions = "nosniff";
            http.Response.ContentType = "text/html; charset=utf-8";
            await http.Response.WriteAsync(html, http.RequestAborted);
            return;
        }
        await ServeFileAsync(http, assets);
    }

    private static async Task HandleApiAsync(HttpContext http, ApiRoutes api, string rawPath, ILogger logger, CancellationToken stopping)
    {
        http.Response.Headers.CacheControl = "no-store";
        // Workflow ids may hold '/', which the UI sends as %2F: split the raw path, then decode each segment.
        var segments = rawPath.Length > ApiPrefix.Length
            ? rawPath[ApiPrefix.Length..].TrimEnd('/').Split('/').Select(Uri.UnescapeDataString).ToList()
            : [];
        using var callCancel = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, stopping);
        try
        {
            if (segments is ["settings"] && HttpMethods.IsGet(http.Request.Method))
            {
                await WriteJsonAsync(http, StatusCodes.Status200OK, Settings());
                return;
            }
            var match = api.Match(http.Request.Method, segments, out var pathKnown);
            if (match is not var (route, pathValues))
            {
                throw pathKnown
                    ? new GrpcException(RpcException.StatusCode.Unimplemented, $"{http.Request.Method} is not allowed on {rawPath}")
                    : new GrpcException(RpcException.StatusCode.Unimplemented,
                        $"{http.Request.Method} {rawPath} is not implemented by the devserver (it serves the workflow, history, signal/update/cancel/terminate, query and task queue routes the UI needs)");
            }
            string? body = null;
            if (HttpMethods.IsPost(http.Request.Method))
            {
                RequireSameOrigin(http);
                using var reader = new StreamReader(http.Request.Body, Encoding.UTF8);
                body = await reader.ReadToEndAsync(callCancel.Token);
            }
            var request = ProtoJson.Build(
                route.Request,
                body,
                http.Request.Query.SelectMany(q => q.Value.Select(v => new KeyValuePair<string, string>(q.Key, v ?? string.Empty))),
                pathValues);
            var reply = await api.InvokeAsync(route, request, new CallContext(null, callCancel.Token));
            await WriteJsonAsync(http, StatusCodes.Status200OK, ProtoJson.Format(reply));
        }
        catch (GrpcException ex)
        {
            await WriteErrorAsync(http, ex.Code, ex.Message, ex.Detail);
        }
        catch (OperationCanceledException) when (callCancel.IsCancellationRequested)
        {
            if (!http.RequestAborted.IsCancellationRequested)
            {
                await WriteErrorAsync(http, RpcException.StatusCode.Unavailable, "the devserver is shutting down", null);
            }
        }
        catch (Microsoft.AspNetCore.Http.BadHttpRequestException ex)
        {
            await WriteErrorAsync(http, RpcException.StatusCode.InvalidArgument, ex.Message, null);
        }
#pragma warning disable CA1031 // Every other failure must still reach the browser as an API error, not a dropped connection.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            logger.LogError(ex, "UI API {Method} {Path} failed", http.Request.Method, rawPath);
            await WriteErrorAsync(http, RpcException.StatusCode.Internal, ex.Message, null);
        }
    }

    /// <summary>
    /// Writes need the UI's own headers from the UI's own origin: a form or script on another site cannot
    /// send the Caller-Type header without a CORS preflight, which this server never grants.
    /// </summary>
    private static void RequireSameOrigin(HttpContext http)
    {
        var origin = http.Request.Headers.Origin.ToString();
        if (origin.Length > 0 && (!Uri.TryCreate(origin, UriKind.Absolute, out var o) ||
                                  !string.Equals($"{o.Host}:{o.Port}", $"{http.Request.Host.Host}:{http.Request.Host.Port ?? 80}", StringComparison.OrdinalIgnoreCase)))
        {
            throw new GrpcException(RpcException.StatusCode.PermissionDenied, $"requests from {origin} are refused: only the UI served by this devserver may change workflows");
        }
        if (string.IsNullOrEmpty(http.Request.Headers["Caller-Type"]))
        {
            throw new GrpcException(RpcException.StatusCode.PermissionDenied, "POST needs the header 'Caller-Type: operator' (the Temporal UI sends it)");
        }
    }

    /// <summary>The settings the UI reads at start (PascalCase, as the Temporal UI server writes them).</summary>
    private static string Settings() =>
        System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["Auth"] = new Dictionary<string, object?> { ["Enabled"] = false, ["Options"] = null },
            ["BannerText"] = string.Empty,
            ["DefaultNamespace"] = "default",
            ["ShowTemporalSystemNamespace"] = false,
            ["FeedbackURL"] = string.Empty,
            ["NotifyOnNewVersion"] = false,
            ["Codec"] = new Dictionary<string, object?>
            {
                ["Endpoint"] = string.Empty,
                ["PassAccessToken"] = false,
                ["IncludeCredentials"] = false,
                ["DefaultErrorMessage"] = string.Empty,
                ["DefaultErrorLink"] = string.Empty,
            },
            ["Version"] = "2.38.0",
            ["DisableWriteActions"] = false,
            ["WorkflowTerminateDisabled"] = false,
            ["WorkflowCancelDisabled"] = false,
            ["WorkflowSignalDisabled"] = false,
            ["WorkflowUpdateDisabled"] = false,
            // Refused by the server (no snapshots to reset to; no batch, schedule or start pages here).
            ["WorkflowResetDisabled"] = true,
            ["BatchActionsDisabled"] = true,
            ["StartWorkflowDisabled"] = true,
            ["HideWorkflowQueryErrors"] = false,
            ["RefreshWorkflowCountsDisabled"] = false,
            ["ActivityCommandsDisabled"] = true,
        });

    private static async Task ServeFileAsync(HttpContext http, string? assets)
    {
        if (!HttpMethods.IsGet(http.Request.Method) && !HttpMethods.IsHead(http.Request.Method))
        {
            await WritePlainAsync(http, StatusCodes.Status405MethodNotAllowed, "only GET and HEAD are served here");
            return;
        }
        if (assets == null)
        {
            await WritePlainAsync(http, StatusCodes.Status503ServiceUnavailable, $"The devserver is running, but {WebUi.HowToBuild}.");
            return;
        }
        var relative = (http.Request.Path.Value ?? "/").TrimStart('/');
        var file = Path.GetFullPath(Path.Combine(assets, relative));
        var inside = file.StartsWith(assets + Path.DirectorySeparatorChar, StringComparison.Ordinal);
        if (!inside || !File.Exists(file))
        {
            // Page paths (/namespaces/default/workflows/...) are the app's routes: the app shell handles them.
            file = Path.Combine(assets, "index.html");
        }
        var immutable = relative.StartsWith("_app/immutable/", StringComparison.Ordinal) && inside;
        http.Response.Headers.CacheControl = immutable ? "public, max-age=31536000, immutable" : "no-cache";
        http.Response.Headers.XContentTypeOptions = "nosniff";
        http.Response.ContentType = ContentTypes.TryGetContentType(file, out var type) ? type : "application/octet-stream";
        http.Response.ContentLength = new FileInfo(file).Length;
        if (HttpMethods.IsHead(http.Request.Method))
        {
            return;
        }
        await http.Response.SendFileAsync(file, http.RequestAborted);
    }

    private static string RawPath(HttpContext http)
    {
        var raw = http.Features.Get<IHttpRequestFeature>()?.RawTarget ?? http.Request.Path.Value ?? "/";
        var query = raw.IndexOf('?', StringComparison.Ordinal);
        return query >= 0 ? raw[..query] : raw;
    }

    private static bool IsLoopbackHost(string host) =>
        host is "localhost" || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));

    private static Task WriteJsonAsync(HttpContext http, int status, string json)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json";
        return http.Response.WriteAsync(json, http.RequestAborted);
    }

    private static Task WritePlainAsync(HttpContext http, int status, string text)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "text/plain; charset=utf-8";
        return http.Response.WriteAsync(text + "\n", http.RequestAborted);
    }

    /// <summary>An error as grpc-gateway writes it: <c>{code, message, details}</c> with the HTTP status its gRPC code maps to.</summary>
    private static Task WriteErrorAsync(HttpContext http, RpcException.StatusCode code, string message, Google.Protobuf.IMessage? detail)
    {
        var status = new Temporalio.Api.Common.V1.GrpcStatus { Code = (int)code, Message = message };
        if (detail != null)
        {
            status.Details.Add(Google.Protobuf.WellKnownTypes.Any.Pack(detail));
        }
        return WriteJsonAsync(http, HttpStatus(code), ProtoJson.Format(status));
    }

    internal static int HttpStatus(RpcException.StatusCode code) => code switch
    {
        RpcException.StatusCode.OK => StatusCodes.Status200OK,
        RpcException.StatusCode.Cancelled => 499,
        RpcException.StatusCode.InvalidArgument => StatusCodes.Status400BadRequest,
        RpcException.StatusCode.DeadlineExceeded => StatusCodes.Status504GatewayTimeout,
        RpcException.StatusCode.NotFound => StatusCodes.Status404NotFound,
        RpcException.StatusCode.AlreadyExists => StatusCodes.Status409Conflict,
        RpcException.StatusCode.PermissionDenied => StatusCodes.Status403Forbidden,
        RpcException.StatusCode.ResourceExhausted => StatusCodes.Status429TooManyRequests,
        RpcException.StatusCode.FailedPrecondition => StatusCodes.Status400BadRequest,
        RpcException.StatusCode.Aborted => StatusCodes.Status409Conflict,
        RpcException.StatusCode.OutOfRange => StatusCodes.Status400BadRequest,
        RpcException.StatusCode.Unimplemented => StatusCodes.Status501NotImplemented,
        RpcException.StatusCode.Unavailable => StatusCodes.Status503ServiceUnavailable,
        RpcException.StatusCode.Unauthenticated => StatusCodes.Status401Unauthorized,
        _ => StatusCodes.Status500InternalServerError,
    };

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            await app.StopAsync(timeout.Token);
        }
        await app.DisposeAsync();
        stopping.Dispose();
    }
}
