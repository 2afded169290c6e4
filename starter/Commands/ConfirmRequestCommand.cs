using System.CommandLine;
using MaintenanceWorkflows.Workflows;
using Temporalio.Client;

namespace MaintenanceWorkflows.Starter.Commands;

/// <summary>`starter confirm WINDOW --by NAME --code CODE [--signal]`: the requester confirms they asked for the window.</summary>
public static class ConfirmRequestCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var window = WindowArguments.Window();
        var by = WindowArguments.By(required: true);
        var code = new Option<string?>("--code")
        {
            Description = "Your confirm code from the approval-codes email (k1-XXXX-XXXX-XXXX-XXXX); only the window's requester received it.",
        };
        var viaSignal = WindowArguments.ViaSignal();
        var command = new Command("confirm", "Confirm, as its requester, that you asked for a window; its votes count only after that (policy requesterConfirms).")
        {
            window, by, code, viaSignal,
        };
        command.SetAction((parse, _) => RunAsync(parse, parse.GetValue(window)!, parse.GetValue(by)!, parse.GetValue(code), parse.GetValue(viaSignal), output, error));
        return command;
    }

    public static async Task<int> RunAsync(ParseResult parse, string window, string by, string? code, bool viaSignal, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(output);
        var client = await Connection.ConnectAsync(parse, error);
        if (client is null)
        {
            return Connection.ExitUnavailable;
        }
        var windowId = Connection.WindowId(window);
        var handle = client.GetWorkflowHandle<MaintenanceWindowWorkflow>(windowId);
        var confirmation = new Workflows.ConfirmCommand { By = by, Code = code };
        using var answer = WindowArguments.AnswerDeadline(parse);
        try
        {
            if (viaSignal)
            {
                await handle.SignalAsync(WindowHandlers.Confirm, [confirmation]);
                output.WriteLine($"sent {WindowHandlers.Confirm} from {by} to {windowId}; check `starter status {windowId}` for refusals.");
                return 0;
            }
            var receipt = await handle.ExecuteUpdateAsync(
                wf => wf.SubmitConfirmationAsync(confirmation),
                new WorkflowUpdateOptions { Rpc = new RpcOptions { CancellationToken = answer.Token } });
            var status = receipt.Status;
            output.WriteLine(
                $"{windowId}: the request is confirmed by its requester {receipt.By}; " +
                (status.Approved ? "the window is approved." : $"{status.Approvals}/{status.Required} approvals{(status.MissingGates.Count > 0 ? $", waiting for gate(s) {string.Join(", ", status.MissingGates.Select(g => $"{g.Id} ({string.Join(" or ", g.Approvers)})"))}" : string.Empty)}."));
            return 0;
        }
        catch (Exception e) when (Connection.TryExplain(e, windowId, error, out var exit))
        {
            return exit;
        }
    }
}
