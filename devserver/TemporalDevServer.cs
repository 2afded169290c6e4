using System.Net;
using MaintenanceWorkflows.DevServer.Engine;
using MaintenanceWorkflows.DevServer.Grpc;
using MaintenanceWorkflows.DevServer.Http;
using MaintenanceWorkflows.DevServer.Persistence;
using MaintenanceWorkflows.DevServer.Services;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace MaintenanceWorkflows.DevServer;

/// <summary>
/// An embedded Temporal-compatible server: the WorkflowService (and TestService) over cleartext
/// HTTP/2 gRPC on Kestrel, for the unmodified Temporal SDK client and worker.
/// </summary>
public sealed class TemporalDevServer : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly DevClock clock;

    private readonly CancellationTokenSource stopping;

    private readonly SqliteWorkflowStore? database;

    private UiServer? ui;

    private TemporalDevServer(
        WebApplication app, DevClock clock, WorkflowEngine engine, CancellationTokenSource stopping, string target, SqliteWorkflowStore? database)
    {
        this.database = database;
        this.stopping = stopping;
        this.app = app;
        this.clock = clock;
        Engine = engine;
        Target = target;
    }

    /// <summary>host:port to pass to <c>TemporalClient.ConnectAsync(new(target))</c>.</summary>
    public string Target { get; }

    public bool TimeSkipping => clock.TimeSkipping;

    /// <summary>The web UI's address (http://localhost:PORT/) when <see cref="DevServerOptions.UiPort"/> turned it on.</summary>
    public Uri? UiAddress => ui?.Address;

    /// <summary>False when the UI port is on but the UI was not built (the /api/v1 API is served anyway).</summary>
    public bool UiBuilt => ui?.AssetsDirectory != null;

    /// <summary>The engine behind the RPCs (state inspection for tests and tools).</summary>
    public WorkflowEngine Engine { get; }

    public static async Task<TemporalDevServer> StartAsync(DevServerOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!IPAddress.TryParse(options.Host, out var address))
        {
            throw new ArgumentException(
                $"Host '{options.Host}' is not an IP address; use e.g. 127.0.0.1 or 0.0.0.0", nameof(options));
        }
        if (options.Port is < 0 or > 65535)
        {
            throw new ArgumentException($"Port {options.Port} is out of range; use 0 (any free port) to 65535", nameof(options));
        }
        foreach (var ns in options.Namespaces)
        {
            if (string.IsNullOrWhiteSpace(ns))
            {
                throw new ArgumentException("Namespaces must not contain empty names", nameof(options));
            }
        }
        if (options.Store != null && options.DatabasePath != null)
        {
            throw new ArgumentException("give either Store or DatabasePath, not both", nameof(options));
        }
        var loggerFactory = options.LoggerFactory ?? NullLoggerFactory.Instance;
        var logger = loggerFactory.CreateLogger<TemporalDevServer>();
        var database = options.DatabasePath != null ? SqliteWorkflowStore.Open(options.DatabasePath) : null;
        var clock = new DevClock(options.TimeSkipping, logger);
        WorkflowEngine engine;
        try
        {
            engine = new WorkflowEngine(
                clock, options.Namespaces, options.Store ?? database ?? (IWorkflowStore)new InMemoryWorkflowStore(), logger, options.Limits);
        }
        catch (Exception ex) when (database != null && ex is not (ArgumentException or InvalidOperationException or OutOfMemoryException))
        {
            // The records parsed but do not fit together: the file is damaged in a way the store could not see.
            await clock.DisposeAsync();
            database.Dispose();
            throw new InvalidOperationException(
                $"database '{database.Path}' is damaged: its runs cannot be restored ({ex.GetType().Name}: {ex.Message}); " +
                "restore it from a copy, or start with a new --db file", ex);
        }
        catch
        {
            await clock.DisposeAsync();
            database?.Dispose();
            throw;
        }
        if (options.SearchAttributes.Count > 0)
        {
            try
            {
                foreach (var ns in engine.Namespaces)
                {
                    var request = new Temporalio.Api.OperatorService.V1.AddSearchAttributesRequest { Namespace = ns.Name };
                    request.SearchAttributes.Add(options.SearchAttributes.ToDictionary());
                    engine.AddSearchAttributes(request);
                }
            }
            catch (GrpcException ex)
            {
                await clock.DisposeAsync();
                database?.Dispose();
                throw new ArgumentException($"--search-attribute: {ex.Message}", nameof(options), ex);
            }
        }
        var stopping = new CancellationTokenSource();
        var router = new GrpcRouter(logger, stopping.Token, options.Limits.GrpcMaxMessageBytes);
        ServiceBindings.Register(router, engine);
        var pollers = new PollerDirectory(TimeProvider.System);
        pollers.Watch(router);
        ServiceBindings.RegisterClusterAnswers(router, engine, pollers, database != null ? "sqlite" : "memory");

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = [],
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggerFactory);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // Each pending long poll and result wait is one stream on the SDK's single connection.
            kestrel.Limits.Http2.MaxStreamsPerConnection = 4096;
            kestrel.Limits.MinRequestBodyDataRate = null;
            kestrel.Limits.MinResponseDataRate = null;
            // One more byte than the router accepts, so the router's RESOURCE_EXHAUSTED answer is the one callers see.
            kestrel.Limits.MaxRequestBodySize = router.MaxRequestBodyBytes + 1;
            kestrel.Listen(address, options.Port, listen => listen.Protocols = HttpProtocols.Http2);
        });
        var app = builder.Build();
        app.Run(router.HandleAsync);
        try
        {
            await app.StartAsync(ct);
        }
        catch (Exception ex)
        {
            await app.DisposeAsync();
            await clock.DisposeAsync();
            database?.Dispose();
            stopping.Dispose();
            if (IsAddressInUse(ex))
            {
                throw new InvalidOperationException(
                    $"port {options.Port} on {options.Host} is already in use (another devserver or Temporal?): stop it, or pass --port with a free port (0 picks one)",
                    ex);
            }
            throw;
        }
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!
            .Addresses.Select(a => new Uri(a).Port).First();
        var host = address.Equals(IPAddress.Any) ? "127.0.0.1" : options.Host;
        var server = new TemporalDevServer(app, clock, engine, stopping, $"{host}:{bound}", database);
        if (options.UiPort is { } uiPort)
        {
            try
            {
                server.ui = await UiServer.StartAsync(
                    address, uiPort, options.UiAssetsDirectory, router, logger, ct);
            }
            catch
            {
                await server.DisposeAsync();
                throw;
            }
        }
        return server;
    }

    internal static bool IsAddressInUse(Exception ex) =>
        ex is IOException { InnerException: System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.AddressAlreadyInUse } } ||
        ex is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.AddressAlreadyInUse } ||
        (ex.InnerException != null && IsAddressInUse(ex.InnerException));

    /// <summary>Current server time (virtual when time skipping).</summary>
    public DateTime UtcNow => clock.UtcNow;

    /// <summary>Same as the TestService LockTimeSkipping RPC: time stops jumping until unlocked.</summary>
    public void LockTimeSkipping() => clock.LockTimeSkipping();

    /// <summary>Same as the TestService UnlockTimeSkipping RPC.</summary>
    public void UnlockTimeSkipping() => clock.UnlockTimeSkipping();

    /// <summary>Same as the TestService Sleep RPC: completes once server time has advanced by <paramref name="duration"/>.</summary>
    public Task SleepAsync(TimeSpan duration, CancellationToken ct = default) =>
        clock.SleepUntilAsync(clock.UtcNow + duration, ct);

    /// <summary>Same as the TestService SleepUntil RPC.</summary>
    public Task SleepUntilAsync(DateTime utc, CancellationToken ct = default) => clock.SleepUntilAsync(utc, ct);

    /// <summary>Same as UnlockTimeSkippingWithSleep: unlock, sleep <paramref name="duration"/> of server time, lock again.</summary>
    public Task UnlockTimeSkippingWithSleepAsync(TimeSpan duration, CancellationToken ct = default) =>
        clock.SleepUnlockedUntilAsync(clock.UtcNow + duration, ct);

    public async ValueTask DisposeAsync()
    {
        if (ui != null)
        {
            await ui.DisposeAsync();
        }
        await stopping.CancelAsync();
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            await app.StopAsync(timeout.Token);
        }
        await app.DisposeAsync();
        await clock.DisposeAsync();
        // The engine may still be finishing a timer callback; take its lock so the last write completes first.
        Engine.Quiesce(() => database?.Dispose());
        stopping.Dispose();
    }
}
