using System.Collections.Concurrent;
using MaintenanceWorkflows.Workflows.Plans;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace MaintenanceWorkflows.Sandbox.Fleet;

/// <summary>
/// A fleet of hosts on loopback for rollouts. A host is "patched" by a real local command the worker
/// allow-lists (<see cref="PatchCommand"/>: <c>touch</c> of a marker file in the fleet's directory; undone by
/// <see cref="UnpatchCommand"/>, <c>rm -f</c>), or over HTTP (<c>POST /hosts/{host}/patch</c> and <c>/unpatch</c>);
/// <c>GET /hosts/{host}/health</c> reports the host's version from the marker. Faults are injected per host:
/// a host told to <see cref="FailAfterPatch"/> answers 503 once patched, so its check fails for real.
/// Any valid host name is a host of this fleet; the plan or the worker's <c>Fleets:&lt;name&gt;</c> decides which exist.
/// </summary>
public sealed class LocalFleet : IAsyncDisposable
{
    public const string Target = "fleet";
    public const string PatchCommand = "fleet-patch";
    public const string UnpatchCommand = "fleet-unpatch";
    public const string BaseVersion = "2.8.0";
    public const string PatchedVersion = "2.8.1";

    /// <summary>A rollout that patches each host over this fleet's HTTP API and checks its health endpoint.</summary>
    public static RolloutStep HttpRollout(string hosts, RolloutStrategy strategy) => new()
    {
        Id = "patch-fleet",
        Title = "Patch the fleet over HTTP",
        Hosts = [hosts],
        Steps =
        [
            new HttpRequestStep
            {
                Id = "patch",
                Title = "Patch {host}",
                Method = "POST",
                Target = Target,
                Path = "/hosts/{host}/patch",
                Rollback = new HttpRequestStep { Id = "unpatch", Title = "Unpatch {host}", Method = "POST", Target = Target, Path = "/hosts/{host}/unpatch" },
            },
        ],
        Checks = [new HttpStatusCheck { Id = "healthy", Title = "{host} healthy", Target = Target, Path = "/hosts/{host}/health" }],
        Strategy = strategy,
    };

    private readonly ConcurrentDictionary<string, bool> failAfterPatch = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, int> unpatches = new(StringComparer.OrdinalIgnoreCase);
    private LoopbackServer? server;

    private LocalFleet(string directory)
    {
        Directory = directory;
    }

    public Uri BaseAddress => server!.BaseAddress;

    /// <summary>Where the marker files live (one per patched host).</summary>
    public string Directory { get; }

    public static async Task<LocalFleet> StartAsync()
    {
        var directory = Path.Combine(Path.GetTempPath(), $"sandbox-fleet-{Guid.NewGuid():N}");
        System.IO.Directory.CreateDirectory(directory);
        var fleet = new LocalFleet(directory);
        fleet.server = await LoopbackServer.StartAsync(fleet.Configure);
        return fleet;
    }

    /// <summary>Makes the hosts fail their health check once patched (503), until they are unpatched.</summary>
    public void FailAfterPatch(params string[] hosts)
    {
        ArgumentNullException.ThrowIfNull(hosts);
        foreach (var host in hosts)
        {
            failAfterPatch[host] = true;
        }
    }

    public bool IsPatched(string host) => RolloutRules.IsHostName(host) && File.Exists(Marker(host));

    /// <summary>The hosts patched right now, in name order.</summary>
    public IReadOnlyList<string> Patched() =>
        System.IO.Directory.GetFiles(Directory, "*.patched").Select(f => Path.GetFileNameWithoutExtension(f)).Order(StringComparer.Ordinal).ToList();

    /// <summary>How often a host was unpatched over HTTP (the command path is counted by the marker alone).</summary>
    public int UnpatchCount(string host) => unpatches.GetValueOrDefault(host);

    /// <summary>Worker configuration: the target for checks, the two allow-listed commands and a named fleet.</summary>
    public IReadOnlyDictionary<string, string?> WorkerConfiguration(string fleetName, string hosts) => new Dictionary<string, string?>
    {
        [$"Targets:{Target}:BaseUrl"] = BaseAddress.ToString(),
        [$"Commands:{PatchCommand}:Executable"] = "/usr/bin/touch",
        [$"Commands:{PatchCommand}:Arguments:0"] = Path.Combine(Directory, "{host}.patched"),
        [$"Commands:{PatchCommand}:Timeout"] = "00:00:30",
        [$"Commands:{UnpatchCommand}:Executable"] = "/bin/rm",
        [$"Commands:{UnpatchCommand}:Arguments:0"] = "-f",
        [$"Commands:{UnpatchCommand}:Arguments:1"] = Path.Combine(Directory, "{host}.patched"),
        [$"Commands:{UnpatchCommand}:Timeout"] = "00:00:30",
        [$"Fleets:{fleetName}:0"] = hosts,
    };

    public async ValueTask DisposeAsync()
    {
        if (server is not null)
        {
            await server.DisposeAsync();
        }
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A command may still hold a file; the temp directory is cleaned by the OS eventually.
        }
    }

    private string Marker(string host) => Path.Combine(Directory, $"{host}.patched");

    private void Configure(WebApplication app)
    {
        app.MapGet("/hosts/{host}/health", (string host) =>
        {
            if (!RolloutRules.IsHostName(host))
            {
                return Results.NotFound();
            }
            var patched = IsPatched(host);
            return patched && failAfterPatch.ContainsKey(host)
                ? Results.Json(new { status = "down", version = PatchedVersion, healthy = false }, statusCode: StatusCodes.Status503ServiceUnavailable)
                : Results.Json(new { status = "up", version = patched ? PatchedVersion : BaseVersion, healthy = true });
        });
        app.MapPost("/hosts/{host}/patch", (string host) =>
        {
            if (!RolloutRules.IsHostName(host))
            {
                return Results.NotFound();
            }
            File.WriteAllText(Marker(host), PatchedVersion);
            return Results.Ok();
        });
        app.MapPost("/hosts/{host}/unpatch", (string host) =>
        {
            if (!RolloutRules.IsHostName(host))
            {
                return Results.NotFound();
            }
            File.Delete(Marker(host));
            unpatches.AddOrUpdate(host, 1, (_, n) => n + 1);
            return Results.Ok();
        });
    }
}
