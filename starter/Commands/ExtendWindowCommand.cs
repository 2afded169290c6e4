using System.CommandLine;
using System.Globalization;
using MaintenanceWorkflows.Workflows;

namespace MaintenanceWorkflows.Starter.Commands;

/// <summary>`starter extend WINDOW --until TIME --by NAME --code CODE [--reason TEXT]`.</summary>
public static class ExtendWindowCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var window = WindowArguments.Window();
        var until = new Option<string>("--until") { Description = "New window end, ISO 8601 with an offset (2026-12-01T12:30:00Z or 2026-12-01T04:30-08:00).", Required = true };
        var by = WindowArguments.By(required: false);
        var reason = new Option<string?>("--reason") { Description = "Why; shown in the extension notice." };
        var code = new Option<string?>("--code") { Description = "Your extend-N code from the approval email (N = the extension's number)." };
        var command = new Command("extend", "Move a window's end later (sends an 'extended' notice).") { window, until, by, code, reason };
        command.SetAction((parse, _) => RunAsync(
            parse, parse.GetValue(window)!, parse.GetValue(until)!, new(parse.GetValue(by) ?? Environment.UserName, parse.GetValue(code), parse.GetValue(reason)), output, error));
        return command;
    }

    public static async Task<int> RunAsync(ParseResult parse, string window, string untilText, Ballot ballot, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(ballot);
        var (by, code, reason) = ballot;
        var hasOffset = untilText.EndsWith('Z') || untilText.EndsWith('z') || (untilText.Length > 6 && untilText[^6] is '+' or '-' && untilText[^3] == ':');
        if (!hasOffset || !DateTimeOffset.TryParse(untilText, CultureInfo.InvariantCulture, DateTimeStyles.None, out var until))
        {
            error.WriteLine($"error: --until '{untilText}' needs a date, time and offset, e.g. 2026-12-01T12:30:00Z or 2026-12-01T04:30:00-08:00.");
            return Connection.ExitUsage;
        }
        var client = await Connection.ConnectAsync(parse, error);
        if (client is null)
        {
            return Connection.ExitUnavailable;
        }
        var windowId = Connection.WindowId(window);
        try
        {
            await client.GetWorkflowHandle(windowId).SignalAsync(WindowHandlers.Extend, [new ExtendCommand { Until = until, By = by, Code = code, Reason = reason }]);
            output.WriteLine($"sent Extend to {until.ToUniversalTime():u} from {by} to {windowId}; `starter status {windowId}` shows the new end (or the refusal).");
            return 0;
        }
        catch (Exception e) when (Connection.TryExplain(e, windowId, error, out var exit))
        {
            return exit;
        }
    }
}
