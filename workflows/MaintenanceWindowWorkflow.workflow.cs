using MaintenanceWorkflows.Workflows.Contracts;
using MaintenanceWorkflows.Workflows.Governance;
using MaintenanceWorkflows.Workflows.Plans;
using Microsoft.Extensions.Logging;
using Temporalio.Exceptions;
using Temporalio.Workflows;

namespace MaintenanceWorkflows.Workflows;

/// <summary>
/// One maintenance window: notice, approvals and checklist, pre-checks, steps with registered
/// compensations, verification over a soak period, automatic rollback, and the closing notice.
/// This file tells the story top-down (run, then each stage, then how a window ends); the state lives in
/// <c>.State</c>, the step and check work in <c>.Steps</c>, what people see (Status, report) in
/// <c>.Projections</c> and the signals in <c>.Handlers</c>.
/// </summary>
[Workflow]
public partial class MaintenanceWindowWorkflow
{
    /// <summary>Soak rounds are capped so a 24-hour soak stays far inside Temporal's history limits.</summary>
    public const int MaxVerificationRounds = 200;

    /// <summary>
    /// A waiting window continues as new past this many history events (or when the server suggests it):
    /// far below Temporal's 10,240-event warning and 51,200-event limit, so a signal flood cannot end it.
    /// </summary>
    public const int ContinueAsNewAfterEvents = 4_000;

    /// <summary>Memo key with the closing summary of a window that ended Canceled (it returns no report).</summary>
    public const string OutcomeMemo = "Outcome";

    /// <summary>Notices go out one at a time, so two notices can never race to create the same status-page entry.</summary>
    private readonly Temporalio.Workflows.Semaphore noticeGate = new(1);

    private readonly MaintenancePlan plan;
    private readonly DateTimeOffset scheduledAt;
    private readonly Progress progress;
    private readonly Ledger ledger = new();
    private readonly Execution execution;

    // The previous run's state when this run continues a waiting window; null in the first run.
    private readonly WindowCarry? carried;
    private readonly bool forgedCarry;

    /// <summary>
    /// Initializes a new instance of the <see cref="MaintenanceWindowWorkflow"/> class. Runs before any
    /// signal, update or query is delivered, so handlers always see the plan; the policy and schedule come
    /// from the worker (PrepareAsync), and handlers that need them wait for them.
    /// </summary>
    [WorkflowInit]
    public MaintenanceWindowWorkflow(MaintenanceWindowInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        plan = input.Plan;
        execution = new Execution(plan.Steps.Count);
        // Only Temporal starts a continued run; a carry in any other start is a client's forgery and is ignored.
        carried = Workflow.Info.ContinuedRunId is null ? null : input.Carried;
        forgedCarry = carried is null && input.Carried is not null;
        if (carried is not null)
        {
            scheduledAt = carried.ScheduledAt;
            progress = new Progress
            {
                Phase = carried.Phase,
                PhaseSince = carried.PhaseSince,
                WindowEnd = carried.WindowEnd,
                ExtensionsUsed = carried.ExtensionsUsed,
                NoticeSent = carried.NoticeSent,
                RemindersSent = carried.RemindersSent,
                ApprovalEscalated = carried.ApprovalEscalated,
                Paused = carried.Paused,
                AbortReason = carried.AbortReason,
                AbortedBy = carried.AbortedBy,
                Continuations = carried.Continuations,
            };
            ledger.Restore(carried);
            Adopt(carried.Prepared);
            requesterConfirmed = carried.RequesterConfirmed;
            return;
        }
        scheduledAt = Now;
        progress = new Progress
        {
            PhaseSince = scheduledAt,
            WindowEnd = plan.Window.End,
            NextDeadline = new("the worker's policy check", scheduledAt),
        };
    }

    [WorkflowRun]
    public async Task<MaintenanceReport> RunAsync(MaintenanceWindowInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (carried is null)
        {
            await PrepareAsync(scheduledAt);
        }
        // Windows started without search attributes (e.g. from the Temporal UI) still get them.
        Workflow.UpsertTypedSearchAttributes(
            MaintenanceSearchAttributes.PlanId.ValueSet(plan.Id),
            MaintenanceSearchAttributes.MaintenanceType.ValueSet(plan.Type.ToString()),
            MaintenanceSearchAttributes.WindowStart.ValueSet(schedule.WindowStart),
            MaintenanceSearchAttributes.WindowEnd.ValueSet(progress.WindowEnd),
            MaintenanceSearchAttributes.AffectedSystems.ValueSet(plan.Systems.Select(s => s.Name).ToList()));
        if (carried is null)
        {
            // Scheduled when Temporal recorded the start, as the history (and so the postmortem) shows it, not when the
            // worker's policy check above finished.
            EnterPhase(WindowPhase.Scheduled, input.ScheduledBy is null ? null : $"scheduled by {input.ScheduledBy}", new DateTimeOffset(Workflow.Info.StartTime, TimeSpan.Zero));
        }

        // A Temporal cancellation request is an abort: before the start the window is cancelled with a
        // notice, during the work what ran is rolled back. Every wait below therefore uses its own token
        // instead of the workflow's, so the closing work still runs.
        using var onCancel = Workflow.CancellationToken.Register(() => RequestAbort(TemporalCancellation, "workflow cancellation was requested"));

        if (forgedCarry)
        {
            Refuse("start", input.ScheduledBy, RefusedPayload, "the start input carried a continuation state; only the window itself continues as new, so it was ignored and the worker's policy prepared the window.");
        }
        var summary = await RunWindowAsync(carried is not null);

        // Let in-flight signal and update handlers finish so none is lost when the run closes.
        await Workflow.WaitConditionAsync(() => Workflow.AllHandlersFinished, Never);
        var report = BuildReport(summary);
        if (Workflow.CancellationToken.IsCancellationRequested)
        {
            // Temporal's own status must say Canceled. The closing notices went out above; the report is
            // logged and stays readable through the Status query (replayed for a closed workflow).
            Workflow.Logger.LogWarning("Window {WindowId} was cancelled through Temporal: {Outcome}: {Summary}", WindowId, report.Outcome, report.Summary);
            Workflow.UpsertMemo(MemoUpdate.ValueSet(OutcomeMemo, Bounded(summary, MaxTextLength)!));
            throw new OperationCanceledException($"window {WindowId} cancelled through Temporal: {report.Outcome}: {summary}", Workflow.CancellationToken);
        }
        return report;
    }

