using System.CommandLine;
using MaintenanceWorkflows.Workflows;
using Temporalio.Client;

namespace MaintenanceWorkflows.Starter.Commands;

/// <summary>`starter ack WINDOW ITEM --by NAME [--note TEXT] [--signal]`: a manual checklist item or manual step is done.</summary>
public static class AckCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var window = WindowArguments.Window();
        var item = new Argument<string>("item") { Description = "Checklist item id or manual step id." };
        var by = WindowArguments.By(required: true);
        var note = new Option<string?>("--note") { Description = "Evidence or remarks, recorded in the report." };
        var viaSignal = WindowArguments.ViaSignal();
        var command = new Command("ack", "Acknowledge a manual checklist item (while its phase is open: before, during or after the work) or a manual step (while it waits).") { window, item, by, note, viaSignal };
        command.SetAction((parse, _) => RunAsync(parse, parse.GetValue(window)!, parse.GetValue(item)!, parse.GetValue(by)!, parse.GetValue(note), parse.GetValue(viaSignal), output, error));
        return command;
    }

    public static async Task<int> RunAsync(ParseResult parse, string window, string item, string by, string? note, bool viaSignal, TextWriter output, TextWriter error)
    {
        var client = await Connection.ConnectAsync(parse, error);
        if (client is null)
        {
            return Connection.ExitUnavailable;
        }
        var windowId = Connection.WindowId(window);
        var handle = client.GetWorkflowHandle<MaintenanceWindowWorkflow>(windowId);
        var ack = new Acknowledgement { Item = item, By = by, Note = note };
        using var answer = WindowArguments.AnswerDeadline(parse);
        try
        {
            if (viaSignal)
            {
                await handle.SignalAsync(WindowHandlers.Acknowledge, [ack]);
                output.WriteLine($"sent Acknowledge of '{item}' from {by} to {windowId}; check `starter status {windowId}` for refusals.");
                return 0;
            }
            var receipt = await handle.ExecuteUpdateAsync(
                wf => wf.SubmitAcknowledgementAsync(ack),
                new WorkflowUpdateOptions { Rpc = new RpcOptions { CancellationToken = answer.Token } });
            output.WriteLine($"{windowId}: '{receipt.Item}' acknowledged by {receipt.By} at {receipt.At:u}.");
            return 0;
        }
        catch (Exception e) when (Connection.TryExplain(e, windowId, error, out var exit))
        {
            return exit;
        }
    }
}
