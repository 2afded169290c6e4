using MaintenanceWorkflows.Workflows.Plans;
using Microsoft.Extensions.Logging;
using Temporalio.Converters;
using Temporalio.Exceptions;
using Temporalio.Workflows;

namespace MaintenanceWorkflows.Workflows;

/// <summary>
/// Signals, updates and the catch-all for unknown signals. Every signal takes its payload raw and is
/// parsed here: a payload people typed wrong is recorded as a refusal with the fix, never dropped and
/// never a workflow-task failure. Updates reject bad input in their validators, so nothing is recorded.
/// </summary>
public partial class MaintenanceWindowWorkflow
{
    public const string RefusedPayload = "payload.invalid";
    public const string RefusedUnknownSignal = "signal.unknown";
    public const string RefusedFinished = "window.finished";
    public const string RefusedUnknownItem = "ack.unknown-item";
    public const string RefusedAutomatedItem = "ack.automated-item";
    public const string RefusedDuplicateAck = "ack.duplicate";
    public const string RefusedAckNotAllowed = "ack.not-allowed";
    public const string RefusedMissingBy = "control.missing-by";
    public const string RefusedExtend = "extend.invalid";
    public const string RefusedState = "control.wrong-state";

    /// <summary>Refusals kept in full (the latest); older ones are only counted.</summary>
    public const int MaxRefusalsKept = 50;

    [WorkflowSignal(WindowHandlers.Approve)]
    public Task ApproveAsync(IRawValue? payload = null) => VoteBySignalAsync(WindowHandlers.Approve, VoteDecision.Approve, payload);

    [WorkflowSignal(WindowHandlers.Reject)]
    public Task RejectAsync(IRawValue? payload = null) => VoteBySignalAsync(WindowHandlers.Reject, VoteDecision.Reject, payload);

    [WorkflowUpdateValidator(nameof(SubmitApprovalAsync))]
    public void ValidateSubmitApproval(ApprovalVote vote)
    {
        var refusal = VoteRefusal(vote);
        if (refusal is not null)
        {
            throw new ApplicationFailureException(refusal.Reason, refusal.Code, nonRetryable: true);
        }
    }

    /// <summary>Records a vote; the validator has refused ineligible approvers, self-approval and second votes.</summary>
    [WorkflowUpdate(WindowHandlers.SubmitApproval)]
    public Task<ApprovalReceipt> SubmitApprovalAsync(ApprovalVote vote)
    {
        ArgumentNullException.ThrowIfNull(vote);
        var recorded = RecordVote(vote, SignalChannel.Update);
        return Task.FromResult(new ApprovalReceipt { Vote = recorded, Status = Approval });
    }

    [WorkflowSignal(WindowHandlers.Acknowledge)]
    public Task AcknowledgeAsync(IRawValue? payload = null)
    {
        if (!TryParse<Acknowledgement>(WindowHandlers.Acknowledge, payload, AcknowledgementExample, out var ack))
        {
            return Task.CompletedTask;
        }
        var refusal = AcknowledgementRefusal(ack);
        if (refusal is not null)
        {
            Refuse(WindowHandlers.Acknowledge, ack.By, refusal.Code, refusal.Reason);
            return Task.CompletedTask;
        }
        RecordAcknowledgement(ack, SignalChannel.Signal);
        return Task.CompletedTask;
    }

    [WorkflowUpdateValidator(nameof(SubmitAcknowledgementAsync))]
    public void ValidateSubmitAcknowledgement(Acknowledgement ack)
    {
        var refusal = AcknowledgementRefusal(ack);
        if (refusal is not null)
        {
            throw new ApplicationFailureException(refusal.Reason, refusal.Code, nonRetryable: true);
        }
    }

    [WorkflowUpdate(WindowHandlers.SubmitAcknowledgement)]
    public Task<AcknowledgementReceipt> SubmitAcknowledgementAsync(Acknowledgement ack)
    {
        ArgumentNullException.ThrowIfNull(ack);
        var record = RecordAcknowledgement(ack, SignalChannel.Update);
        return Task.FromResult(new AcknowledgementReceipt { Item = record.Item, By = record.By, At = record.At });
    }