    /// <summary>The window's stages in order; each either lets the next one run or ends the window. Returns the closing summary.</summary>
    private async Task<string> RunWindowAsync(bool continued)
    {
        if (!continued)
        {
            var violations = prepared!.Violations.Where(v => v.Severity == ViolationSeverity.Error).ToList();
            if (violations.Count > 0)
            {
                return Finish(
                    WindowPhase.Failed,
                    $"the plan breaks the worker's policy (sha256 {PolicyHash.Short(prepared.PolicyHash)}) and was not run: {string.Join("; ", violations.Select(v => $"{v.Path}: {v.Message}"))}");
            }

            await NotifyAsync(NoticeKind.ApprovalRequest, new NoticeFacts
            {
                ApprovalsMissing = Approval.Missing,
                ApprovalDeadline = schedule.ApprovalDeadline,
            });
            await SendCodesAsync("request");
        }

        var beforeStart = await WaitForWindowStartAsync();
        if (!beforeStart.Proceeds)
        {
            return beforeStart.Reason;
        }

        // Past the latest start nothing begins: a window that runs hours late breaks the promise to the business.
        var checklist = await HoldForChecklistAsync(ChecklistPhase.Before, schedule.LatestStart);
        if (!checklist.Proceeds)
        {
            return await PostponeAsync(checklist.Reason, escalate: true);
        }

        var preChecks = await RunPreChecksAsync();
        if (!preChecks.Proceeds)
        {
            return await PostponeAsync(preChecks.Reason);
        }
        if (AbortRequested)
        {
            return await CancelAsync($"aborted by {progress.AbortedBy} before any change: {progress.AbortReason}");
        }
        if (Now > schedule.LatestStart)
        {
            return await PostponeAsync(LateReason(), escalate: true);
        }

        return await ExecuteAsync();
    }

    private string LateReason() =>
        $"the window could not start by its latest start {ZoneMath.FormatUtc(schedule.LatestStart)} (planned {ZoneMath.FormatUtc(schedule.WindowStart)}; now {ZoneMath.FormatUtc(Now)})";

    /// <summary>
    /// Waits through notice, reminders, escalation and the approval deadline until the window starts.
    /// Ends the window (cancelled, rejected, no approval) when it must not start.
    /// </summary>
    private async Task<StageResult> WaitForWindowStartAsync()
    {
        var approvalMayFollow = schedule.ApprovalDeadline > schedule.WindowStart;
        while (true)
        {
            var approval = Approval;
            if (AbortRequested)
            {
                return StageResult.Closed(await CancelAsync($"cancelled by {progress.AbortedBy} before the window started: {progress.AbortReason}"));
            }
            if (approval.Rejected)
            {
                return StageResult.Closed(await RejectAsync(approval));
            }
            var now = Now;
            if (now > schedule.LatestStart)
            {
                // E.g. the worker was down: no late notice, no late change; propose the next slot instead.
                return StageResult.Closed(await PostponeAsync(LateReason(), escalate: true));
            }
            if (!progress.NoticeSent && now >= schedule.NoticeAt)
            {
                var deliveries = await NotifyAsync(NoticeKind.PreMaintenance, new NoticeFacts());
                progress.NoticeSent = true;
                EnterPhase(WindowPhase.NoticeSent);
                var undelivered = deliveries.Where(d => d.Status == DeliveryStatus.Failed).ToList();
                if (schedule.NoticeRequired && undelivered.Count > 0)
                {
                    // The customers were promised this notice a notice period ahead; without it the window must not run.
                    return StageResult.Closed(await PostponeAsync(
                        $"the pre-maintenance notice was not delivered on {string.Join(", ", undelivered.Select(d => $"{d.Channel} ({d.Detail})"))}",
                        escalate: true));
                }
                continue;
            }
            if (progress.NoticeSent)
            {
                SetPhaseIfChanged(approval.Approved || approvalMayFollow ? WindowPhase.NoticeSent : WindowPhase.AwaitingApproval);
            }
            if (progress.RemindersSent < schedule.Reminders.Count && now >= schedule.Reminders[progress.RemindersSent])
            {
                progress.RemindersSent++;
                if (progress.NoticeSent)
                {
                    await NotifyAsync(NoticeKind.Reminder, new NoticeFacts { ReminderNumber = progress.RemindersSent });
                }
                if (!approval.Approved)
                {
                    await SendCodesAsync("reminder");
                }
                continue;
            }
            if (!progress.ApprovalEscalated && !approval.Approved && schedule.EscalationAt is { } escalateAt && now >= escalateAt)
            {
                progress.ApprovalEscalated = true;
                await NotifyAsync(NoticeKind.Escalation, ApprovalFacts($"approvals still missing {Format(now - schedule.ScheduledAt)} after the request"));
                await SendCodesAsync("escalation");
                continue;
            }
            if (!approval.Approved && !approvalMayFollow && now >= schedule.ApprovalDeadline && votesInFlight > 0)
            {
                // A vote that arrived before the deadline is judged by its arrival, even when a busy worker checks it later.
                await Workflow.WaitConditionAsync(() => votesInFlight == 0, Never);
                continue;
            }
            if (!approval.Approved && !approvalMayFollow && now >= schedule.ApprovalDeadline)
            {
                return StageResult.Closed(await CancelAsync(
                    $"not approved by the deadline {ZoneMath.FormatUtc(schedule.ApprovalDeadline)} " +
                    $"({approval.Approvals}/{approval.Required} approvals{MissingGates(approval)})"));
            }
            if (now >= schedule.WindowStart && progress.NoticeSent && (approval.Approved || approvalMayFollow))
            {
                return StageResult.Proceed;
            }

            var next = NextPreStartDeadline(approvalMayFollow, approval);
            progress.NextDeadline = next;
            progress.WaitingFor = approval.Approved || approvalMayFollow ? "the window start" : $"approvals ({approval.Approvals}/{approval.Required}{MissingGates(approval)})";
            await ContinueAsNewIfHistoryLongAsync();
            var seenVotes = ledger.Votes.Count;
            var seenConfirmation = requesterConfirmed;
            var wakeAt = next?.At ?? now;
            if (wakeAt > now)
            {
                await Workflow.WaitConditionAsync(() => AbortRequested || ledger.Votes.Count != seenVotes || requesterConfirmed != seenConfirmation || HistoryTooLong, wakeAt - now, Never);
            }
        }
    }

