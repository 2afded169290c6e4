using System.Diagnostics;
using System.Text.RegularExpressions;
using MaintenanceWorkflows.Workflows.Contracts;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Temporalio.Activities;
using Temporalio.Exceptions;

namespace MaintenanceWorkflows.Activities.Commands;

/// <summary>Runs allow-listed runbook commands: no shell, validated placeholders, heartbeats, tree kill on cancel.</summary>
public sealed partial class CommandActivities(IOptions<CommandsOptions> commands)
{
    [Activity(ActivityNames.RunCommand)]
    public async Task<RunCommandResult> RunCommandAsync(RunCommandInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var context = ActivityExecutionContext.Current;
        var logger = context.Logger;
        if (string.IsNullOrWhiteSpace(input.Command) || !commands.Value.TryGetValue(input.Command, out var settings))
        {
            var allowed = commands.Value.Count == 0 ? "no commands are configured (Commands:<name>)" : "allowed: " + string.Join(", ", commands.Value.Keys.Order(StringComparer.Ordinal));
            throw new ApplicationFailureException(
                $"Command '{input.Command}' of step '{input.StepId}' is not in this worker's allow-list; {allowed}.",
                ActivityErrorTypes.UnknownName,
                nonRetryable: true);
        }

        var arguments = BuildArguments(input, settings);
        var start = new ProcessStartInfo(settings.Executable!)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = string.IsNullOrWhiteSpace(settings.WorkingDirectory) ? Environment.CurrentDirectory : settings.WorkingDirectory,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in settings.Environment)
        {
            start.Environment[key] = value;
        }

        var tail = new Queue<string>();
        var lineCount = 0;
        var gate = new object();
        void OnLine(string? line, string stream)
        {
            if (line is null)
            {
                return;
            }

            lock (gate)
            {
                lineCount++;
                tail.Enqueue(line);
                while (tail.Count > Math.Max(1, settings.TailLines))
                {
                    tail.Dequeue();
                }
            }

            logger.LogInformation("[{Command} {Stream}] {Line}", input.Command, stream, line);
        }

        logger.LogInformation("Running command {Command} for step {Step}: {Executable} with {Count} arguments", input.Command, input.StepId, settings.Executable, arguments.Count);
        var stopwatch = Stopwatch.StartNew();
        using var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => OnLine(e.Data, "out");
        process.ErrorDataReceived += (_, e) => OnLine(e.Data, "err");
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new ApplicationFailureException($"Command '{input.Command}' could not start {settings.Executable}: {e.Message}. Fix Commands:{input.Command}:Executable on the worker.", ActivityErrorTypes.InvalidInput, nonRetryable: true);
        }

        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var timeout = new CancellationTokenSource(settings.Timeout);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, timeout.Token);
        var exited = process.WaitForExitAsync(stop.Token);
        try
        {
            while (!exited.IsCompleted)
            {
                var interval = Task.Delay(settings.HeartbeatInterval, stop.Token);
                await Task.WhenAny(exited, interval);
                if (!exited.IsCompleted && !stop.IsCancellationRequested)
                {
                    int count;
                    lock (gate)
                    {
                        count = lineCount;
                    }

                    context.Heartbeat(new CommandProgress(input.Command, stopwatch.Elapsed, count));
                }
            }

            await exited;
        }
        catch (OperationCanceledException)
        {
            KillTree(process);
            await process.WaitForExitAsync(CancellationToken.None);
            if (timeout.IsCancellationRequested && !context.CancellationToken.IsCancellationRequested)
            {
                throw new ApplicationFailureException(
                    $"Command '{input.Command}' of step '{input.StepId}' ran longer than its {settings.Timeout} timeout and was killed.",
                    ActivityErrorTypes.CommandTimedOut,
                    nonRetryable: true,
                    details: [new RunCommandResult(input.StepId, input.Command, -1, stopwatch.Elapsed, Snapshot(tail, gate))]);
            }

            logger.LogWarning("Command {Command} cancelled; process tree killed", input.Command);
            throw;
        }

        // WaitForExitAsync returns once the redirected streams are drained, so the tail is complete here.
        var result = new RunCommandResult(input.StepId, input.Command, process.ExitCode, stopwatch.Elapsed, Snapshot(tail, gate));
        logger.LogInformation("Command {Command} exited with {ExitCode} after {Duration}", input.Command, result.ExitCode, result.Duration);
        return result;
    }

    /// <summary>Fills <c>{name}</c> placeholders; every value is checked against its pattern, unknown names are refused.</summary>
    internal static List<string> BuildArguments(RunCommandInput input, CommandOptions settings)
    {
        var given = input.Arguments ?? new Dictionary<string, string>();
        var declared = settings.Arguments.SelectMany(a => PlaceholderRegex().Matches(a).Select(m => m.Groups[1].Value)).ToHashSet(StringComparer.Ordinal);
        var unknown = given.Keys.Where(k => !declared.Contains(k)).Order(StringComparer.Ordinal).ToList();
        if (unknown.Count > 0)
        {
            var known = declared.Count == 0 ? "it takes none" : "it takes: " + string.Join(", ", declared.Order(StringComparer.Ordinal));
            throw Invalid($"Step '{input.StepId}': command '{input.Command}' has no placeholder {string.Join(", ", unknown)}; {known}.");
        }

        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in declared)
        {
            if (!given.TryGetValue(name, out var value) && !settings.Defaults.TryGetValue(name, out value))
            {
                throw Invalid($"Step '{input.StepId}': command '{input.Command}' needs a value for placeholder '{name}' (args: {{ {name}: ... }}).");
            }

            var pattern = settings.Placeholders.GetValueOrDefault(name, CommandOptions.DefaultPlaceholderPattern);
            if (!Regex.IsMatch(value, $"^(?:{pattern})$", RegexOptions.None, TimeSpan.FromSeconds(1)))
            {
                throw Invalid($"Step '{input.StepId}': value '{value}' for placeholder '{name}' of command '{input.Command}' does not match /{pattern}/.");
            }

            values[name] = value;
        }

        return [.. settings.Arguments.Select(a => PlaceholderRegex().Replace(a, m => values[m.Groups[1].Value]))];
    }

    private static ApplicationFailureException Invalid(string message) => new(message, ActivityErrorTypes.InvalidInput, nonRetryable: true);

    private static List<string> Snapshot(Queue<string> tail, object gate)
    {
        lock (gate)
        {
            return [.. tail];
        }
    }

    private static void KillTree(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
    }

    [GeneratedRegex(@"\{([A-Za-z_][A-Za-z0-9_-]*)\}")]
    private static partial Regex PlaceholderRegex();
}

/// <summary>Heartbeat details while a command runs.</summary>
/// <param name="Command">Command name.</param>
/// <param name="Elapsed">Time since start.</param>
/// <param name="Lines">Output lines so far.</param>
public sealed record CommandProgress(string Command, TimeSpan Elapsed, int Lines);
