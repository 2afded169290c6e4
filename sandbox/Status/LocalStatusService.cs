using System.Text.Json.Nodes;
using MaintenanceWorkflows.Sandbox.Lambda;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace MaintenanceWorkflows.Sandbox.Status;

/// <summary>How a deployed version misbehaves in the sandbox, so a window's verification can fail for real.</summary>
public enum VersionFault
{
    /// <summary>Routes answer 502, as a Lambda in a crash loop behind API Gateway does.</summary>
    BadGateway,

    /// <summary>The status JSON lacks the <c>agents</c> key (a dead fleet).</summary>
    MissingAgents,
}

/// <summary>
/// A local stand-in for the service a Lambda alias serves (seed 001's Mission Control routes): <c>/beak</c>,
/// <c>/beak/metrics</c>, <c>/beak/system/status</c> reporting <c>lambda.version</c>, <c>lambda_alias_version</c>,
/// <c>database</c>, <c>agents</c> and a 0-100 <c>health.score</c>, and <c>/beak/system/freeze</c> for the change-freeze
/// banner, and <c>/status</c> for the proxy edge. What it reports follows the version the <see cref="LocalLambdaServer"/>'s alias points at, so promoting
/// a faulty version makes the checks fail and restoring the alias makes them pass again.
/// </summary>
public sealed class LocalStatusService : IAsyncDisposable
{
    private readonly LocalFunction function;
    private readonly string alias;
    private readonly Dictionary<string, VersionFault> faults = new(StringComparer.Ordinal);
    private readonly object gate = new();
    private LoopbackServer? server;
    private string? freezeReason;

    private LocalStatusService(LocalFunction function, string alias)
    {
        this.function = function;
        this.alias = alias;
    }

    public Uri BaseAddress => server!.BaseAddress;

    public Uri FreezeUrl => new(BaseAddress, "beak/system/freeze");

    /// <summary>Starts the service on a free loopback port, serving whatever <paramref name="function"/>'s <paramref name="alias"/> points at.</summary>
    public static async Task<LocalStatusService> StartAsync(LocalFunction function, string alias)
    {
        ArgumentNullException.ThrowIfNull(function);
        var service = new LocalStatusService(function, alias);
        service.server = await LoopbackServer.StartAsync(service.Configure);
        return service;
    }

    /// <summary>Makes <paramref name="version"/> misbehave once the alias points at it.</summary>
    public void Break(string version, VersionFault fault)
    {
        lock (gate)
        {
            faults[version] = fault;
        }
    }

    /// <summary>Raises (reason) or clears (null) the change-freeze banner.</summary>
    public void SetFreeze(string? reason)
    {
        lock (gate)
        {
            freezeReason = reason;
        }
    }

    public ValueTask DisposeAsync() => server?.DisposeAsync() ?? ValueTask.CompletedTask;

    private (string Version, VersionFault? Fault) Current()
    {
        lock (gate)
        {
            var version = function.Alias(alias).FunctionVersion;
            return (version, faults.TryGetValue(version, out var fault) ? fault : null);
        }
    }

    private void Configure(WebApplication app)
    {
        app.MapGet("/beak", () => Current() is { Fault: VersionFault.BadGateway }
            ? BadGateway()
            : Results.Json(new JsonObject { ["service"] = "beak", ["ok"] = true }));
        app.MapGet("/beak/metrics", () =>
        {
            var (version, fault) = Current();
            return fault is VersionFault.BadGateway
                ? BadGateway()
                : Results.Text($"beak_requests_total 1042\nbeak_lambda_version{{alias=\"{alias}\"}} {version}\n", "text/plain");
        });
        app.MapGet("/beak/system/status", () =>
        {
            var (version, fault) = Current();
            if (fault is VersionFault.BadGateway)
            {
                return BadGateway();
            }
            var body = new JsonObject
            {
                ["lambda"] = new JsonObject { ["version"] = version, ["alias"] = alias, ["function"] = function.Name },
                ["lambda_alias_version"] = version,
                ["database"] = new JsonObject { ["status"] = "ok", ["latency_ms"] = 3 },
                ["health"] = new JsonObject { ["score"] = fault is null ? 94 : 41 },
            };
            if (fault is not VersionFault.MissingAgents)
            {
                body["agents"] = new JsonObject { ["alive"] = 12, ["dead"] = 0 };
            }
            return Results.Json(body);
        });
        // The proxy edge's health endpoint (the emergency example's target).
        app.MapGet("/status", () => Results.Json(new JsonObject { ["edge"] = "ok", ["backends"] = 4 }));
        app.MapGet("/beak/system/freeze", () =>
        {
            string? reason;
            lock (gate)
            {
                reason = freezeReason;
            }
            return Results.Json(new JsonObject { ["freeze"] = new JsonObject { ["active"] = reason is not null, ["reason"] = reason } });
        });
    }

    private static IResult BadGateway() =>
        Results.Json(new JsonObject { ["message"] = "Internal server error" }, statusCode: StatusCodes.Status502BadGateway);
}