    /// <summary>Stops the window: before execution it is cancelled; during execution what ran is rolled back.</summary>
    [WorkflowSignal(WindowHandlers.Abort)]
    public Task AbortAsync(IRawValue? payload = null)
    {
        if (!TryParseCommand(WindowHandlers.Abort, payload, out var command))
        {
            return Task.CompletedTask;
        }
        if (progress.Phase == WindowPhase.RollingBack || AbortRequested)
        {
            Refuse(WindowHandlers.Abort, command.By, RefusedState, $"the window is already stopping ({progress.AbortReason ?? "rolling back"}); nothing more to abort.");
            return Task.CompletedTask;
        }
        var reason = string.IsNullOrWhiteSpace(command.Reason) ? "no reason given" : command.Reason;
        ledger.OperatorActions.Add(new("abort", command.By!, reason, Now));
        Workflow.Logger.LogWarning("Window {WindowId} aborted by {By}: {Reason}", WindowId, command.By, reason);
        RequestAbort(command.By!, reason);
        return Task.CompletedTask;
    }

    /// <summary>Holds the window before its next step (or verification round) until <c>Resume</c>.</summary>
    [WorkflowSignal(WindowHandlers.Pause)]
    public Task PauseAsync(IRawValue? payload = null)
    {
        if (!TryParseCommand(WindowHandlers.Pause, payload, out var command))
        {
            return Task.CompletedTask;
        }
        if (progress.Paused)
        {
            Refuse(WindowHandlers.Pause, command.By, RefusedState, "the window is already paused; send Resume to continue.");
            return Task.CompletedTask;
        }
        progress.Paused = true;
        ledger.OperatorActions.Add(new("pause", command.By!, command.Reason, Now));
        return Task.CompletedTask;
    }

    [WorkflowSignal(WindowHandlers.Resume)]
    public Task ResumeAsync(IRawValue? payload = null)
    {
        if (!TryParseCommand(WindowHandlers.Resume, payload, out var command))
        {
            return Task.CompletedTask;
        }
        if (!progress.Paused)
        {
            Refuse(WindowHandlers.Resume, command.By, RefusedState, "the window is not paused; nothing to resume.");
            return Task.CompletedTask;
        }
        progress.Paused = false;
        ledger.OperatorActions.Add(new("resume", command.By!, command.Reason, Now));
        return Task.CompletedTask;
    }

    /// <summary>Moves the window end later and tells the window's channels.</summary>
    [WorkflowSignal(WindowHandlers.Extend)]
    public async Task ExtendAsync(IRawValue? payload = null)
    {
        if (!TryParse<ExtendCommand>(WindowHandlers.Extend, payload, ExtendExample, out var command) || !CheckControl(WindowHandlers.Extend, command.By))
        {
            return;
        }
        if (command.Until is not { } until)
        {
            Refuse(WindowHandlers.Extend, command.By, RefusedExtend, $"'until' is missing: give the new end with an offset, e.g. {ExtendExample}.");
            return;
        }
        if (until <= progress.WindowEnd || until <= Now)
        {
            Refuse(
                WindowHandlers.Extend,
                command.By,
                RefusedExtend,
                $"'until' {ZoneMath.FormatUtc(until)} is not later than the current end {ZoneMath.FormatUtc(progress.WindowEnd)} (and now); give a later time.");
            return;
        }
        var previous = progress.WindowEnd;
        SetWindowEnd(until.ToUniversalTime());
        ledger.OperatorActions.Add(new("extend", command.By!, $"{ZoneMath.FormatUtc(previous)} -> {ZoneMath.FormatUtc(progress.WindowEnd)}{(command.Reason is null ? string.Empty : $": {command.Reason}")}", Now));
        await NotifyAsync(NoticeKind.Extended, new NoticeFacts { NewEnd = progress.WindowEnd, Reason = command.Reason ?? $"extended by {command.By}" });
    }

    /// <summary>Catches signals sent under a wrong name (e.g. "approve") so they show up as refused, with the right names.</summary>
    [WorkflowSignal(Dynamic = true)]
    public Task UnknownSignalAsync(string signalName, IRawValue[] args)
    {
        Refuse(
            signalName,
            null,
            RefusedUnknownSignal,
            $"there is no signal '{signalName}'; this workflow takes {string.Join(", ", WindowHandlers.Signals)} (names are case-sensitive).");
        return Task.CompletedTask;
    }