    /// <summary>Set once a waiting window has decided to continue as new and waits for its handlers to finish.</summary>
    private bool handingOver;

    private static bool HistoryTooLong => Workflow.ContinueAsNewSuggested || Workflow.CurrentHistoryLength > ContinueAsNewAfterEvents;

    /// <summary>
    /// Before the start the window only waits, so it can hand its state to a fresh run: a long wait or a
    /// flood of signals then never grows one history towards Temporal's limits. Never after work began.
    /// </summary>
    private async Task ContinueAsNewIfHistoryLongAsync()
    {
        if (!HistoryTooLong || execution.Started)
        {
            return;
        }
        // From here no new proof check starts (see ProofNotCheckable): the checks in flight finish, then the run hands over.
        handingOver = true;
        await Workflow.WaitConditionAsync(() => Workflow.AllHandlersFinished, Never);
        progress.Continuations++;
        Workflow.Logger.LogInformation("Window {WindowId} continues as new after {Events} history events", WindowId, Workflow.CurrentHistoryLength);
        var carry = new WindowCarry
        {
            FirstRunId = CodeRunId,
            ScheduledAt = scheduledAt,
            Prepared = prepared!,
            RequesterConfirmed = requesterConfirmed,
            Phase = progress.Phase,
            PhaseSince = progress.PhaseSince,
            WindowEnd = progress.WindowEnd,
            ExtensionsUsed = progress.ExtensionsUsed,
            NoticeSent = progress.NoticeSent,
            RemindersSent = progress.RemindersSent,
            ApprovalEscalated = progress.ApprovalEscalated,
            Paused = progress.Paused,
            AbortReason = progress.AbortReason,
            AbortedBy = progress.AbortedBy,
            Continuations = progress.Continuations,
            Phases = ledger.Phases,
            Votes = ledger.Votes,
            Refusals = ledger.Refusals,
            RefusalCount = ledger.RefusalCount,
            Acknowledgements = ledger.Acknowledgements,
            Notices = ledger.Notices,
            OperatorActions = ledger.OperatorActions,
            OperatorActionCount = ledger.OperatorActionCount,
        };
        throw Workflow.CreateContinueAsNewException((MaintenanceWindowWorkflow wf) => wf.RunAsync(new MaintenanceWindowInput { Plan = plan, Carried = carry }));
    }

    private Deadline? NextPreStartDeadline(bool approvalMayFollow, ApprovalStatus approval)
    {
        var candidates = new List<Deadline>();
        if (!progress.NoticeSent)
        {
            candidates.Add(new("pre-maintenance notice", schedule.NoticeAt));
        }
        if (progress.RemindersSent < schedule.Reminders.Count)
        {
            candidates.Add(new($"reminder {progress.RemindersSent + 1}", schedule.Reminders[progress.RemindersSent]));
        }
        if (!approval.Approved)
        {
            if (!progress.ApprovalEscalated && schedule.EscalationAt is { } escalateAt)
            {
                candidates.Add(new("approval escalation", escalateAt));
            }
            if (!approvalMayFollow)
            {
                candidates.Add(new("approval deadline", schedule.ApprovalDeadline));
            }
        }
        candidates.Add(new("window start", schedule.WindowStart));
        return candidates.MinBy(c => c.At);
    }

    /// <summary>Blocking manual checklist items of a phase hold the window until acknowledged or until <paramref name="until"/>.</summary>
    private async Task<StageResult> HoldForChecklistAsync(ChecklistPhase checklistPhase, DateTimeOffset until)
    {
        while (true)
        {
            var missing = plan.Checklist.Where(i => i.Phase == checklistPhase && i.Blocking && !i.IsAutomated && !IsAcknowledged(i.Id)).ToList();
            if (missing.Count == 0 || AbortRequested)
            {
                progress.WaitingFor = null;
                progress.NextDeadline = null;
                return StageResult.Proceed;
            }
            var now = Now;
            if (now >= until)
            {
                return StageResult.Stop(
                    $"blocking {checklistPhase.ToString().ToLowerInvariant()} checklist item(s) not acknowledged by {ZoneMath.FormatUtc(until)}: " +
                    string.Join(", ", missing.Select(i => $"'{i.Id}' ({i.Text})")));
            }
            progress.WaitingFor = $"acknowledgement of checklist item(s) {string.Join(", ", missing.Select(i => $"'{i.Id}'"))}";
            progress.NextDeadline = new($"{checklistPhase.ToString().ToLowerInvariant()} checklist", until);
            var seen = ledger.Acknowledgements.Count;
            await Workflow.WaitConditionAsync(() => AbortRequested || ledger.Acknowledgements.Count != seen || Now >= until, until - now, Never);
        }
    }

