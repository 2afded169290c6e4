using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace MaintenanceWorkflows.Activities.Commands;

/// <summary>Checks the allow-list at start-up so a typo fails the worker, not a window at 02:00.</summary>
public sealed class CommandsOptionsValidator : IValidateOptions<CommandsOptions>
{
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

            if (settings.HeartbeatInterval <= TimeSpan.Zero)
            {
                failures.Add($"{prefix}:HeartbeatInterval must be positive, e.g. 00:00:10.");
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
