using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Temporalio.Api.Enums.V1;

namespace MaintenanceWorkflows.DevServer;

/// <summary>
/// The standalone server's command line. Also accepts the Temporal test server's calling
/// convention (a bare port number first, as the SDK's <c>WorkflowEnvironment.StartTimeSkippingAsync</c>
/// passes it), which turns time skipping on.
/// </summary>
public static class DevServerCommand
{
    public const string Usage =
        "usage: devserver [server start-dev] [--port N] [--ip ADDRESS] [--namespace NAME]... [--db-filename FILE]\n" +
        "                 [--time-skipping] [--log-level debug|info|warn|error|never] [--log-format pretty|json]\n" +
        "                 [--dynamic-config-value KEY=VALUE]... [--search-attribute NAME=TYPE]... [--ui-port N | --headless]\n" +
        "                 [--history-cache-mb N]\n" +
        "       devserver PORT [...]   (Temporal test-server convention: time skipping on)\n" +
        "The flags are those of `temporal server start-dev`, so the SDK's WorkflowEnvironment.StartLocalAsync can start\n" +
        "this program through DevServerOptions.ExistingPath (--host and --db are accepted as aliases).\n" +
        "--db-filename FILE: keep all state in a SQLite file (created 0600 if missing); a restarted server carries on from it.\n" +
        "--history-cache-mb N: with --db-filename, the encoded history held in memory (default 128); histories used least recently\n" +
        "are read back from the file when next needed, so thousands of sleeping workflows cost their records, not their events.\n" +
        "--dynamic-config-value: Temporal's limits, e.g. limit.blobSize.error=2097152, limit.historyCount.suggestContinueAsNew=4096;\n" +
        "unsupported keys are refused with the list of supported ones.\n" +
        "--search-attribute NAME=TYPE: register a custom search attribute in every namespace\n" +
        "(TYPE: Text, Keyword, Int, Double, Bool, Datetime, KeywordList).\n" +
        "--time-skipping: virtual time that starts locked, like Temporal's test server; clients unlock it with\n" +
        "the TestService RPCs (the SDK's time-skipping environment does so while awaiting results).\n" +
        "--ui-port N: the Temporal web UI and its /api/v1 API on http://localhost:N (default 8233); --ui-port 0 or\n" +
        "--headless turns it off (it is off in the test-server convention unless --ui-port is given).";

    /// <summary>The web UI's port when none is given, as `temporal server start-dev` uses.</summary>
    public const int DefaultUiPort = 8233;

    public static async Task<int> RunAsync(string[] args, TextWriter? output = null, CancellationToken ct = default)
    {
        output ??= Console.Out;
        if (args.Any(a => a is "--help" or "-h"))
        {
            await output.WriteLineAsync(Usage);
            return 0;
        }
        DevServerOptions options;
        LogLevel logLevel;
        try
        {
            (options, logLevel) = Parse(args);
        }
        catch (ArgumentException ex)
        {
            await Console.Error.WriteLineAsync($"error: {ex.Message}\n{Usage}");
            return 2;
        }
        using var loggerFactory = LoggerFactory.Create(b =>
        {
            if (options.LogFormat == "json")
            {
                b.AddJsonConsole();
            }
            else
            {
                b.AddSimpleConsole(o => o.SingleLine = true);
            }
            b.SetMinimumLevel(logLevel);
        });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        EventHandler onExit = (_, _) => stop.Cancel();
        Console.CancelKeyPress += onCancel;
        AppDomain.CurrentDomain.ProcessExit += onExit;
        // The web host's console lifetime swallows SIGTERM (it expects a hosted app); stop on it ourselves.
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            stop.Cancel();
        });
        try
        {
            await using var server = await TemporalDevServer.StartAsync(options with { LoggerFactory = loggerFactory }, stop.Token);
            var namespaces = string.Join(", ", options.Namespaces.Prepend("default").Distinct());
            await output.WriteLineAsync(
                $"Temporal devserver listening on {server.Target} (namespaces: {namespaces}; time: {(options.TimeSkipping ? "skipping" : "real")}; " +
                $"state: {options.DatabasePath ?? "in memory"}). Ctrl+C stops it.");
            if (server.UiAddress is { } ui)
            {
                await output.WriteLineAsync(server.UiBuilt
                    ? $"Temporal web UI on {ui}"
                    : $"Temporal web UI API on {ui}api/v1, but {Http.WebUi.HowToBuild}.");
            }
            await output.FlushAsync(ct);
            await Task.Delay(Timeout.Infinite, stop.Token);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Ctrl+C or SIGTERM: shut down cleanly.
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            await Console.Error.WriteLineAsync($"error: {ex.Message}");
            return 1;
        }
#pragma warning disable CA1031 // Anything else still ends in one line, never a stack trace.
        catch (Exception ex) when (TemporalDevServer.IsAddressInUse(ex) || ex is IOException or UnauthorizedAccessException)
