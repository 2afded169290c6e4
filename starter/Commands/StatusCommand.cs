using System.CommandLine;
using MaintenanceWorkflows.Workflows;
using MaintenanceWorkflows.Workflows.Plans;
using Temporalio.Api.Enums.V1;
using Temporalio.Client;

namespace MaintenanceWorkflows.Starter.Commands;

/// <summary>`starter status WINDOW`: phase, next deadline, approvals, checklist and step progress as a table.</summary>
public static class StatusCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var window = WindowArguments.Window();
        var command = new Command("status", "Show a window's phase, next deadline, approvals, checklist and steps.") { window };
        command.SetAction((parse, _) => RunAsync(parse, parse.GetValue(window)!, output, error));
        return command;
    }

    public static async Task<int> RunAsync(ParseResult parse, string window, TextWriter output, TextWriter error)
    {
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
            var description = await handle.DescribeAsync();
            if (description.Status == WorkflowExecutionStatus.Running)
            {
                var status = await handle.QueryAsync(wf => wf.Status, new WorkflowQueryOptions { Rpc = new RpcOptions { CancellationToken = answer.Token } });
                Write(output, windowId, status);
                return 0;
            }
            if (description.Status == WorkflowExecutionStatus.Completed)
            {
                // A closed window answers from its result, so no worker needs to be running.
                WriteReport(output, windowId, await handle.GetResultAsync<MaintenanceReport>());
                return 0;
            }
            output.WriteLine($"{windowId}: the workflow ended as {description.Status} at {description.CloseTime:u} (no report; see the history in the Temporal UI).");
            return 0;
        }
        catch (Exception e) when (Connection.TryExplain(e, windowId, error, out var exit))
        {
            return exit;
        }
    }

    public static void Write(TextWriter output, string windowId, WindowStatus status)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(status);
        var zone = status.TimeZone;
        output.WriteLine($"{windowId}: {status.Title} ({status.Type.ToString().ToLowerInvariant()})");
        Row(output, "phase", $"{status.Phase}{(status.Paused ? " (PAUSED)" : string.Empty)} since {ZoneMath.FormatUtc(status.PhaseSince)}");
        Row(output, "window", $"{ZoneMath.FormatUtc(status.WindowStart)} - {ZoneMath.FormatUtc(status.WindowEnd)}  |  {ZoneMath.FormatLocal(status.WindowStart, zone)} - {ZoneMath.FormatLocal(status.WindowEnd, zone)}");
        if (status.NextDeadline is { } next)
        {
            Row(output, "next", $"{next.What} at {ZoneMath.FormatUtc(next.At)} ({ZoneMath.FormatLocal(next.At, zone)})");
        }
        if (status.WaitingFor is { } waiting)
        {
            Row(output, "waiting", waiting);
        }
        if (status.Rollout is { } rollout)
        {
            Row(output, "rollout", RolloutLine(rollout));
        }
        var a = status.Approvals;
        Row(
            output,
            "approvals",
            $"{a.Approvals}/{a.Required}{(a.Approved ? " APPROVED" : a.Rejected ? " REJECTED" : string.Empty)}" +
            $"{(a.ApprovedBy.Count > 0 ? $" by {string.Join(", ", a.ApprovedBy)}" : string.Empty)}" +
            $"{(a.RejectedBy.Count > 0 ? $"; rejected by {string.Join(", ", a.RejectedBy)}" : string.Empty)}" +
            $"; eligible: {string.Join(", ", status.EligibleApprovers)}");
        foreach (var gate in a.MissingGates)
        {
            Row(output, "gate", $"{gate.Id} waits for {string.Join(" or ", gate.Approvers)}: {gate.Reason}");
        }
        if (status.Checklist.Count > 0)
        {
            output.WriteLine("  checklist:");
            foreach (var item in status.Checklist)
            {
                var who = item.Done ? $"  ({item.By}{(item.At is { } at ? $", {ZoneMath.FormatUtc(at)}" : string.Empty)})" : string.Empty;
                output.WriteLine($"    [{(item.Done ? "x" : " ")}] {item.Phase.ToString().ToLowerInvariant(),-6} {item.Id,-28} {item.Text}{(item.Blocking ? string.Empty : " (optional)")}{who}");
            }
        }
        if (status.Steps.Count > 0)
        {
            output.WriteLine("  steps:");
            for (var i = 0; i < status.Steps.Count; i++)
            {
                var step = status.Steps[i];
                output.WriteLine($"    {i + 1,2}. {step.Id,-28} {step.Type,-15} {step.State}");
            }
        }
        if (status.LastRefusal is { } refusal)
        {
            Row(output, "refused", $"{status.RefusalCount} so far; last: {refusal.Handler} from {refusal.By ?? "(unknown)"} at {ZoneMath.FormatUtc(refusal.At)}: {refusal.Reason}");
        }
        Row(output, "policy", status.PolicyHash is { } hash ? $"sha256 {hash} (the worker's policy this window runs under)" : "not yet prepared by a worker");
    }

    public static void WriteReport(TextWriter output, string windowId, MaintenanceReport report)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(report);
        output.WriteLine($"{windowId}: {report.Title} ({report.Type.ToString().ToLowerInvariant()}) - closed");
        Row(output, "outcome", $"{report.Outcome} at {ZoneMath.FormatUtc(report.FinishedAt)}: {report.Summary}");
        Row(output, "window", $"{ZoneMath.FormatUtc(report.WindowStart)} - {ZoneMath.FormatUtc(report.WindowEnd)}");
        Row(output, "votes", report.Votes.Count == 0 ? "(none)" : string.Join("; ", report.Votes.Select(v => $"{v.Vote.Decision} by {v.Vote.Approver}")));
        foreach (var step in report.Steps)
        {
            Row(output, "step", $"{step.StepId}: {step.Outcome} - {step.Detail}");
        }
        foreach (var compensation in report.Compensations)
        {
            Row(output, "undo", $"{compensation.StepId}: {compensation.Outcome} - {compensation.Detail}");
        }
        foreach (var refusal in report.Refusals)
        {
            Row(output, "refused", $"{refusal.Handler} from {refusal.By ?? "(unknown)"}: {refusal.Reason}");
        }
    }

    /// <summary>"'patch-nodes' batch 2 of 4: 3/8 hosts done, 0 failed, 5 pending, failure budget 1 left".</summary>
    public static string RolloutLine(WindowRolloutProgress rollout)
    {
        ArgumentNullException.ThrowIfNull(rollout);
        if (rollout.Snapshot is not { } s)
        {
            return $"'{rollout.StepId}' {rollout.Line}";
        }
        var wave = s.Outcome is { } outcome ? outcome.ToString() : $"{s.WaveName ?? "starting"}, wave {s.Wave} of {s.Waves}";
        return $"'{rollout.StepId}' {(s.Mode == Workflows.Rollout.RolloutMode.Undo ? "undo, " : string.Empty)}{wave}: {s.Done}/{s.Hosts} hosts done, {s.Failed} failed, {s.Pending} pending, failure budget {s.BudgetLeft} left";
    }

    private static void Row(TextWriter output, string label, string value) => output.WriteLine($"  {label + ":",-11}{value}");
}