    /// <summary>Runs the pre checks; stops (to postpone) when a blocking one failed.</summary>
    private async Task<StageResult> RunPreChecksAsync()
    {
        EnterPhase(WindowPhase.PreChecks);
        var checks = plan.Checks.Where(c => c.RunsPre).ToList();
        progress.WaitingFor = $"{checks.Count} pre-check(s)";
        // Past the latest start the window will not begin, however the checks come out.
        progress.NextDeadline = new("latest start", schedule.LatestStart);
        var results = await RunChecksAsync(checks, Never);
        ledger.PreChecks.AddRange(results);
        var failed = checks.Zip(results).Where(p => p.First.Blocking && !p.Second.Passed).ToList();
        progress.WaitingFor = null;
        return failed.Count == 0
            ? StageResult.Proceed
            : StageResult.Stop($"blocking pre-check(s) failed: {string.Join("; ", failed.Select(p => $"{p.First.Id}: {p.Second.Message}"))}");
    }

    /// <summary>Runs the steps, the during-checklist and the soak; completes, or rolls back what ran.</summary>
    private async Task<string> ExecuteAsync()
    {
        EnterPhase(WindowPhase.InProgress);
        execution.StartedAt = Now;
        var overrun = Workflow.RunTaskAsync(WatchOverrunAsync);
        var retroactiveApproval = Workflow.RunTaskAsync(WatchRetroactiveApprovalAsync);
        await NotifyAsync(NoticeKind.InProgress, new NoticeFacts { StartedAt = execution.StartedAt });

        var outcome = await RunStepsAsync();
        if (outcome.Proceeds)
        {
            outcome = await HoldForChecklistAsync(ChecklistPhase.During, progress.WindowEnd);
        }
        if (outcome.Proceeds && AbortRequested)
        {
            outcome = StageResult.Stop($"aborted by {progress.AbortedBy}: {progress.AbortReason}");
        }
        if (outcome.Proceeds)
        {
            outcome = await VerifyAsync();
        }

        var summary = outcome.Proceeds ? await CompleteAsync() : await RollBackAsync(outcome.Reason);
        execution.Cancellation.Cancel();
        await overrun;
        var approvalGap = await retroactiveApproval;
        return approvalGap is null ? summary : $"{summary}; {approvalGap}";
    }

    /// <summary>Runs the steps in order; stops (to roll back) at the first that did not succeed.</summary>
    private async Task<StageResult> RunStepsAsync()
    {
        var ct = execution.Cancellation.Token;
        for (var i = 0; i < plan.Steps.Count; i++)
        {
            var step = plan.Steps[i];
            await WhilePausedAsync();
            if (AbortRequested)
            {
                return StageResult.Stop($"aborted by {progress.AbortedBy} before step '{step.Id}': {progress.AbortReason}");
            }
            progress.WaitingFor = $"step '{step.Id}' ({i + 1}/{plan.Steps.Count})";
            execution.StepStates[i] = step is ManualStep ? StepState.WaitingForAcknowledgement : StepState.Running;
            var startedAt = Now;
            try
            {
                var detail = await RunStepAsync(i, ct);
                execution.StepStates[i] = StepState.Succeeded;
                ledger.Steps.Add(new() { StepId = step.Id, Title = step.Title, Type = step.StepType, Outcome = StepOutcome.Succeeded, StartedAt = startedAt, FinishedAt = Now, Detail = detail });
            }
            catch (Exception e) when (IsStepFailure(e))
            {
                var cancelled = AbortRequested && IsCancellation(e);
                execution.StepStates[i] = cancelled ? StepState.Cancelled : StepState.Failed;
                var detail = cancelled ? $"cancelled: {progress.AbortReason}" : PlanActivities.Describe(e);
                ledger.Steps.Add(new() { StepId = step.Id, Title = step.Title, Type = step.StepType, Outcome = cancelled ? StepOutcome.Cancelled : StepOutcome.Failed, StartedAt = startedAt, FinishedAt = Now, Detail = detail });
                Workflow.Logger.LogWarning("Step {StepId} of {WindowId} did not succeed: {Detail}", step.Id, WindowId, detail);
                return StageResult.Stop(cancelled ? $"aborted by {progress.AbortedBy} during step '{step.Id}': {progress.AbortReason}" : $"step '{step.Id}' failed: {detail}");
            }
        }
        progress.WaitingFor = null;
        return StageResult.Proceed;
    }

