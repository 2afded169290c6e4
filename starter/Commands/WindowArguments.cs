using System.CommandLine;

namespace MaintenanceWorkflows.Starter.Commands;

/// <summary>Arguments shared by the commands that steer a running window.</summary>
public static class WindowArguments
{
    /// <summary>Updates wait for the worker's answer; without a worker they would wait forever.</summary>
    public static readonly TimeSpan WorkerAnswerTimeout = TimeSpan.FromSeconds(30);

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
