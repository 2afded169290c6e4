using MaintenanceWorkflows.Workflows.Governance;
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
    public const string RefusedOutOfPhase = "ack.out-of-phase";

    private const string ChecklistInPhasePatch = "checklist-items-in-their-phase";

    // Whether this run binds checklist items to their phase (see ChecklistPhasesEnforced); null until first asked.
    private bool? checklistPhasesEnforced;

    [WorkflowSignal(WindowHandlers.Approve)]
    public Task ApproveAsync(IRawValue? payload = null) => VoteBySignalAsync(WindowHandlers.Approve, VoteDecision.Approve, payload);

    [WorkflowSignal(WindowHandlers.Reject)]
    public Task RejectAsync(IRawValue? payload = null) => VoteBySignalAsync(WindowHandlers.Reject, VoteDecision.Reject, payload);

    /// <summary>Refuses what can be judged without the worker (shape, sizes, eligibility, self-approval, second votes), so nothing is recorded.</summary>
    [WorkflowUpdateValidator(nameof(SubmitApprovalAsync))]
    public void ValidateSubmitApproval(ApprovalVote vote)
    {
        var refusal = VoteRefusal(vote, Now);
        if (refusal is not null)
        {
            throw new ApplicationFailureException(refusal.Reason, refusal.Code, nonRetryable: true);
        }
    }

    /// <summary>Checks the proof with the worker, then records the vote; a bad proof fails the update with the reason and is recorded as refused.</summary>
    [WorkflowUpdate(WindowHandlers.SubmitApproval)]
    public async Task<ApprovalReceipt> SubmitApprovalAsync(ApprovalVote vote)
    {
        ArgumentNullException.ThrowIfNull(vote);
        var (recorded, refusal) = await JudgeVoteAsync(vote with { Approver = vote.Approver.Trim() }, null);
        if (refusal is not null)
        {
            Refuse(WindowHandlers.SubmitApproval, vote.Approver, refusal.Code, refusal.Reason);
            throw new ApplicationFailureException(refusal.Reason, refusal.Code, nonRetryable: true);
        }
        return new ApprovalReceipt { Vote = RecordVote(recorded!, SignalChannel.Update), Status = Approval };
    }

    [WorkflowSignal(WindowHandlers.Acknowledge)]
    public async Task AcknowledgeAsync(IRawValue? payload = null)
    {
        await PreparedAsync();
        if (!TryParse<Acknowledgement>(WindowHandlers.Acknowledge, payload, AcknowledgementExample, out var ack))
        {
            return;
        }
        var refusal = AcknowledgementRefusal(ack, ChecklistPhasesEnforced());
        if (refusal is not null)
        {
            Refuse(WindowHandlers.Acknowledge, Bounded(ack.By), refusal.Code, refusal.Reason);
            return;
        }
        RecordAcknowledgement(ack, SignalChannel.Signal);
    }

    [WorkflowUpdateValidator(nameof(SubmitAcknowledgementAsync))]
    public void ValidateSubmitAcknowledgement(Acknowledgement ack)
    {
        // Validators run only for new updates (never on replay), so they judge by the current rules.
        var refusal = AcknowledgementRefusal(ack, enforcePhases: true);
        if (refusal is not null)
        {
            throw new ApplicationFailureException(refusal.Reason, refusal.Code, nonRetryable: true);
        }
    }

    [WorkflowUpdate(WindowHandlers.SubmitAcknowledgement)]
    public async Task<AcknowledgementReceipt> SubmitAcknowledgementAsync(Acknowledgement ack)
    {
        ArgumentNullException.ThrowIfNull(ack);
        await PreparedAsync();
        if (AcknowledgementRefusal(ack, ChecklistPhasesEnforced()) is { } refusal)
        {
            throw new ApplicationFailureException(refusal.Reason, refusal.Code, nonRetryable: true);
        }
        var record = RecordAcknowledgement(ack, SignalChannel.Update);
        return new AcknowledgementReceipt { Item = record.Item, By = record.By, At = record.At };
    }

    /// <summary>Stops the window: before execution it is cancelled; during execution what ran is rolled back.</summary>
    [WorkflowSignal(WindowHandlers.Abort)]
    public async Task AbortAsync(IRawValue? payload = null)
    {
        var command = await ParseCommandAsync(WindowHandlers.Abort, payload);
        if (command is null)
        {
            return;
        }
        if (progress.Phase == WindowPhase.RollingBack || AbortRequested)
        {
            Refuse(WindowHandlers.Abort, command.By, RefusedState, $"the window is already stopping ({progress.AbortReason ?? "rolling back"}); nothing more to abort.");
            return;
        }
        var reason = string.IsNullOrWhiteSpace(command.Reason) ? "no reason given" : command.Reason;
        RecordOperatorAction(new("abort", command.By!, reason, Now));
        Workflow.Logger.LogWarning("Window {WindowId} aborted by {By}: {Reason}", WindowId, command.By, reason);
        RequestAbort(command.By!, reason);
    }

    /// <summary>Holds the window before its next step (or verification round) until <c>Resume</c>.</summary>
    [WorkflowSignal(WindowHandlers.Pause)]
    public async Task PauseAsync(IRawValue? payload = null)
    {
        var command = await ParseCommandAsync(WindowHandlers.Pause, payload);
        if (command is null)
        {
            return;
        }
        if (progress.Paused)
        {
            Refuse(WindowHandlers.Pause, command.By, RefusedState, "the window is already paused; send Resume to continue.");
            return;
        }
        progress.Paused = true;
        RecordOperatorAction(new("pause", command.By!, command.Reason, Now));
    }

    [WorkflowSignal(WindowHandlers.Resume)]
    public async Task ResumeAsync(IRawValue? payload = null)
    {
        var command = await ParseCommandAsync(WindowHandlers.Resume, payload);
        if (command is null)
        {
            return;
        }
        if (!progress.Paused)
        {
            Refuse(WindowHandlers.Resume, command.By, RefusedState, "the window is not paused; nothing to resume.");
            return;
        }
        progress.Paused = false;
        RecordOperatorAction(new("resume", command.By!, command.Reason, Now));
    }

    /// <summary>
    /// Moves the window end later and tells the window's channels, once per accepted extension. Needs the
    /// sender's extension code (when the policy asks for proof) and stays within the policy's bounds.
    /// </summary>
    [WorkflowSignal(WindowHandlers.Extend)]
    public async Task ExtendAsync(IRawValue? payload = null)
    {
        var signal = CountSignal(WindowHandlers.Extend);
        await PreparedAsync();
        if (!TryParse<ExtendCommand>(WindowHandlers.Extend, payload, ExtendExample, out var command))
        {
            return;
        }
        if (TooLong(("by", command.By, MaxIdLength), ("code", command.Code, MaxIdLength), ("reason", command.Reason, MaxTextLength)) is { } tooLong)
        {
            Refuse(WindowHandlers.Extend, Bounded(command.By), tooLong.Code, tooLong.Reason);
            return;
        }
        if (!CheckControl(WindowHandlers.Extend, command.By) || KnownSteerer(WindowHandlers.Extend, command.By) is not { } by)
        {
            return;
        }
        if (ExtendRefusal(command) is { } refusal)
        {
            Refuse(WindowHandlers.Extend, by, refusal.Code, refusal.Reason);
            return;
        }
        var number = progress.ExtensionsUsed + 1;
        var proof = "proof: none (policy)";
        if (ProofRequired)
        {
            if (string.IsNullOrWhiteSpace(command.Code))
            {
                Refuse(WindowHandlers.Extend, by, RefusedProofMissing, $"no proof: extension {number} needs the {ProofPurposes.Extend(number)} code mailed to {by}; send {ExtendExample}.");
                return;
            }
            if (ProofNotCheckable(command.Code) is { } notCheckable)
            {
                Refuse(WindowHandlers.Extend, by, notCheckable.Code, notCheckable.Reason);
                return;
            }
            var verdict = await VerifyAsync(by, ProofPurposes.Extend(number), command.Code, LatestEnd, signal);
            if (!verdict.Valid)
            {
                Refuse(WindowHandlers.Extend, by, RefusedProofInvalid, verdict.Reason);
                return;
            }
            proof = verdict.Reason;
        }
        // Other extensions may have been accepted while the worker checked the code: judge the bounds again.
        if (progress.ExtensionsUsed + 1 != number || ExtendRefusal(command) is not null)
        {
            Refuse(WindowHandlers.Extend, by, RefusedExtendLimit, ExtendRefusal(command)?.Reason ?? $"extension {number} was already used while this one was checked.");
            return;
        }
        progress.ExtensionsUsed = number;
        var previous = progress.WindowEnd;
        SetWindowEnd(command.Until!.Value.ToUniversalTime());
        RecordOperatorAction(new("extend", by, $"{ZoneMath.FormatUtc(previous)} -> {ZoneMath.FormatUtc(progress.WindowEnd)} (extension {number}, {proof}){(command.Reason is null ? string.Empty : $": {command.Reason}")}", Now));
        await NotifyAsync(NoticeKind.Extended, new NoticeFacts { NewEnd = progress.WindowEnd, Reason = command.Reason ?? $"extended by {by}" });
    }

    private Refusal? ExtendRefusal(ExtendCommand command)
    {
        if (command.Until is not { } until)
        {
            return new Refusal(RefusedExtend, $"'until' is missing: give the new end with an offset, e.g. {ExtendExample}.");
        }
        if (until <= progress.WindowEnd || until <= Now)
        {
            return new Refusal(
                RefusedExtend,
                $"'until' {ZoneMath.FormatUtc(until)} is not later than the current end {ZoneMath.FormatUtc(progress.WindowEnd)} (and now); give a later time.");
        }
        return ExtensionRefusal(until.ToUniversalTime());
    }

    /// <summary>Catches signals sent under a wrong name (e.g. "approve") so they show up as refused, with the right names.</summary>
    [WorkflowSignal(Dynamic = true)]
    public async Task UnknownSignalAsync(string signalName, IRawValue[] args)
    {
        // Every handler waits for the prepared window first, so refusals are recorded in the order the signals came.
        await PreparedAsync();
        var name = Bounded(signalName) ?? string.Empty;
        Refuse(
            name,
            null,
            RefusedUnknownSignal,
            $"there is no signal '{name}'; this workflow takes {string.Join(", ", WindowHandlers.Signals)} (names are case-sensitive).");
    }

    private const string ApprovalExample = "{\"approver\": \"T-JOSH\", \"code\": \"k1-XXXX-XXXX-XXXX-XXXX\", \"comment\": \"looks good\"}";
    private const string AcknowledgementExample = "{\"item\": \"backup-verified\", \"by\": \"ops-lead\", \"note\": \"pg_dump checked\"}";
    private const string CommandExample = "{\"by\": \"ops-lead\", \"reason\": \"error rate climbing\"}";
    private const string ExtendExample = "{\"until\": \"2026-12-01T12:30:00Z\", \"by\": \"ops-lead\", \"code\": \"k1-XXXX-XXXX-XXXX-XXXX\", \"reason\": \"migration slow\"}";

    private async Task VoteBySignalAsync(string signal, VoteDecision decision, IRawValue? payload)
    {
        var signalRef = CountSignal(signal);
        await PreparedAsync();
        if (!TryParse<ApprovalSignal>(signal, payload, ApprovalExample, out var parsed))
        {
            return;
        }
        var vote = new ApprovalVote { Approver = parsed.Approver?.Trim() ?? string.Empty, Decision = decision, Comment = parsed.Comment, Code = parsed.Code };
        var (recorded, refusal) = await JudgeVoteAsync(vote, signalRef);
        if (refusal is not null)
        {
            Refuse(signal, Bounded(parsed.Approver), refusal.Code, refusal.Reason);
            return;
        }
        RecordVote(recorded!, SignalChannel.Signal);
    }

    /// <summary>
    /// The whole judgement of a vote: sizes and the rules first (no worker needed), then the proof, checked by the
    /// worker, which also says when a signal arrived; the rules are judged again at that time, since other votes
    /// may have been recorded while the worker checked. Returns the vote as it is to be recorded, or the refusal.
    /// </summary>
    private async Task<(ApprovalVote? Vote, Refusal? Refusal)> JudgeVoteAsync(ApprovalVote vote, SignalRef? signal)
    {
        await PreparedAsync();
        // A signal's deadline is judged by its arrival, which the worker reads with the proof; an update arrives now.
        var refusal = VoteRefusal(vote, signal is null ? Now : scheduledAt);
        if (refusal is not null)
        {
            return (null, refusal);
        }
        var approver = schedule.EligibleApprovers.First(a => ScheduleRules.SameId(a, vote.Approver));
        var proof = "proof: none (policy)";
        var arrivedAt = Now;
        if (ProofRequired)
        {
            if (string.IsNullOrWhiteSpace(vote.Code))
            {
                return (null, new Refusal(
                    RefusedProofMissing,
                    $"no proof: a vote counts only with the {ProofPurposes.For(vote.Decision)} code mailed to {approver}; send {ApprovalExample}."));
            }
            if (ProofNotCheckable(vote.Code) is { } notCheckable)
            {
                return (null, notCheckable);
            }
            ProofVerdict verdict;
            votesInFlight++;
            try
            {
                verdict = await VerifyAsync(approver, ProofPurposes.For(vote.Decision), vote.Code, schedule.ApprovalDeadline, signal);
            }
            finally
            {
                votesInFlight--;
            }
            if (!verdict.Valid)
            {
                return (null, new Refusal(RefusedProofInvalid, verdict.Reason));
            }
            proof = verdict.Reason;
            arrivedAt = verdict.ArrivedAt;
        }
        refusal = VoteRefusal(vote, arrivedAt);
        return refusal is null
            ? (vote with { Approver = approver, Code = null, At = arrivedAt, Proof = proof }, null)
            : (null, refusal);
    }

    private Refusal? VoteRefusal(ApprovalVote? vote, DateTimeOffset arrivedAt)
    {
        if (vote is null)
        {
            return new Refusal(RefusedPayload, $"the update needs a vote, e.g. {ApprovalExample} with a decision.");
        }
        if (TooLong(("approver", vote.Approver, MaxIdLength), ("code", vote.Code, MaxIdLength), ("comment", vote.Comment, MaxTextLength)) is { } tooLong)
        {
            return tooLong;
        }
        if (prepared is null)
        {
            // Judged in full once the worker has prepared the window (a moment after the start).
            return null;
        }
        if (progress.Phase.IsFinal() && !awaitingLateApproval)
        {
            return new Refusal(RefusedFinished, $"the window is already {progress.Phase}; votes are no longer taken.");
        }
        var verdict = ApprovalRules.Check(schedule, ledger.Votes.Select(v => v.Vote).ToList(), vote, arrivedAt);
        return verdict.Accepted ? null : new Refusal(verdict.Code ?? RefusedPayload, verdict.Reason ?? "the vote was refused");
    }

    private ApprovalVote RecordVote(ApprovalVote vote, SignalChannel via)
    {
        var recorded = vote with { Approver = vote.Approver.Trim(), At = vote.At ?? Now, Code = null };
        ledger.Votes.Add(new VoteRecord(recorded, via));
        Workflow.Logger.LogInformation("Window {WindowId}: {Decision} by {Approver} via {Via}", WindowId, recorded.Decision, recorded.Approver, via);
        if (recorded.Decision == VoteDecision.Reject && execution.Started)
        {
            // Emergencies may run before approval; a rejection that arrives later undoes the work.
            RequestAbort(recorded.Approver, $"rejected by {recorded.Approver}{(recorded.Comment is null ? string.Empty : $": {recorded.Comment}")}");
        }
        return recorded;
    }

    private Refusal? AcknowledgementRefusal(Acknowledgement? ack, bool enforcePhases)
    {
        if (ack is null || string.IsNullOrWhiteSpace(ack.Item))
        {
            return new Refusal(RefusedPayload, $"'item' is missing: name the checklist item or manual step, e.g. {AcknowledgementExample}.");
        }
        if (string.IsNullOrWhiteSpace(ack.By))
        {
            return new Refusal(RefusedMissingBy, $"'by' is missing: say who acknowledges '{Bounded(ack.Item)}', e.g. {AcknowledgementExample}.");
        }
        if (TooLong(("item", ack.Item, MaxIdLength), ("by", ack.By, MaxIdLength), ("note", ack.Note, MaxTextLength)) is { } tooLong)
        {
            return tooLong;
        }
        if (prepared is null)
        {
            // Judged in full once the worker has prepared the window (the handler waits for that).
            return null;
        }
        if (KnownPerson(ack.By) is null)
        {
            return new Refusal(RefusedUnknownPerson, $"'{ack.By}' is not an approver or operator in the worker's policy; only they may acknowledge.");
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
        if (enforcePhases && checklistItem is not null && manual is null && !ChecklistPhaseOpen(checklistItem.Phase))
        {
            return new Refusal(
                RefusedOutOfPhase,
                $"'{checklistItem.Id}' is on the {checklistItem.Phase.ToString().ToLowerInvariant()} checklist; it is taken only {ChecklistPhaseOpens(checklistItem.Phase)} " +
                $"and the window is {progress.Phase} now. Acknowledge it then.");
        }
        var stepIndex = plan.Steps.ToList().FindIndex(s => s is ManualStep && string.Equals(s.Id, item, StringComparison.OrdinalIgnoreCase));
        if (stepIndex >= 0 && execution.StepStates[stepIndex] != StepState.WaitingForAcknowledgement)
        {
            return new Refusal(RefusedNotWaiting, $"manual step '{item}' is not waiting for an acknowledgement (it is {execution.StepStates[stepIndex]}); acknowledge it when the window reaches it.");
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

    /// <summary>
    /// Whether a checklist phase takes acknowledgements now: before-items until the work begins (pre-checks),
    /// during-items while the steps run and their hold lasts, after-items once the work completed. An item
    /// ticked outside its phase would say something was checked at a time when it could not have been.
    /// </summary>
    private bool ChecklistPhaseOpen(ChecklistPhase phase) => phase switch
    {
        ChecklistPhase.Before => progress.Phase is WindowPhase.Scheduled or WindowPhase.NoticeSent or WindowPhase.AwaitingApproval,
        ChecklistPhase.During => progress.Phase == WindowPhase.InProgress,
        ChecklistPhase.After => progress.Phase == WindowPhase.Completed,
        _ => false,
    };

    private static string ChecklistPhaseOpens(ChecklistPhase phase) => phase switch
    {
        ChecklistPhase.Before => "before the work begins (until the pre-checks start)",
        ChecklistPhase.During => "while the window's steps run (InProgress)",
        _ => "once the work has completed (Completed)",
    };

    /// <summary>
    /// Histories recorded before checklist items were bound to their phase accepted them at any time; they replay
    /// that way. Asked once, from a handler (validators may not), the first time an acknowledgement is judged.
    /// </summary>
    private bool ChecklistPhasesEnforced() => checklistPhasesEnforced ??= Workflow.Patched(ChecklistInPhasePatch);

    /// <summary>Manual steps and manual rollback steps, the things an acknowledgement can complete besides checklist items.</summary>
    private IEnumerable<PlanStep> ManualSteps() =>
        plan.Steps.Where(s => s is ManualStep).Concat(plan.Steps.Select(s => s.Rollback).OfType<ManualStep>());

    /// <summary>Abort, Pause and Resume: a known operator or approver by name, no proof (stopping must always be possible).</summary>
    private async Task<OperatorCommand?> ParseCommandAsync(string signal, IRawValue? payload)
    {
        await PreparedAsync();
        if (!TryParse<OperatorCommand>(signal, payload, CommandExample, out var command))
        {
            return null;
        }
        if (TooLong(("by", command.By, MaxIdLength), ("reason", command.Reason, MaxTextLength)) is { } tooLong)
        {
            Refuse(signal, Bounded(command.By), tooLong.Code, tooLong.Reason);
            return null;
        }
        return CheckControl(signal, command.By) && KnownSteerer(signal, command.By) is { } by ? command with { By = by } : null;
    }

    /// <summary>The canonical id when the policy names the sender as an approver or operator; otherwise refused and recorded.</summary>
    private string? KnownSteerer(string signal, string? by)
    {
        if (KnownPerson(by) is { } known)
        {
            return known;
        }
        Refuse(signal, Bounded(by), RefusedUnknownPerson, $"'{Bounded(by)}' is not an approver or operator in the worker's policy; only they may send {signal}.");
        return null;
    }

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
        KeepRefusal(new RefusalRecord(handler, string.IsNullOrWhiteSpace(by) ? null : Bounded(by.Trim()), code, reason, Now));
        Workflow.Logger.LogWarning("Window {WindowId} refused {Handler} from {By}: {Reason}", WindowId, handler, by ?? "(unknown)", reason);
    }

    private sealed record Refusal(string Code, string Reason);
}