    /// <summary>Repeats the verify checks over the soak; stops (to roll back) when a rollback trigger fired.</summary>
    private async Task<StageResult> VerifyAsync()
    {
        EnterPhase(WindowPhase.Verifying);
        var checks = plan.Checks.Where(c => c.RunsVerify).ToList();
        var settings = schedule.Verification;
        var plannedRounds = (int)Math.Clamp(Math.Ceiling(settings.Soak / settings.Interval), 1, MaxVerificationRounds);
        var interval = plannedRounds > 1 ? settings.Soak / plannedRounds : settings.Interval;
        var tracker = new VerificationTracker(plan.Rollback.Triggers, checks, plannedRounds);
        var ct = execution.Cancellation.Token;
        for (var round = 1; round <= plannedRounds && checks.Count > 0; round++)
        {
            await WhilePausedAsync();
            if (AbortRequested)
            {
                break;
            }
            progress.WaitingFor = $"verification round {round}/{plannedRounds}";
            progress.NextDeadline = new("end of soak", Now + (interval * (plannedRounds - round + 1)));
            IReadOnlyList<CheckResult> results;
            try
            {
                results = await RunChecksAsync(checks, ct);
            }
            catch (Exception e) when (AbortRequested && IsCancellation(e))
            {
                // Abort (or the overrun policy) cancelled the round in flight; the rollback takes over.
                break;
            }
            tracker.Record(results);
            if (tracker.Trigger is not null || AbortRequested)
            {
                break;
            }
            if (round < plannedRounds)
            {
                await WaitOrAbortAsync(interval);
                if (AbortRequested)
                {
                    break;
                }
            }
        }
        var trigger = AbortRequested ? null : (checks.Count == 0 ? null : tracker.Finish());
        ledger.Verification = tracker.Summarize(settings.Soak, interval);
        progress.WaitingFor = null;
        if (AbortRequested)
        {
            return StageResult.Stop($"aborted by {progress.AbortedBy} during verification: {progress.AbortReason}");
        }
        return trigger is null ? StageResult.Proceed : StageResult.Stop($"rollback trigger: {trigger}");
    }

    private async Task<string> CompleteAsync()
    {
        var finishedAt = Now;
        var summary = $"completed: {plan.Steps.Count} step(s) ran and verification passed";
        Finish(WindowPhase.Completed, summary);
        await NotifyAsync(NoticeKind.Completion, new NoticeFacts
        {
            StartedAt = execution.StartedAt,
            CompletedAt = finishedAt,
            Duration = finishedAt - execution.StartedAt,
            Verification = VerificationLines(),
        });
        // After-items (status page back to operational, smoke tests, summary in #team-ops) are done once
        // the work is over: give people until the window end, and at least an hour.
        var afterDeadline = progress.WindowEnd > finishedAt + TimeSpan.FromHours(1) ? progress.WindowEnd : finishedAt + TimeSpan.FromHours(1);
        var after = await HoldForChecklistAsync(ChecklistPhase.After, afterDeadline);
        return after.Proceeds ? summary : $"{summary}; {after.Reason}";
    }

    /// <summary>
    /// Undoes what ran, newest first, continuing past failures; then verifies the rollback. Always ends: each
    /// compensation is retried (and escalated at intervals) until it succeeds or the policy's rollback
    /// deadline passes; what is still in place then is named in a P1 escalation.
    /// </summary>
    private async Task<string> RollBackAsync(string reason)
    {
        EnterPhase(WindowPhase.RollingBack, reason);
        var deadline = Now + schedule.Rollback.Deadline;
        progress.NextDeadline = new("rollback deadline", deadline);
        await NotifyAsync(NoticeKind.Rollback, new NoticeFacts { Reason = reason, StartedAt = execution.StartedAt });

        var undone = new List<string>();
        var notUndone = new List<string>();
        for (var i = execution.Compensations.Count - 1; i >= 0; i--)
        {
            var compensation = execution.Compensations[i];
            var step = plan.Steps[compensation.StepIndex];
            if (step is ManualStep or WaitStep && execution.StepStates[compensation.StepIndex] is StepState.Cancelled or StepState.Failed)
            {
                // A manual step nobody acknowledged (or a wait) changed nothing: running its rollback could only do harm.
                ledger.Compensations.Add(new() { StepId = compensation.StepId, Description = compensation.Description, Outcome = CompensationOutcome.NotNeeded, At = Now, Detail = "the step never ran, so there is nothing to undo" });
                continue;
            }
            progress.WaitingFor = $"compensation of step '{compensation.StepId}'";
            var outcome = await UndoUntilDoneAsync(compensation, deadline);
            ledger.Compensations.Add(new() { StepId = compensation.StepId, Description = compensation.Description, Outcome = outcome.Undone ? CompensationOutcome.Undone : CompensationOutcome.Failed, At = Now, Detail = outcome.Detail });
            execution.StepStates[compensation.StepIndex] = outcome.Undone ? StepState.Undone : StepState.UndoFailed;
            if (outcome.Undone)
            {
                undone.Add(compensation.StepId);
            }
            else
            {
                notUndone.Add($"{compensation.StepId}: {outcome.Detail}");
            }
        }

        // The checks run even when the workflow itself was cancelled, so they get no cancellation token.
        var verifyChecks = RollbackChecks();
        progress.WaitingFor = "verification of the rollback";
        ledger.RollbackVerification.AddRange(await RunChecksAsync(verifyChecks, Never));
        var stillFailing = verifyChecks.Zip(ledger.RollbackVerification).Where(p => p.First.Blocking && !p.Second.Passed).Select(p => $"{p.First.Id}: {p.Second.Message}").ToList();
        progress.WaitingFor = null;

        var finishedAt = Now;
        var facts = new NoticeFacts
        {
            Reason = reason,
            StartedAt = execution.StartedAt,
            CompletedAt = finishedAt,
            Duration = finishedAt - execution.StartedAt,
            RolledBack = undone,
            NotUndone = notUndone,
            Verification = ledger.RollbackVerification.Select(ToLine).ToList(),
        };
        if (notUndone.Count == 0 && stillFailing.Count == 0)
        {
            var verified = verifyChecks.Count > 0
                ? "the rollback verified"
                : "the rollback not verified (the plan has no check that describes the state before the change)";
            var summary = $"rolled back ({reason}); {undone.Count} change(s) undone and {verified}";
            Finish(WindowPhase.RolledBack, summary);
            await NotifyAsync(NoticeKind.Rollback, facts);
            return summary;
        }

        var failed = $"rollback incomplete ({reason}): " +
            string.Join("; ", notUndone.Select(n => $"not undone: {n}").Concat(stillFailing.Select(s => $"still failing after rollback: {s}")));
        Finish(WindowPhase.Failed, failed);
        await NotifyAsync(NoticeKind.Rollback, facts);
        var p1 = policy.IncidentLevels.FirstOrDefault(l => string.Equals(l.Level, "P1", StringComparison.OrdinalIgnoreCase));
        await NotifyAsync(NoticeKind.Escalation, facts with
        {
            Reason = p1 is null
                ? $"P1: {failed}"
                : $"{p1.Level} ({p1.Definition}; respond within {p1.ResponseTime}; {p1.Escalation}): {failed}",
        });
        return failed;
    }

