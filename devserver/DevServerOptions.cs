using Microsoft.Extensions.Logging;

namespace MaintenanceWorkflows.DevServer;

/// <summary>How to start a <see cref="TemporalDevServer"/>.</summary>
public sealed record DevServerOptions
{
    /// <summary>Address to listen on; loopback by default.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>Port to listen on; 0 picks a free port (read it back from <see cref="TemporalDevServer.Target"/>).</summary>
    public int Port { get; init; }

    /// <summary>Namespaces to create in addition to <c>default</c>, which always exists.</summary>
    public IReadOnlyList<string> Namespaces { get; init; } = [];

    /// <summary>
    /// False: real wall-clock time. True: virtual time that jumps to the next timer whenever
    /// nothing holds it. It starts locked once, like Temporal's test server: callers unlock it
    /// (TestService RPCs or <see cref="TemporalDevServer.UnlockTimeSkipping"/>) to let it skip.
    /// </summary>
    public bool TimeSkipping { get; init; }

    /// <summary>
    /// Where run state is written at the end of every change (before the RPC is answered); in
    /// memory only when null (and no <see cref="DatabasePath"/> is given).
    /// </summary>
    public MaintenanceWorkflows.DevServer.Engine.IWorkflowStore? Store { get; init; }

    /// <summary>
    /// A SQLite file that keeps every namespace, search attribute, history, pending task and timer, so
    /// a restarted server carries on where the last one stopped (created when missing). In memory when null.
    /// </summary>
    public string? DatabasePath { get; init; }

    /// <summary>Custom search attributes registered in every namespace at start (kept if the database already has them).</summary>
    public IReadOnlyDictionary<string, Temporalio.Api.Enums.V1.IndexedValueType> SearchAttributes { get; init; } =
        new Dictionary<string, Temporalio.Api.Enums.V1.IndexedValueType>();

    /// <summary>How the standalone program writes log lines: "pretty"/"text" (one line each) or "json".</summary>
    public string LogFormat { get; init; } = "pretty";

    /// <summary>Size and count limits, Temporal's defaults unless changed.</summary>
    public ServerLimits Limits { get; init; } = new();

    /// <summary>
    /// The web UI's HTTP port (the Temporal UI and its /api/v1 API on <see cref="Host"/>): off when null,
    /// 0 picks a free port (read it back from <see cref="TemporalDevServer.UiAddress"/>).
    /// </summary>
    public int? UiPort { get; init; }

    /// <summary>The built UI (ui/build); found automatically when null. The API is served even without it.</summary>
    public string? UiAssetsDirectory { get; init; }

    /// <summary>Where the server logs; nothing is logged when null.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }
}
