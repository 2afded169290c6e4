using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace MaintenanceWorkflows.Activities.Commands;

/// <summary>Checks the allow-list at start-up so a typo fails the worker, not a window at 02:00.</summary>
public sealed class CommandsOptionsValidator : IValidateOptions<CommandsOptions>
{
    /// <summary>Half the heartbeat timeout the workflow gives command steps.</summary>
    public static readonly TimeSpan MaxHeartbeatInterval = TimeSpan.FromSeconds(30);

    /// <summary>Keeps a command's result far below Temporal's 2 MiB payload limit.</summary>
    public const int MaxTailCharacters = 100_000;

    public ValidateOptionsResult Validate(string? name, CommandsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        foreach (var (command, settings) in options)
        {
            var prefix = $"Commands:{command}";
            if (string.IsNullOrWhiteSpace(settings.Executable) || !Path.IsPathFullyQualified(settings.Executable))
            {
                failures.Add($"{prefix}:Executable must be an absolute path (got '{settings.Executable}'), e.g. /usr/local/bin/patch-host.");
            }

            if (settings.Timeout <= TimeSpan.Zero)
            {
                failures.Add($"{prefix}:Timeout must be positive, e.g. 00:10:00.");
            }

            if (settings.HeartbeatInterval <= TimeSpan.Zero || settings.HeartbeatInterval > MaxHeartbeatInterval)
            {
                failures.Add($"{prefix}:HeartbeatInterval must be positive and at most {MaxHeartbeatInterval} (windows time a command out after a minute without a heartbeat), e.g. 00:00:10.");
            }

            if (settings.TailLines < 1 || settings.MaxLineLength < 80 || (long)settings.TailLines * settings.MaxLineLength > MaxTailCharacters)
            {
                failures.Add($"{prefix}: TailLines ({settings.TailLines}) times MaxLineLength ({settings.MaxLineLength}) must be at most {MaxTailCharacters:N0}, with at least 1 line of 80 characters (the tail goes into the window's history).");
            }

            foreach (var variable in settings.PassEnvironment.Where(v => string.IsNullOrWhiteSpace(v) || v.Contains('=', StringComparison.Ordinal)))
            {
                failures.Add($"{prefix}:PassEnvironment entry '{variable}' is not a variable name.");
            }

            if (settings.WorkingDirectory is { Length: > 0 } dir && !Path.IsPathFullyQualified(dir))
            {
                failures.Add($"{prefix}:WorkingDirectory must be an absolute path (got '{dir}').");
            }

            foreach (var (placeholder, pattern) in settings.Placeholders)
            {
                try
                {
                    _ = new Regex(pattern, RegexOptions.None, TimeSpan.FromSeconds(1));
                }
                catch (ArgumentException e)
                {
                    failures.Add($"{prefix}:Placeholders:{placeholder} is not a valid regular expression: {e.Message}");
                }
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