    private const string ApprovalExample = "{\"approver\": \"T-JOSH\", \"comment\": \"looks good\"}";
    private const string AcknowledgementExample = "{\"item\": \"backup-verified\", \"by\": \"ops-lead\", \"note\": \"pg_dump checked\"}";
    private const string CommandExample = "{\"by\": \"ops-lead\", \"reason\": \"error rate climbing\"}";
    private const string ExtendExample = "{\"until\": \"2026-12-01T12:30:00Z\", \"by\": \"ops-lead\", \"reason\": \"migration slow\"}";

    private Task VoteBySignalAsync(string signal, VoteDecision decision, IRawValue? payload)
    {
        if (!TryParse<ApprovalSignal>(signal, payload, ApprovalExample, out var parsed))
        {
            return Task.CompletedTask;
        }
        var vote = new ApprovalVote { Approver = parsed.Approver?.Trim() ?? string.Empty, Decision = decision, Comment = parsed.Comment };
        var refusal = VoteRefusal(vote);
        if (refusal is not null)
        {
            Refuse(signal, parsed.Approver, refusal.Code, refusal.Reason);
            return Task.CompletedTask;
        }
        RecordVote(vote, SignalChannel.Signal);
        return Task.CompletedTask;
    }

    private Refusal? VoteRefusal(ApprovalVote? vote)
    {
        if (vote is null)
        {
            return new Refusal(RefusedPayload, $"the update needs a vote, e.g. {ApprovalExample} with a decision.");
        }
        if (progress.Phase.IsFinal())
        {
            return new Refusal(RefusedFinished, $"the window is already {progress.Phase}; votes are no longer taken.");
        }
        var verdict = ApprovalRules.Check(schedule, ledger.Votes.Select(v => v.Vote).ToList(), vote, Now);
        return verdict.Accepted ? null : new Refusal(verdict.Code ?? RefusedPayload, verdict.Reason ?? "the vote was refused");
    }

    private ApprovalVote RecordVote(ApprovalVote vote, SignalChannel via)
    {
        var recorded = vote with { Approver = vote.Approver.Trim(), At = Now };
        ledger.Votes.Add(new VoteRecord(recorded, via));
        Workflow.Logger.LogInformation("Window {WindowId}: {Decision} by {Approver} via {Via}", WindowId, recorded.Decision, recorded.Approver, via);
        if (recorded.Decision == VoteDecision.Reject && execution.Started)
        {
            // Emergencies may run before approval; a rejection that arrives later undoes the work.
            RequestAbort(recorded.Approver, $"rejected by {recorded.Approver}{(recorded.Comment is null ? string.Empty : $": {recorded.Comment}")}");
        }
        return recorded;
    }

