using System.CommandLine;
using MaintenanceWorkflows.Workflows;
using MaintenanceWorkflows.Workflows.Plans;
using Temporalio.Client;

namespace MaintenanceWorkflows.Starter.Commands;

/// <summary>`starter approve|reject WINDOW --by NAME --code CODE [--comment TEXT] [--signal]`.</summary>
public static class VoteCommand
{
    public static Command Create(VoteDecision decision, TextWriter output, TextWriter error)
    {
        var window = WindowArguments.Window();
        var by = WindowArguments.By(required: true);
        var comment = new Option<string?>("--comment") { Description = "Why; recorded in the window's history and report." };
        var code = new Option<string?>("--code")
        {
            Description = $"Your {(decision == VoteDecision.Approve ? "approve" : "reject")} code from the approval email (k1-XXXX-XXXX-XXXX-XXXX); only you received it, and it works once, for this window.",
        };
        var viaSignal = WindowArguments.ViaSignal();
        var name = decision == VoteDecision.Approve ? "approve" : "reject";
        var command = new Command(name, $"{(decision == VoteDecision.Approve ? "Approve" : "Reject")} a maintenance window as one of its approvers.")
        {
            window, by, code, comment, viaSignal,
        };
        command.SetAction((parse, _) => RunAsync(
            parse, decision, parse.GetValue(window)!, new(parse.GetValue(by)!, parse.GetValue(code), parse.GetValue(comment)), parse.GetValue(viaSignal), output, error));
        return command;
    }

    public static async Task<int> RunAsync(
        ParseResult parse, VoteDecision decision, string window, Ballot ballot, bool viaSignal, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(ballot);
        var (by, code, comment) = ballot;
        var client = await Connection.ConnectAsync(parse, error);
        if (client is null)
        {
            return Connection.ExitUnavailable;
        }
        var windowId = Connection.WindowId(window);
        var handle = client.GetWorkflowHandle<MaintenanceWindowWorkflow>(windowId);
        using var answer = WindowArguments.AnswerDeadline(parse);
        try
        {
            if (viaSignal)
            {
                var signal = decision == VoteDecision.Approve ? WindowHandlers.Approve : WindowHandlers.Reject;
                await handle.SignalAsync(signal, [new ApprovalSignal { Approver = by, Code = code, Comment = comment }]);
                output.WriteLine($"sent {signal} from {by} to {windowId}; check `starter status {windowId}` for refusals.");
                return 0;
            }
            var receipt = await handle.ExecuteUpdateAsync(
                wf => wf.SubmitApprovalAsync(new ApprovalVote { Approver = by, Decision = decision, Comment = comment, Code = code }),
                new WorkflowUpdateOptions { Rpc = new RpcOptions { CancellationToken = answer.Token } });
            var status = receipt.Status;
            output.WriteLine(
                $"{windowId}: {decision.ToString().ToLowerInvariant()} by {receipt.Vote.Approver} recorded; " +
                (status.Rejected ? "the window is rejected." :
                 status.Approved ? "the window is approved." :
                 $"{status.Approvals}/{status.Required} approvals{(status.MissingGates.Count > 0 ? $", waiting for gate(s) {string.Join(", ", status.MissingGates.Select(g => $"{g.Id} ({string.Join(" or ", g.Approvers)})"))}" : string.Empty)}."));
            return 0;
        }
        catch (Exception e) when (Connection.TryExplain(e, windowId, error, out var exit))
        {
            return exit;
        }
    }
}

/// <summary>Who votes, with which proof code, and why.</summary>
/// <param name="By">Approver id.</param>
/// <param name="Code">Proof code from the approval email.</param>
/// <param name="Comment">Why.</param>
public sealed record Ballot(string By, string? Code, string? Comment);