#pragma warning restore CA1031
        {
            await Console.Error.WriteLineAsync($"error: {ex.Message}");
            return 1;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
            AppDomain.CurrentDomain.ProcessExit -= onExit;
        }
        return 0;
    }

    public static (DevServerOptions Options, LogLevel LogLevel) Parse(IReadOnlyList<string> args)
    {
        var options = new DevServerOptions();
        var namespaces = new List<string>();
        var logLevel = LogLevel.Warning;
        int? uiPort = null;
        var headless = false;
        var testServerConvention = false;
        var searchAttributes = new Dictionary<string, IndexedValueType>(StringComparer.Ordinal);
        // `temporal server start-dev ...` as the SDK runs it: the subcommand words come first.
        var first = args.Count >= 2 && args[0] == "server" && args[1] == "start-dev" ? 2 : 0;
        for (var i = first; i < args.Count; i++)
        {
            var arg = args[i];
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{arg} needs a value");
            switch (arg)
            {
                case "--port":
                case "-p":
                    options = options with { Port = ParsePort(Value()) };
                    break;
                case "--host":
                case "--ip":
                    options = options with { Host = Value() };
                    break;
                case "--namespace":
                case "-n":
                    namespaces.Add(Value());
                    break;
                case "--db":
                case "--db-filename":
                case "-f":
                    options = options with { DatabasePath = Value() };
                    break;
                case "--history-cache-mb":
                    var megabytes = Value();
                    options = options with
                    {
                        Limits = options.Limits with
                        {
                            HistoryCacheBytes = long.TryParse(megabytes, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var mb) && mb <= 1_048_576
                                ? mb * 1024 * 1024
                                : throw new ArgumentException($"--history-cache-mb '{megabytes}' is not a whole number of megabytes from 0 to 1048576"),
                        },
                    };
                    break;
                case "--dynamic-config-value":
                    options = options with { Limits = options.Limits.WithDynamicConfig(Value()) };
                    break;
                case "--search-attribute":
                    var (name, type) = ParseSearchAttribute(Value());
                    if (!searchAttributes.TryAdd(name, type) && searchAttributes[name] != type)
                    {
                        throw new ArgumentException($"--search-attribute {name} is given twice with different types");
                    }
                    break;
                case "--log-format":
                    var format = Value();
                    options = options with
                    {
                        LogFormat = format is "pretty" or "text" or "json"
                            ? format
                            : throw new ArgumentException($"--log-format '{format}' is not one of pretty, text, json"),
                    };
                    break;
                case "--time-skipping":
                case "--enable-time-skipping":
                    options = options with { TimeSkipping = true };
                    break;
                case "--ui-port":
                    uiPort = ParseUiPort(Value());
                    break;
                case "--headless":
                    headless = true;
                    break;
                case "--log-level":
                    logLevel = ParseLogLevel(Value());
                    break;
                default:
                    if (i == 0 && int.TryParse(arg, NumberStyles.None, CultureInfo.InvariantCulture, out _))
                    {
                        options = options with { Port = ParsePort(arg), TimeSkipping = true };
                        testServerConvention = true;
                        break;
                    }
                    throw new ArgumentException($"unknown argument '{arg}'");
            }
        }
        if (headless && uiPort is > 0)
        {
            throw new ArgumentException("--headless turns the web UI off; drop it or drop --ui-port");
        }
        // Standalone, the UI is on at 8233 like `temporal server start-dev`; a test harness starting the
        // server by the bare-port convention gets no UI unless it asks.
        var ui = headless || uiPort == 0 ? null : uiPort ?? (testServerConvention ? null : DefaultUiPort);
        return (options with { Namespaces = namespaces, UiPort = ui, SearchAttributes = searchAttributes }, logLevel);
    }

    /// <summary>Temporal CLI level names (debug, info, warn, error, never) and .NET's (Warning, None, ...).</summary>
    private static LogLevel ParseLogLevel(string level) => level.ToLowerInvariant() switch
    {
        "debug" => LogLevel.Debug,
        "info" => LogLevel.Information,
        "warn" => LogLevel.Warning,
        "error" => LogLevel.Error,
        "never" => LogLevel.None,
        _ => Enum.TryParse<LogLevel>(level, ignoreCase: true, out var parsed)
            ? parsed
            : throw new ArgumentException($"--log-level '{level}' is not one of debug, info, warn, error, never"),
    };

    private static (string Name, IndexedValueType Type) ParseSearchAttribute(string value)
    {
        var equals = value.IndexOf('=', StringComparison.Ordinal);
        var name = equals > 0 ? value[..equals].Trim() : string.Empty;
        var typeName = equals > 0 ? value[(equals + 1)..].Trim() : string.Empty;
        if (name.Length == 0 || typeName.Length == 0)
        {
            throw new ArgumentException($"--search-attribute '{value}' is not NAME=TYPE (e.g. CustomerId=Keyword)");
        }
        return Enum.TryParse<IndexedValueType>(typeName, ignoreCase: true, out var type) && type != IndexedValueType.Unspecified &&
            Enum.IsDefined(type) && !int.TryParse(typeName, CultureInfo.InvariantCulture, out _)
            ? (name, type)
            : throw new ArgumentException(
                $"--search-attribute {name}: type '{typeName}' is not one of Text, Keyword, Int, Double, Bool, Datetime, KeywordList");
    }

    private static int ParseUiPort(string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port <= 65535
            ? port
            : throw new ArgumentException($"--ui-port '{value}' is not a number from 0 (no UI) to 65535");

    private static int ParsePort(string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port <= 65535
            ? port
            : throw new ArgumentException($"port '{value}' is not a number from 0 to 65535");
}
