using System.CommandLine;
using MaintenanceWorkflows.Worker;
using Microsoft.Extensions.Configuration;
using Temporalio.Client;
using Temporalio.Exceptions;

namespace MaintenanceWorkflows.Starter.Commands;

/// <summary>
/// How the starter reaches Temporal: the same <see cref="TemporalSettings"/> the worker uses, read from
/// environment variables (<c>Temporal__Address</c>, <c>Temporal__Namespace</c>, <c>Temporal__ApiKey</c>,
/// <c>Temporal__Tls__...</c>), overridden by <c>--address</c> / <c>--namespace</c>. Defaults to a devserver
/// on localhost:7233.
/// </summary>
public static class Connection
{
    public const int ExitUsage = 2;
    public const int ExitUnavailable = 3;
    public const int ExitRefused = 4;
    public const int ExitNotFound = 5;

    public static Option<string?> AddressOption { get; } = new("--address")
    {
        Description = "Temporal frontend host:port (default: Temporal__Address, else localhost:7233).",
        Recursive = true,
    };

    public static Option<string?> NamespaceOption { get; } = new("--namespace")
    {
        Description = "Temporal namespace (default: Temporal__Namespace, else default).",
        Recursive = true,
    };

    public static Option<string?> TaskQueueOption { get; } = new("--task-queue")
    {
        Description = "Task queue the worker polls (default: Temporal__TaskQueue, else maintenance-windows).",
        Recursive = true,
    };

    public static TemporalSettings Settings(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        var configuration = new ConfigurationBuilder().AddEnvironmentVariables().Build();
        var settings = new TemporalSettings();
        configuration.GetSection(TemporalSettings.Section).Bind(settings);
        if (parse.GetValue(AddressOption) is { } address)
        {
            settings.Address = address;
        }
        if (parse.GetValue(NamespaceOption) is { } ns)
        {
            settings.Namespace = ns;
        }
        if (parse.GetValue(TaskQueueOption) is { } taskQueue)
        {
            settings.TaskQueue = taskQueue;
        }
        return settings;
    }

    /// <summary>Connects, or explains what to do when Temporal is not reachable; null after printing the error.</summary>
    public static async Task<ITemporalClient?> ConnectAsync(ParseResult parse, TextWriter error)
    {
        var settings = Settings(parse);
        var validation = new TemporalSettingsValidator().Validate(null, settings);
        if (validation.Failed)
        {
            foreach (var failure in validation.Failures ?? [])
            {
                error.WriteLine($"error: {failure}");
            }
            return null;
        }
        try
        {
            return await TemporalClient.ConnectAsync(settings.ToConnectOptions());
        }
        catch (Exception e) when (e is RpcException or InvalidOperationException or IOException)
        {
            error.WriteLine(
                $"error: cannot reach Temporal at {settings.Address} (namespace {settings.Namespace}): {e.Message}" +
                $"{Environment.NewLine}  Start a local server with `dotnet run --project devserver`, or point Temporal__Address / --address at your cluster.");
            return null;
        }
    }

    /// <summary>
    /// Maps the errors a window command can meet to one clear line and an exit code; used as an exception
    /// filter so anything unexpected still surfaces.
    /// </summary>
    public static bool TryExplain(Exception e, string windowId, TextWriter error, out int exitCode)
    {
        ArgumentNullException.ThrowIfNull(e);
        ArgumentNullException.ThrowIfNull(error);
        (exitCode, var message) = e switch
        {
            RpcException { Code: RpcException.StatusCode.NotFound } =>
                (ExitNotFound, $"error: no window '{windowId}' in this namespace (see `starter list`)."),
            WorkflowUpdateFailedException { InnerException: ApplicationFailureException refused } =>
                (ExitRefused, $"refused: {refused.Message}"),
            WorkflowQueryFailedException query => (ExitRefused, $"error: the window could not answer: {query.Message}"),
            OperationCanceledException or WorkflowUpdateRpcTimeoutOrCanceledException =>
                (ExitUnavailable, $"error: no worker answered for '{windowId}' within --timeout; is the worker running on the window's task queue (--task-queue / Temporal__TaskQueue)?"),
            RpcException { Code: RpcException.StatusCode.DeadlineExceeded } =>
                (ExitUnavailable, $"error: no worker answered for '{windowId}' in time; is the worker running on the window's task queue?"),
            RpcException rpc => (ExitUnavailable, $"error: Temporal answered {rpc.Code}: {rpc.Message}"),
            _ => (0, string.Empty),
        };
        if (exitCode == 0)
        {
            return false;
        }
        error.WriteLine(message);
        return true;
    }

    /// <summary>Accepts a plan id or a workflow id.</summary>
    public static string WindowId(string idOrPlanId) =>
        idOrPlanId.StartsWith("maint-", StringComparison.Ordinal) ? idOrPlanId : Workflows.MaintenanceWindowInput.WorkflowIdFor(idOrPlanId);
}
