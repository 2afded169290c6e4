namespace MaintenanceWorkflows.Workflows.Contracts;

/// <summary>
/// Run an allow-listed runbook command. The worker's configuration (<c>Commands:&lt;name&gt;</c>) holds the
/// executable, arguments, working directory, timeout and environment; the plan only names the command
/// and fills placeholders the configuration declares.
/// </summary>
/// <param name="StepId">Step id in the plan.</param>
/// <param name="Command">Configured command name.</param>
/// <param name="Arguments">Values for the command's declared placeholders (<c>{name}</c> in its arguments); each value must match the placeholder's configured pattern.</param>
public sealed record RunCommandInput(
    string StepId,
    string Command,
    IReadOnlyDictionary<string, string>? Arguments);

/// <summary>
/// How the command ended. A non-zero exit is a result (the workflow decides); a timeout, an unknown
/// command or a bad argument is a non-retryable failure.
/// </summary>
/// <param name="StepId">Step id echoed from the input.</param>
/// <param name="Command">Command name.</param>
/// <param name="ExitCode">Process exit code.</param>
/// <param name="Duration">Wall-clock run time.</param>
/// <param name="OutputTail">Last lines of stdout and stderr, interleaved as they arrived.</param>
public sealed record RunCommandResult(
    string StepId,
    string Command,
    int ExitCode,
    TimeSpan Duration,
    IReadOnlyList<string> OutputTail)
{
    /// <summary>Gets a value indicating whether the command exited with code zero.</summary>
    public bool Succeeded => ExitCode == 0;
}
