using System.CommandLine;

namespace MaintenanceWorkflows.Starter.Commands;

/// <summary>Arguments shared by the commands that steer a running window.</summary>
public static class WindowArguments
{
    /// <summary>
    /// Updates and queries need a worker to answer; without one the SDK would keep asking, so the command
    /// gives up after this long (a cancellation, not an RPC deadline, which the SDK retries).
    /// </summary>
    public static Option<TimeSpan> WorkerTimeout { get; } = new("--timeout")
    {
        Description = "How long approve, reject, confirm, continue, ack and status wait for the worker to answer (default 00:00:30).",
        DefaultValueFactory = _ => TimeSpan.FromSeconds(30),
        Recursive = true,
    };

    /// <summary>A cancellation source that fires after the <c>--timeout</c> the operator gave.</summary>
    public static CancellationTokenSource AnswerDeadline(ParseResult parse) => new(parse.GetValue(WorkerTimeout));

    public static Argument<string> Window() => new("window") { Description = "Window id (maint-<plan id>) or plan id." };

    public static Option<string?> By(bool required) => new("--by")
    {
        Description = required ? "Who you are (your approver id from the policy)." : "Who you are (default: your login name).",
        Required = required,
    };

    public static Option<bool> ViaSignal() => new("--signal")
    {
        Description = "Send a signal (fire and forget, as the Temporal UI does) instead of an update that reports refusals at once.",
    };
}
