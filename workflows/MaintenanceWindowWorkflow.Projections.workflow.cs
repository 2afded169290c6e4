using MaintenanceWorkflows.Workflows.Contracts;
using MaintenanceWorkflows.Workflows.Plans;
using Temporalio.Workflows;

namespace MaintenanceWorkflows.Workflows;

/// <summary>What people see of the window: the live <c>Status</c> query and the closing report. Both only read state.</summary>
public partial class MaintenanceWindowWorkflow
{
    [WorkflowQuery(WindowHandlers.Status)]
    public WindowStatus Status => new()
    {
        PlanId = plan.Id,
        Title = plan.Title,
        Type = plan.Type,
        Phase = progress.Phase,
        PhaseSince = progress.PhaseSince,
        WindowStart = plan.Window.Start,
        WindowEnd = progress.WindowEnd,
        TimeZone = plan.Window.TimeZone,
        // While steps run the next deadline is the (possibly extended) window end; a finished window may still wait
        // for its after-checklist and then for an emergency's approval after the fact, and shows what and until when.
        NextDeadline = progress.Phase == WindowPhase.InProgress
            ? new("window end", progress.WindowEnd)
            : AwaitsApprovalAfterTheFact ? new("approval deadline", schedule.ApprovalDeadline) : progress.NextDeadline,
        Approvals = Approval,
        EligibleApprovers = prepared?.Schedule.EligibleApprovers ?? [],
        Checklist = plan.Checklist.Select(ChecklistStatus).ToList(),
        Steps = plan.Steps.Select((s, i) => new StepStatus(s.Id, s.Title, s.StepType, execution.StepStates[i])).ToList(),
        Paused = progress.Paused,
        WaitingFor = AwaitsApprovalAfterTheFact
            ? $"the approval after the fact ({Approval.Approvals}/{Approval.Required}{MissingGates(Approval)}): the work ran before it was approved"
            : progress.WaitingFor,
        LastRefusal = ledger.Refusals.Count == 0 ? null : ledger.Refusals[^1],
        RefusalCount = ledger.RefusalCount,
        Refusals = [.. ledger.Refusals],
        PolicyHash = prepared?.PolicyHash,
        Rollout = rolloutNow,
    };

    /// <summary>The work is over (and its after-checklist done) but an emergency that ran before its approval still takes votes.</summary>
    private bool AwaitsApprovalAfterTheFact => awaitingLateApproval && progress.Phase.IsFinal() && progress.WaitingFor is null;

    private MaintenanceReport BuildReport(string summary) => new()
    {
        PlanId = plan.Id,
        Title = plan.Title,
        Type = plan.Type,
        Outcome = progress.Phase,
        Summary = summary,
        ScheduledAt = scheduledAt,
        WindowStart = schedule.WindowStart,
        WindowEnd = progress.WindowEnd,
        TimeZone = plan.Window.TimeZone,
        ExecutionStartedAt = execution.StartedAt,
        FinishedAt = Now,
        Phases = ledger.Phases,
        Votes = ledger.Votes,
        Refusals = ledger.Refusals,
        RefusalCount = ledger.RefusalCount,
        PolicyHash = prepared?.PolicyHash,
        NextSlot = ledger.NextSlot,
        Continuations = progress.Continuations,
        Acknowledgements = ledger.Acknowledgements,
        PreChecks = ledger.PreChecks,
        Verification = ledger.Verification,
        Steps = ledger.Steps,
        Compensations = ledger.Compensations,
        RollbackVerification = ledger.RollbackVerification,
        Notices = ledger.Notices,
        OperatorActions = ledger.OperatorActions,
        OperatorActionCount = ledger.OperatorActionCount,
    };

    private ChecklistItemStatus ChecklistStatus(ChecklistItem item)
    {
        if (item.Check is { } checkId)
        {
            var result = ledger.LatestChecks.LastOrDefault(r => r.CheckId == checkId);
            return new() { Id = item.Id, Text = item.Text, Phase = item.Phase, Blocking = item.Blocking, Check = checkId, Done = result?.Passed ?? false, By = result is null ? null : "automated", At = result?.CheckedAt };
        }
        var ack = ledger.Acknowledgements.LastOrDefault(a => string.Equals(a.Item, item.Id, StringComparison.OrdinalIgnoreCase));
        return new() { Id = item.Id, Text = item.Text, Phase = item.Phase, Blocking = item.Blocking, Done = ack is not null, By = ack?.By, At = ack?.At };
    }

    /// <summary>Pre checks not repeated by the soak, then each soak check's tally; for the completion notice.</summary>
    private IReadOnlyList<VerificationLine> VerificationLines()
    {
        var verification = ledger.Verification;
        var lines = ledger.PreChecks.Where(r => !(verification?.Checks.Any(c => c.CheckId == r.CheckId) ?? false)).Select(ToLine).ToList();
        if (verification is not null)
        {
            lines.AddRange(verification.Checks.Select(c => new VerificationLine
            {
                Name = c.Title,
                Passed = c.Passed == c.Runs,
                Detail = $"{c.Passed}/{c.Runs} rounds passed{(c.LastObserved is null ? string.Empty : $", last: {c.LastObserved}")}",
            }));
        }
        return lines;
    }

    private static VerificationLine ToLine(CheckResult r) => new() { Name = r.Name, Passed = r.Passed, Detail = r.Observed };
}
