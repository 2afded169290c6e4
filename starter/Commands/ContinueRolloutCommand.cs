using System.CommandLine;
using MaintenanceWorkflows.Workflows;
using MaintenanceWorkflows.Workflows.Rollout;
using Temporalio.Client;

namespace MaintenanceWorkflows.Starter.Commands;

/// <summary>`starter continue WINDOW --step STEP --by NAME --code CODE [--comment TEXT] [--signal]`: opens a rollout's continue gate.</summary>
public static class ContinueRolloutCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var window = WindowArguments.Window();
        var step = new Option<string>("--step") { Description = "Id of the rollout step whose continue gate is waiting (see `starter status`).", Required = true };
        var by = WindowArguments.By(required: true);
        var code = new Option<string?>("--code")
        {
            Description = "Your continue code for this gate from the email the worker sent you (k1-XXXX-XXXX-XXXX-XXXX); it opens only this gate.",
        };
        var comment = new Option<string?>("--comment") { Description = "Why; recorded in the rollout's notes." };
        var viaSignal = WindowArguments.ViaSignal();
        var command = new Command("continue", "Let a rollout go on to its next wave, as one of the window's approvers.")
        {
            window, step, by, code, comment, viaSignal,
        };
        command.SetAction((parse, _) => RunAsync(
            parse, parse.GetValue(window)!, parse.GetValue(step)!, new(parse.GetValue(by)!, parse.GetValue(code), parse.GetValue(comment)), parse.GetValue(viaSignal), output, error));
        return command;
    }

    public static async Task<int> RunAsync(ParseResult parse, string window, string step, Ballot ballot, bool viaSignal, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(ballot);
        ArgumentNullException.ThrowIfNull(output);
        var client = await Connection.ConnectAsync(parse, error);
        if (client is null)
        {
            return Connection.ExitUnavailable;
        }
        var windowId = Connection.WindowId(window);
        var rolloutId = FleetRolloutWorkflow.IdFor(windowId, step);
        var handle = client.GetWorkflowHandle<FleetRolloutWorkflow>(rolloutId);
        var continuation = new ContinueCommand { By = ballot.By, Code = ballot.Code, Comment = ballot.Comment };
        using var answer = WindowArguments.AnswerDeadline(parse);
        try
        {
            if (viaSignal)
            {
                await handle.SignalAsync(RolloutHandlers.Continue, [continuation]);
                output.WriteLine($"sent {RolloutHandlers.Continue} from {ballot.By} to {rolloutId}; check `starter status {windowId}` for refusals.");
                return 0;
            }
            var receipt = await handle.ExecuteUpdateAsync(
                wf => wf.SubmitContinueAsync(continuation),
                new WorkflowUpdateOptions { Rpc = new RpcOptions { CancellationToken = answer.Token } });
            output.WriteLine($"{windowId}: rollout '{receipt.StepId}' continued by {receipt.By} after wave {receipt.AfterWave}; {receipt.Status}.");
            return 0;
        }
        catch (Exception e) when (Connection.TryExplain(e, windowId, error, out var exit))
        {
            if (exit == Connection.ExitNotFound)
            {
                error.WriteLine($"  (no rollout '{step}' has started in {windowId}: check the step id and that the window reached it)");
            }
            return exit;
        }
    }
}