    private Refusal? AcknowledgementRefusal(Acknowledgement? ack)
    {
        if (ack is null || string.IsNullOrWhiteSpace(ack.Item))
        {
            return new Refusal(RefusedPayload, $"'item' is missing: name the checklist item or manual step, e.g. {AcknowledgementExample}.");
        }
        if (string.IsNullOrWhiteSpace(ack.By))
        {
            return new Refusal(RefusedMissingBy, $"'by' is missing: say who acknowledges '{ack.Item}', e.g. {AcknowledgementExample}.");
        }
        if (progress.Phase.IsFinal() && progress.Phase != WindowPhase.Completed)
        {
            return new Refusal(RefusedFinished, $"the window is already {progress.Phase}; nothing is waiting for acknowledgements.");
        }
        var item = ack.Item.Trim();
        var checklistItem = plan.Checklist.FirstOrDefault(i => string.Equals(i.Id, item, StringComparison.OrdinalIgnoreCase));
        var manual = ManualSteps().FirstOrDefault(s => string.Equals(s.Id, item, StringComparison.OrdinalIgnoreCase));
        if (checklistItem is null && manual is null)
        {
            var known = plan.Checklist.Where(i => !i.IsAutomated).Select(i => i.Id).Concat(ManualSteps().Select(s => s.Id)).ToList();
            return new Refusal(
                RefusedUnknownItem,
                $"'{item}' is not a manual checklist item or manual step of this window; known: {(known.Count == 0 ? "(none)" : string.Join(", ", known))}.");
        }
        if (checklistItem is { IsAutomated: true })
        {
            return new Refusal(RefusedAutomatedItem, $"'{item}' is ticked by check '{checklistItem.Check}', not by hand.");
        }
        if (IsAcknowledged(item))
        {
            var previous = ledger.Acknowledgements.Last(a => string.Equals(a.Item, item, StringComparison.OrdinalIgnoreCase));
            return new Refusal(RefusedDuplicateAck, $"'{item}' was already acknowledged by {previous.By} at {ZoneMath.FormatUtc(previous.At)}.");
        }
        if (ack.Abandon && !plan.Steps.Any(s => s.Rollback is ManualStep r && string.Equals(r.Id, item, StringComparison.OrdinalIgnoreCase)))
        {
            return new Refusal(RefusedAckNotAllowed, $"'{item}' is not a manual rollback step; only those can be abandoned (send the acknowledgement without \"abandon\").");
        }
        if (manual is ManualStep step)
        {
            var allowed = step.AcknowledgedBy.Count > 0
                ? step.AcknowledgedBy
                : schedule.EligibleApprovers.Append(plan.Requester).ToList();
            if (!allowed.Contains(ack.By.Trim(), StringComparer.OrdinalIgnoreCase))
            {
                return new Refusal(RefusedAckNotAllowed, $"'{ack.By}' may not acknowledge manual step '{item}'; allowed: {string.Join(", ", allowed)}.");
            }
        }
        return null;
    }

    private AcknowledgementRecord RecordAcknowledgement(Acknowledgement ack, SignalChannel via)
    {
        var record = new AcknowledgementRecord(ack.Item!.Trim(), ack.By!.Trim(), ack.Note, Now, via, ack.Abandon);
        ledger.Acknowledgements.Add(record);
        return record;
    }

    /// <summary>Manual steps and manual rollback steps, the things an acknowledgement can complete besides checklist items.</summary>
    private IEnumerable<PlanStep> ManualSteps() =>
        plan.Steps.Where(s => s is ManualStep).Concat(plan.Steps.Select(s => s.Rollback).OfType<ManualStep>());

    private bool TryParseCommand(string signal, IRawValue? payload, out OperatorCommand command) =>
        TryParse(signal, payload, CommandExample, out command) && CheckControl(signal, command.By);

    private bool CheckControl(string signal, string? by)
    {
        if (string.IsNullOrWhiteSpace(by))
        {
            Refuse(signal, null, RefusedMissingBy, $"'by' is missing: say who sends {signal}, e.g. {(signal == WindowHandlers.Extend ? ExtendExample : CommandExample)}.");
            return false;
        }
        if (progress.Phase.IsFinal())
        {
            Refuse(signal, by, RefusedFinished, $"the window is already {progress.Phase}; {signal} has no effect.");
            return false;
        }
        return true;
    }

    private bool TryParse<T>(string signal, IRawValue? payload, string example, out T value)
        where T : class
    {
        var parsed = SignalPayload.Parse<T>(payload, example);
        if (parsed.Error is not null)
        {
            Refuse(signal, null, RefusedPayload, parsed.Error);
            value = null!;
            return false;
        }
        value = parsed.Value!;
        return true;
    }

    private void Refuse(string handler, string? by, string code, string reason)
    {
        // A flood of junk signals must not grow the state, the report or a continue-as-new input without bound.
        ledger.RefusalCount++;
        ledger.Refusals.Add(new RefusalRecord(handler, string.IsNullOrWhiteSpace(by) ? null : by.Trim(), code, reason, Now));
        if (ledger.Refusals.Count > MaxRefusalsKept)
        {
            ledger.Refusals.RemoveAt(0);
        }
        Workflow.Logger.LogWarning("Window {WindowId} refused {Handler} from {By}: {Reason}", WindowId, handler, by ?? "(unknown)", reason);
    }

    private sealed record Refusal(string Code, string Reason);
}