    /// <summary>
    /// Runs one compensation until it succeeds, retrying failures after a pause and escalating every
    /// <see cref="RollbackPolicy.EscalateEvery"/> while it is not done (also while a manual rollback step waits
    /// for its acknowledgement). At <paramref name="deadline"/> it stops and reports the change as still in place.
    /// </summary>
    private async Task<UndoOutcome> UndoUntilDoneAsync(Compensation compensation, DateTimeOffset deadline)
    {
        var started = Now;
        var lastEscalation = started;
        var attempts = 0;
        string? lastError = null;
        while (true)
        {
            attempts++;
            using var giveUp = new CancellationTokenSource();
            var undo = UndoAsync(compensation, giveUp.Token);
            while (!undo.IsCompleted)
            {
                var wakeAt = Min(lastEscalation + schedule.Rollback.EscalateEvery, deadline);
                if (wakeAt > Now && await Workflow.WaitConditionAsync(() => undo.IsCompleted, wakeAt - Now, Never))
                {
                    break;
                }
                if (Now >= deadline)
                {
                    giveUp.Cancel();
                    try
                    {
                        return new UndoOutcome(true, await undo);
                    }
                    catch (Exception e) when (IsStepFailure(e))
                    {
                        // Cancelled at the deadline: the outcome below says what is still in place.
                    }
                    return new UndoOutcome(false, $"not undone by the rollback deadline {ZoneMath.FormatUtc(deadline)} after {attempts} attempt(s){(lastError is null ? string.Empty : $"; last error: {lastError}")}");
                }
                lastEscalation = Now;
                await EscalateRollbackAsync(compensation, started, deadline, lastError ?? "still running");
            }
            try
            {
                return new UndoOutcome(true, await undo);
            }
            catch (Exception e) when (IsStepFailure(e))
            {
                lastError = PlanActivities.Describe(e);
                if (e is ApplicationFailureException { NonRetryable: true } || Now >= deadline)
                {
                    return new UndoOutcome(false, attempts == 1 ? lastError : $"{lastError} (after {attempts} attempts)");
                }
                Workflow.Logger.LogWarning("Compensation of {StepId} in {WindowId} failed (attempt {Attempt}): {Error}", compensation.StepId, WindowId, attempts, lastError);
            }
            if (Now >= lastEscalation + schedule.Rollback.EscalateEvery)
            {
                lastEscalation = Now;
                await EscalateRollbackAsync(compensation, started, deadline, lastError);
            }
            var pause = Min(Now + CompensationPause, deadline) - Now;
            if (pause > TimeSpan.Zero)
            {
                await Workflow.DelayAsync(pause, Never);
            }
        }
    }

    /// <summary>Pause between two rounds of a failing compensation (each round already retries a few times).</summary>
    private static readonly TimeSpan CompensationPause = TimeSpan.FromMinutes(1);

