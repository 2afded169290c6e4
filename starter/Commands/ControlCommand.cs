using System.CommandLine;
using MaintenanceWorkflows.Workflows;

namespace MaintenanceWorkflows.Starter.Commands;

/// <summary>`starter abort|pause|resume WINDOW [--by NAME] [--reason TEXT]`: operator controls, sent as signals.</summary>
public static class ControlCommand
{
    public static Command Create(string signal, string description, TextWriter output, TextWriter error)
    {
        var window = WindowArguments.Window();
        var by = WindowArguments.By(required: false);
        var reason = new Option<string?>("--reason") { Description = "Why; recorded in the window's history and report." };
        var command = new Command(signal.ToLowerInvariant(), description) { window, by, reason };
        command.SetAction((parse, _) => RunAsync(parse, signal, parse.GetValue(window)!, parse.GetValue(by) ?? Environment.UserName, parse.GetValue(reason), output, error));
        return command;
    }

    public static async Task<int> RunAsync(ParseResult parse, string signal, string window, string by, string? reason, TextWriter output, TextWriter error)
    {
        var client = await Connection.ConnectAsync(parse, error);
        if (client is null)
        {
            return Connection.ExitUnavailable;
        }
        var windowId = Connection.WindowId(window);
        try
        {
            await client.GetWorkflowHandle(windowId).SignalAsync(signal, [new OperatorCommand { By = by, Reason = reason }]);
            output.WriteLine($"sent {signal} from {by} to {windowId}; follow it with `starter status {windowId}`.");
            return 0;
        }
        catch (Exception e) when (Connection.TryExplain(e, windowId, error, out var exit))
        {
            return exit;
        }
    }
}
