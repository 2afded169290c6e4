using System.CommandLine;
using MaintenanceWorkflows.Workflows;
using MaintenanceWorkflows.Workflows.Plans;

namespace MaintenanceWorkflows.Starter.Commands;

/// <summary>The operator CLI. Each command lives in its own XCommand.cs with a static Create(output, error).</summary>
public static class StarterCli
{
    public static RootCommand Build(TextWriter output, TextWriter error)
    {
        var root = new RootCommand("MaintenanceWorkflows starter: validate, preview and run maintenance windows.");
        root.Subcommands.Add(ValidateCommand.Create(output, error));
        root.Subcommands.Add(PreviewCommand.Create(output, error));
        root.Subcommands.Add(ScheduleCommand.Create(output, error));
        root.Subcommands.Add(VoteCommand.Create(VoteDecision.Approve, output, error));
        root.Subcommands.Add(VoteCommand.Create(VoteDecision.Reject, output, error));
        root.Subcommands.Add(ConfirmRequestCommand.Create(output, error));
        root.Subcommands.Add(AckCommand.Create(output, error));
        root.Subcommands.Add(ContinueRolloutCommand.Create(output, error));
        root.Subcommands.Add(ControlCommand.Create(WindowHandlers.Abort, "Stop a window: cancel it before it starts, or roll back what ran.", output, error));
        root.Subcommands.Add(ControlCommand.Create(WindowHandlers.Pause, "Hold a running window before its next step.", output, error));
        root.Subcommands.Add(ControlCommand.Create(WindowHandlers.Resume, "Continue a paused window.", output, error));
        root.Subcommands.Add(ExtendWindowCommand.Create(output, error));
        root.Subcommands.Add(StatusCommand.Create(output, error));
        root.Subcommands.Add(ListCommand.Create(output, error));
        root.Subcommands.Add(PostmortemCommand.Create(output, error));
        root.Subcommands.Add(DemoCommand.Create(output, error));
        root.Subcommands.Add(SlotsCommand.Create(output, error));
        root.Subcommands.Add(CalendarCommand.Create(output, error));
        root.Options.Add(Connection.AddressOption);
        root.Options.Add(Connection.NamespaceOption);
        root.Options.Add(Connection.TaskQueueOption);
        root.Options.Add(WindowArguments.WorkerTimeout);
        return root;
    }

    /// <param name="ct">Cancelled like Ctrl+C (tests stop `demo --ui` with it).</param>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken ct = default)
    {
        var root = Build(output, error);
        var parsed = root.Parse(args);
        try
        {
            return await parsed.InvokeAsync(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false }, ct);
        }
#pragma warning disable CA1031 // The CLI's last line of defence: a message, never a stack trace (unless asked for).
        catch (Exception e)
#pragma warning restore CA1031
        {
            error.WriteLine($"error: {e.GetType().Name}: {e.Message}");
            if (Environment.GetEnvironmentVariable("STARTER_DEBUG") is { Length: > 0 })
            {
                error.WriteLine(e);
            }
            else
            {
                error.WriteLine("  (set STARTER_DEBUG=1 to see the details)");
            }
            return UnexpectedError;
        }
    }

    /// <summary>Exit code for a failure no command anticipated.</summary>
    public const int UnexpectedError = 70;
}