    private async Task EscalateRollbackAsync(Compensation compensation, DateTimeOffset started, DateTimeOffset deadline, string state)
    {
        var text = $"rollback of step '{compensation.StepId}' ({compensation.Description}) not done after {Format(Now - started)}: {state}; the rollback deadline is {ZoneMath.FormatUtc(deadline)}";
        RecordOperatorAction(new("escalate", "policy", text, Now));
        await NotifyAsync(NoticeKind.Escalation, new NoticeFacts { Reason = text, StartedAt = execution.StartedAt });
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a <= b ? a : b;

    /// <summary>
    /// What "back to the previous state" means: the pre checks that describe the system before the change
    /// (alias parity with the old version, status endpoints), plus the verify checks that test health without
    /// asserting the new version (routes, keys, smoke invoke). Checks that expect the new version, the email
    /// quota and change freezes say nothing about a rollback.
    /// </summary>
    private List<PlanCheck> RollbackChecks() => plan.Checks
        .Where(c => c.RunsPre
            ? c is LambdaAliasCheck or HttpStatusCheck or HttpJsonCheck
            : c is HttpStatusCheck or HttpJsonCheck { Expect.Count: 0 } or LambdaInvokeCheck)
        .ToList();

    /// <summary>
    /// Emergencies may start before they are approved (the policy's deadline falls after the start). The
    /// window stays open until the approval arrives or the deadline passes; a missing approval is escalated
    /// and named in the report. A rejection that arrives meanwhile aborts and rolls back (see RecordVote).
    /// </summary>
    private async Task<string?> WatchRetroactiveApprovalAsync()
    {
        if (Approval.Approved || schedule.ApprovalDeadline <= schedule.WindowStart)
        {
            return null;
        }
        var wait = schedule.ApprovalDeadline - Now;
        if (wait > TimeSpan.Zero)
        {
            // Votes are taken until the deadline even when the work finished first.
            awaitingLateApproval = true;
            await Workflow.WaitConditionAsync(() => Approval.Approved || Approval.Rejected, wait, Never);
            awaitingLateApproval = false;
        }
        var approval = Approval;
        if (approval.Rejected)
        {
            return null;
        }
        if (approval.Approved)
        {
            var last = ledger.Votes.Where(v => v.Vote.Decision == VoteDecision.Approve).Max(v => v.Vote.At ?? Now);
            return $"approved late (after the work started) by {string.Join(", ", approval.ApprovedBy)} at {ZoneMath.FormatUtc(last)}, within the deadline {ZoneMath.FormatUtc(schedule.ApprovalDeadline)}";
        }
        var gap = $"ran without the required approval, still missing at the deadline {ZoneMath.FormatUtc(schedule.ApprovalDeadline)} ({approval.Approvals}/{approval.Required}{MissingGates(approval)})";
        RecordOperatorAction(new("escalate", "policy", gap, Now));
        await NotifyAsync(NoticeKind.Escalation, ApprovalFacts($"emergency window {gap}"));
        return gap;
    }

    /// <summary>Enforces the window end while work runs: extend, roll back or notify, as the policy says.</summary>
    private async Task WatchOverrunAsync()
    {
        // Once the work is cancelled the rollback takes over; looping on would spin while a step (a rollout) winds down.
        while (!progress.Phase.IsFinal() && progress.Phase != WindowPhase.RollingBack && !execution.Cancellation.IsCancellationRequested)
        {
            var end = progress.WindowEnd;
            var wait = end - Now;
            if (wait > TimeSpan.Zero)
            {
                await Workflow.WaitConditionAsync(
                    () => progress.Phase.IsFinal() || progress.Phase == WindowPhase.RollingBack || progress.WindowEnd != end || execution.Cancellation.IsCancellationRequested,
                    wait,
                    Never);
                continue;
            }
            if (progress.Phase.IsFinal() || progress.Phase == WindowPhase.RollingBack || execution.Cancellation.IsCancellationRequested)
            {
                return;
            }
            var overrun = schedule.Overrun;
            if (overrun.Action == OverrunAction.Extend && progress.ExtensionsUsed < overrun.MaxExtensions)
            {
                progress.ExtensionsUsed++;
                SetWindowEnd(end + overrun.Extension);
                RecordOperatorAction(new("extend", "policy", $"window overran; automatic extension {progress.ExtensionsUsed}/{overrun.MaxExtensions}", Now));
                await NotifyAsync(NoticeKind.Extended, new NoticeFacts { NewEnd = progress.WindowEnd, Reason = $"the work needs more time; extended by {Format(overrun.Extension)}" });
            }
            else if (overrun.Action == OverrunAction.Notify)
            {
                RecordOperatorAction(new("overrun", "policy", "window end passed; continuing as the policy says", Now));
                await NotifyAsync(NoticeKind.Escalation, new NoticeFacts { Reason = $"the window passed its end ({ZoneMath.FormatUtc(end)}) and is still running" });
                return;
            }
            else
            {
                RecordOperatorAction(new("abort", "policy", "window end passed without an extension", Now));
                RequestAbort("policy", $"the window passed its end ({ZoneMath.FormatUtc(end)}) without an extension");
                return;
            }
        }
    }

    /// <summary>
    /// Nothing changed; the window ends Postponed with the next slot the policy allows (the same calendar
    /// rules <c>starter slots</c> walks: cadence, notice period, freezes, blackouts) to reschedule into.
    /// </summary>
    private async Task<string> PostponeAsync(string reason, bool escalate = false)
    {
        var (next, unanswered) = await NextFreeSlotAsync();
        ledger.NextSlot = next;
        var proposal = next is { } slot
            ? $"; next free slot {ZoneMath.FormatUtc(slot)} - {ZoneMath.FormatUtc(slot + plan.Window.Duration)}"
            : unanswered is null ? "; no free slot found in the next 120 days" : $"; no next slot proposed ({unanswered}): run `starter slots` for one";
        var summary = $"postponed before any change: {reason}{proposal}";
        Finish(WindowPhase.Postponed, summary);
        await NotifyAsync(NoticeKind.Postponed, new NoticeFacts { Reason = reason, NewStart = next, Verification = ledger.PreChecks.Select(ToLine).ToList() });
        if (escalate)
        {
            RecordOperatorAction(new("escalate", "policy", summary, Now));
            await NotifyAsync(NoticeKind.Escalation, new NoticeFacts { Reason = $"window postponed: {reason}{proposal}", NewStart = next });
        }
        return summary;
    }

    /// <summary>Windows recorded before the worker proposed the next slot computed it in the workflow.</summary>
    public const string NextSlotActivityPatch = "next-slot-from-the-worker";

    /// <summary>
    /// The next free slot, decided by the worker and recorded (so a deploy that changes the calendar rules cannot
    /// change the proposal on replay). A worker that cannot answer does not hold the postponement: after a few
    /// tries the window ends Postponed without a proposal.
    /// </summary>
    private async Task<(DateTimeOffset? Start, string? Unanswered)> NextFreeSlotAsync()
    {
        if (!Workflow.Patched(NextSlotActivityPatch))
        {
            return (CalendarRules.EarliestLegalStart(plan, policy, Now), null);
        }
        try
        {
            var result = await Workflow.ExecuteActivityAsync<FindNextSlotResult>(
                ActivityNames.FindNextSlot,
                [new FindNextSlotInput(WindowId, plan, Now)],
                new ActivityOptions
                {
                    StartToCloseTimeout = TimeSpan.FromMinutes(1),
                    RetryPolicy = new Temporalio.Common.RetryPolicy { InitialInterval = TimeSpan.FromSeconds(1), MaximumInterval = TimeSpan.FromSeconds(30), MaximumAttempts = 5 },
                    CancellationToken = Never,
                    Summary = "next free slot",
                });
            return (result.Start, null);
        }
        catch (ActivityFailureException e)
        {
            var error = PlanActivities.Describe(e);
            Workflow.Logger.LogWarning("Window {WindowId}: the worker could not propose the next slot: {Error}", WindowId, error);
            return (null, $"the worker could not compute one: {error}");
        }
    }

    private async Task<string> CancelAsync(string reason)
    {
        Finish(WindowPhase.Cancelled, reason);
        await NotifyAsync(NoticeKind.Cancelled, new NoticeFacts { Reason = reason }, customersToo: progress.NoticeSent);
        return reason;
    }

    private async Task<string> RejectAsync(ApprovalStatus approval)
    {
        var rejection = ledger.Votes.First(v => v.Vote.Decision == VoteDecision.Reject).Vote;
        var reason = $"rejected by {rejection.Approver}{(rejection.Comment is null ? string.Empty : $": {rejection.Comment}")}";
        Finish(WindowPhase.Rejected, reason);
        await NotifyAsync(NoticeKind.Cancelled, new NoticeFacts { Reason = reason, ApprovedBy = approval.ApprovedBy }, customersToo: progress.NoticeSent);
        return reason;
    }

    private string Finish(WindowPhase final, string summary)
    {
        EnterPhase(final, summary);
        progress.NextDeadline = null;
        progress.WaitingFor = null;
        return summary;
    }

    private void EnterPhase(WindowPhase next, string? note = null, DateTimeOffset? at = null)
    {
        progress.Phase = next;
        progress.PhaseSince = at ?? Now;
        ledger.Phases.Add(new PhaseChange(next, progress.PhaseSince, note));
        Workflow.UpsertTypedSearchAttributes(MaintenanceSearchAttributes.Phase.ValueSet(next.ToString()));
        Workflow.Logger.LogInformation("Window {WindowId} entered {Phase}", WindowId, next);
    }

    private void SetPhaseIfChanged(WindowPhase next)
    {
        if (progress.Phase != next)
        {
            EnterPhase(next);
        }
    }

    private void SetWindowEnd(DateTimeOffset end)
    {
        progress.WindowEnd = end;
        Workflow.UpsertTypedSearchAttributes(MaintenanceSearchAttributes.WindowEnd.ValueSet(end));
    }

    /// <summary>Also runs as the workflow cancellation token's callback, so it must not call Workflow APIs.</summary>
    private void RequestAbort(string by, string reason)
    {
        if (progress.AbortReason is not null)
        {
            return;
        }
        progress.AbortReason = reason;
        progress.AbortedBy = by;
        if (execution.Started)
        {
            execution.Cancellation.Cancel();
        }
    }

    private async Task WhilePausedAsync()
    {
        if (progress.Paused)
        {
            progress.WaitingFor = "resume (the window is paused)";
            await Workflow.WaitConditionAsync(() => !progress.Paused || AbortRequested, Never);
        }
    }

    private async Task WaitOrAbortAsync(TimeSpan duration)
    {
        if (duration > TimeSpan.Zero)
        {
            await Workflow.WaitConditionAsync(() => AbortRequested, duration, Never);
        }
    }

    /// <summary>
    /// Sends a notice on each channel the policy routes it to, one activity per channel (so Temporal retries
    /// just the channel that failed) and one notice at a time. Returns what each channel did and when; a
    /// channel that still failed after its retries is recorded, and the caller decides whether that holds the window.
    /// </summary>
    private async Task<IReadOnlyList<ChannelDelivery>> NotifyAsync(NoticeKind kind, NoticeFacts facts, bool customersToo = true)
    {
        var channels = kind == NoticeKind.Cancelled && !customersToo ? schedule.ChannelsFor(NoticeKind.ApprovalRequest) : schedule.ChannelsFor(kind);
        facts = facts with { At = facts.At ?? Now };
        await noticeGate.WaitAsync(Never);
        try
        {
            // The channels go out side by side, each with its own retries; results keep the policy's order.
            var windowEnd = progress.WindowEnd;
            var noticePolicy = NoticePolicy.For(plan, policy, schedule);
            var deliveries = await Workflow.WhenAllAsync(channels.Select(c => WindowNotices.SendAsync(WindowId, plan, noticePolicy, kind, facts, c, windowEnd)));
            ledger.Notices.Add(new NoticeRecord { Kind = kind, At = facts.At.Value, Deliveries = deliveries });
            return deliveries;
        }
        finally
        {
            noticeGate.Release();
        }
    }

    private NoticeFacts ApprovalFacts(string reason)
    {
        var approval = Approval;
        return new NoticeFacts
        {
            Reason = reason,
            ApprovedBy = approval.ApprovedBy,
            ApprovalsMissing = approval.Missing + approval.MissingGates.Count,
            ApprovalDeadline = schedule.ApprovalDeadline,
        };
    }

    private static string MissingGates(ApprovalStatus approval) =>
        approval.MissingGates.Count == 0 ? string.Empty : $"; gate(s) waiting: {string.Join(", ", approval.MissingGates.Select(g => $"{g.Id} ({string.Join(" or ", g.Approvers)})"))}";

    private static string Format(TimeSpan span) => span.TotalHours >= 1 ? $"{span.TotalHours:0.#} h" : span.TotalMinutes >= 1 ? $"{span.TotalMinutes:0} min" : $"{span.TotalSeconds:0} s";
}
