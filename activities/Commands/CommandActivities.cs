using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using MaintenanceWorkflows.Activities.Redaction;
using MaintenanceWorkflows.Workflows.Contracts;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Temporalio.Activities;
using Temporalio.Exceptions;

namespace MaintenanceWorkflows.Activities.Commands;

/// <summary>
/// Runs allow-listed runbook commands: no shell, validated placeholders, a minimal environment, bounded
/// output, heartbeats, and the whole process group killed on timeout or cancellation.
/// </summary>
public sealed partial class CommandActivities(IOptions<CommandsOptions> commands, SecretRedactor redactor)
{
    /// <summary>Variables every command gets from the worker's environment when set; everything else must be allow-listed.</summary>
    public static readonly IReadOnlyList<string> BasicEnvironment = ["PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "USER", "LOGNAME"];

    /// <summary>Where the new session is started from (util-linux), so a timeout can kill every process the command left.</summary>
    private const string SetsidPath = "/usr/bin/setsid";

    /// <summary>After the command exits, how long its output may still drain before a background process holding it open is ignored.</summary>
    private static readonly TimeSpan DrainGrace = TimeSpan.FromSeconds(1);

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
                $"Command '{Clip(input.Command)}' of step '{Clip(input.StepId)}' is not in this worker's allow-list; {allowed}.",
                ActivityErrorTypes.UnknownName,
                nonRetryable: true);
        }

        var arguments = BuildArguments(input, settings);
        await RefuseRerunAsync(input, settings, context);
        if (!File.Exists(settings.Executable))
        {
            throw new ApplicationFailureException($"Command '{input.Command}' could not start {settings.Executable}: the file does not exist. Fix Commands:{input.Command}:Executable on the worker.", ActivityErrorTypes.InvalidInput, nonRetryable: true);
        }

        var ownGroup = OperatingSystem.IsLinux() && File.Exists(SetsidPath);
        var start = new ProcessStartInfo(ownGroup ? SetsidPath : settings.Executable!)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = string.IsNullOrWhiteSpace(settings.WorkingDirectory) ? Environment.CurrentDirectory : settings.WorkingDirectory,
        };
        if (ownGroup)
        {
            start.ArgumentList.Add(settings.Executable!);
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        ApplyEnvironment(start.Environment, settings);

        var output = new OutputTail(settings, line => logger.LogInformation("[{Command}] {Line}", input.Command, line), redactor);
        logger.LogInformation("Running command {Command} for step {Step}: {Executable} with {Count} arguments", input.Command, input.StepId, settings.Executable, arguments.Count);
        var stopwatch = Stopwatch.StartNew();
        using var process = new Process { StartInfo = start, EnableRaisingEvents = true };

        // Recorded before the process exists: a later attempt that sees this knows the command may have run.
        context.Heartbeat(new CommandProgress(input.Command, TimeSpan.Zero, 0));
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new ApplicationFailureException($"Command '{input.Command}' could not start {settings.Executable}: {e.Message}. Fix Commands:{input.Command}:Executable on the worker.", ActivityErrorTypes.InvalidInput, nonRetryable: true);
        }

        process.StandardInput.Close();
        var readers = Task.WhenAll(
            output.ReadAsync(process.StandardOutput, "out"),
            output.ReadAsync(process.StandardError, "err"));

        using var timeout = new CancellationTokenSource(settings.Timeout);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, timeout.Token);

        // Only the command itself is awaited: a background child still holding the output open does not keep it "running".
        var exited = process.WaitForExitAsync(stop.Token);
        try
        {
            while (!exited.IsCompleted)
            {
                var interval = Task.Delay(settings.HeartbeatInterval, stop.Token);
                await Task.WhenAny(exited, interval);
                if (!exited.IsCompleted && !stop.IsCancellationRequested)
                {
                    context.Heartbeat(new CommandProgress(input.Command, stopwatch.Elapsed, output.LineCount));
                }
            }

            await exited;
        }
        catch (OperationCanceledException)
        {
            await KillGroupAsync(process, ownGroup);
            await Task.WhenAny(readers, Task.Delay(DrainGrace, CancellationToken.None));
            if (timeout.IsCancellationRequested && !context.CancellationToken.IsCancellationRequested)
            {
                throw new ApplicationFailureException(
                    $"Command '{input.Command}' of step '{input.StepId}' ran longer than its {settings.Timeout} timeout; it and every process it started were killed.",
                    ActivityErrorTypes.CommandTimedOut,
                    nonRetryable: true,
                    details: [new RunCommandResult(input.StepId, input.Command, -1, stopwatch.Elapsed, output.Snapshot())]);
            }

            logger.LogWarning("Command {Command} cancelled; its process group was killed", input.Command);
            throw;
        }

        if (await Task.WhenAny(readers, Task.Delay(DrainGrace, CancellationToken.None)) != readers)
        {
            logger.LogWarning("Command {Command} exited with {ExitCode} but a process it started still holds its output open; judged by the exit code", input.Command, process.ExitCode);
        }

        var result = new RunCommandResult(input.StepId, input.Command, process.ExitCode, stopwatch.Elapsed, output.Snapshot());
        logger.LogInformation("Command {Command} exited with {ExitCode} after {Duration}", input.Command, result.ExitCode, result.Duration);
        return result;
    }

    /// <summary>The child's environment: the basics, the allow-listed worker variables, the command's own; nothing else of the worker's.</summary>
    internal static void ApplyEnvironment(IDictionary<string, string?> environment, CommandOptions settings)
    {
        var inherited = environment.ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);
        environment.Clear();
        foreach (var name in BasicEnvironment.Concat(settings.PassEnvironment))
        {
            if (inherited.TryGetValue(name, out var value) && value is not null)
            {
                environment[name] = value;
            }
        }

        foreach (var (key, value) in settings.Environment)
        {
            environment[key] = value;
        }
    }

    /// <summary>
    /// A command declared <c>Idempotent: false</c> runs at most once per step: any later attempt follows one that
    /// recorded (heartbeat) that it was about to start the process, or died before saying, so it stops for a human.
    /// </summary>
    private static async Task RefuseRerunAsync(RunCommandInput input, CommandOptions settings, ActivityExecutionContext context)
    {
        if (settings.Idempotent || context.Info.Attempt <= 1)
        {
            return;
        }

        var known = "no heartbeat arrived from it, so it may have started the command before the worker stopped";
        if (context.Info.HeartbeatDetails.Count > 0)
        {
            var progress = await context.Info.HeartbeatDetailAtAsync<CommandProgress>(0);
            known = $"it started the command and was last heard from {progress.Elapsed.TotalSeconds:0} s in, after {progress.Lines} output lines";
        }

        throw new ApplicationFailureException(
            $"Command '{input.Command}' of step '{input.StepId}' must not run twice (Commands:{input.Command}:Idempotent is false) and attempt {context.Info.Attempt} follows one that did not finish: {known}. "
            + "It was NOT run again. Check on the host whether it completed, finish or undo it by hand, then acknowledge or abort the window.",
            ActivityErrorTypes.CommandNotRerun,
            nonRetryable: true);
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
            throw Invalid($"Step '{input.StepId}': command '{input.Command}' has no placeholder {string.Join(", ", unknown.Select(Clip))}; {known}.");
        }

        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in declared)
        {
            if (!given.TryGetValue(name, out var value) && !settings.Defaults.TryGetValue(name, out value))
            {
                throw Invalid($"Step '{input.StepId}': command '{input.Command}' needs a value for placeholder '{name}' (args: {{ {name}: ... }}).");
            }

            var pattern = settings.Placeholders.GetValueOrDefault(name, CommandOptions.DefaultPlaceholderPattern);
            if (PlaceholderProblem(value, pattern) is { } problem)
            {
                throw Invalid($"Step '{input.StepId}': value '{Clip(value)}' for placeholder '{name}' of command '{input.Command}' {problem}.");
            }

            values[name] = value;
        }

        return [.. settings.Arguments.Select(a => PlaceholderRegex().Replace(a, m => values[m.Groups[1].Value]))];
    }

    /// <summary>
    /// Null when <paramref name="value"/> may fill a placeholder: matches the pattern from its very start to its very
    /// end (\A..\z, so a trailing newline cannot slip past $), has no control characters, no '..' path segment, and
    /// does not start with '-' (an option for the program) unless the pattern itself starts with a dash.
    /// </summary>
    internal static string? PlaceholderProblem(string value, string pattern)
    {
        if (value.Any(char.IsControl))
        {
            return "contains a newline or another control character";
        }

        if (value.StartsWith('-') && !(pattern.StartsWith('-') || pattern.StartsWith(@"\-", StringComparison.Ordinal)))
        {
            return "starts with '-', which the program would read as an option (write the pattern with a leading dash to allow it)";
        }

        if (value.Split('/', '\\').Any(segment => segment == ".."))
        {
            return "contains a '..' path segment";
        }

        try
        {
            if (!Regex.IsMatch(value, $@"\A(?:{pattern})\z", RegexOptions.None, TimeSpan.FromSeconds(1)))
            {
                return $"does not match /{pattern}/";
            }
        }
        catch (RegexMatchTimeoutException)
        {
            return $"took too long to match /{pattern}/";
        }

        return null;
    }

    private static ApplicationFailureException Invalid(string message) => new(message, ActivityErrorTypes.InvalidInput, nonRetryable: true);

    private static string Clip(string? text) => text is null ? string.Empty : text.Length <= 200 ? text : text[..200] + $"… ({text.Length} characters)";

    /// <summary>Kills the command's whole process group (setsid made it the leader), so detached children die too.</summary>
    private static async Task KillGroupAsync(Process process, bool ownGroup)
    {
        if (ownGroup)
        {
            using var kill = Process.Start(new ProcessStartInfo("/bin/kill") { ArgumentList = { "-KILL", "--", "-" + process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) }, UseShellExecute = false, RedirectStandardError = true });
            if (kill is not null)
            {
                await kill.WaitForExitAsync(CancellationToken.None);
            }
        }

        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited (the group kill got it).
        }

        await process.WaitForExitAsync(CancellationToken.None);
    }

    [GeneratedRegex(@"\{([A-Za-z_][A-Za-z0-9_-]*)\}")]
    private static partial Regex PlaceholderRegex();

    /// <summary>The last lines of a command's output, each cut to a maximum length; reading never holds more than one capped line.</summary>
    private sealed class OutputTail(CommandOptions settings, Action<string> log, SecretRedactor redactor)
    {
        private readonly Queue<string> tail = new();
        private readonly Lock gate = new();
        private int lineCount;

        public int LineCount
        {
            get
            {
                lock (gate)
                {
                    return lineCount;
                }
            }
        }

        public List<string> Snapshot()
        {
            lock (gate)
            {
                return [.. tail];
            }
        }

        public async Task ReadAsync(StreamReader reader, string stream)
        {
            var max = Math.Max(80, settings.MaxLineLength);
            var line = new StringBuilder();
            var dropped = 0L;
            var buffer = new char[8192];
            int read;
            while ((read = await reader.ReadAsync(buffer, CancellationToken.None)) > 0)
            {
                for (var i = 0; i < read; i++)
                {
                    var c = buffer[i];
                    if (c == '\n')
                    {
                        Add(line, dropped, stream);
                        line.Clear();
                        dropped = 0;
                    }
                    else if (c != '\r')
                    {
                        if (line.Length < max)
                        {
                            line.Append(c);
                        }
                        else
                        {
                            dropped++;
                        }
                    }
                }
            }

            if (line.Length > 0 || dropped > 0)
            {
                Add(line, dropped, stream);
            }
        }

        private void Add(StringBuilder line, long dropped, string stream)
        {
            var text = redactor.Redact(line.ToString()) + (dropped > 0 ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $" … [{dropped:N0} more characters cut]") : string.Empty);
            bool logIt;
            lock (gate)
            {
                lineCount++;
                logIt = lineCount <= settings.MaxLoggedLines;
                tail.Enqueue(text);
                while (tail.Count > Math.Max(1, settings.TailLines))
                {
                    tail.Dequeue();
                }
            }

            if (logIt)
            {
                log(stream == "err" ? "(stderr) " + text : text);
            }
        }
    }
}

/// <summary>Heartbeat details while a command runs.</summary>
/// <param name="Command">Command name.</param>
/// <param name="Elapsed">Time since start.</param>
/// <param name="Lines">Output lines so far.</param>
public sealed record CommandProgress(string Command, TimeSpan Elapsed, int Lines);
