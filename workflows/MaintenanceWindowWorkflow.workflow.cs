using MaintenanceWorkflows.Workflows.Contracts;
using MaintenanceWorkflows.Workflows.Governance;
using MaintenanceWorkflows.Workflows.Plans;
using Microsoft.Extensions.Logging;
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

    private readonly MaintenancePlan plan;
    private readonly DateTimeOffset scheduledAt;
    private readonly Progress progress;
    private readonly Ledger ledger = new();
    private readonly Execution execution;

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
        scheduledAt = Now;
        progress = new Progress
        {
            PhaseSince = scheduledAt,
            WindowEnd = plan.Window.End,
            NextDeadline = new("the worker's policy check", scheduledAt),
        };
        execution = new Execution(plan.Steps.Count);
    }

    [WorkflowRun]
    public async Task<MaintenanceReport> RunAsync(MaintenanceWindowInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        await PrepareAsync(scheduledAt);
        // Windows started without search attributes (e.g. from the Temporal UI) still get them.
        Workflow.UpsertTypedSearchAttributes(
            MaintenanceSearchAttributes.PlanId.ValueSet(plan.Id),
            MaintenanceSearchAttributes.MaintenanceType.ValueSet(plan.Type.ToString()),
            MaintenanceSearchAttributes.WindowStart.ValueSet(schedule.WindowStart),
            MaintenanceSearchAttributes.WindowEnd.ValueSet(progress.WindowEnd),
            MaintenanceSearchAttributes.AffectedSystems.ValueSet(plan.Systems.Select(s => s.Name).ToList()));
        // Scheduled when Temporal recorded the start, as the history (and so the postmortem) shows it, not when the
        // worker's policy check above finished.
        EnterPhase(WindowPhase.Scheduled, input.ScheduledBy is null ? null : $"scheduled by {input.ScheduledBy}", new DateTimeOffset(Workflow.Info.StartTime, TimeSpan.Zero));

        // A Temporal cancellation request is an abort: what ran is rolled back and the report still
        // comes back. Every wait below therefore uses its own token instead of the workflow's.
        using var onCancel = Workflow.CancellationToken.Register(() => RequestAbort("Temporal", "workflow cancellation was requested"));

        var summary = await RunWindowAsync();

        // Let in-flight signal and update handlers finish so none is lost when the run closes.
        await Workflow.WaitConditionAsync(() => Workflow.AllHandlersFinished, Never);
        return BuildReport(summary);
    }

    /// <summary>The window's stages in order; each either lets the next one run or ends the window. Returns the closing summary.</summary>
    private async Task<string> RunWindowAsync()
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

        var beforeStart = await WaitForWindowStartAsync();
        if (!beforeStart.Proceeds)
        {
            return beforeStart.Reason;
        }

        var checklist = await HoldForChecklistAsync(ChecklistPhase.Before, progress.WindowEnd);
        if (!checklist.Proceeds)
        {
            return await PostponeAsync(checklist.Reason);
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

        return await ExecuteAsync();
    }

    /// <summary>
    /// Waits through notice, reminders, escalation and the approval deadline until the window starts.
    /// Ends the window (cancelled, rejected, no approval) when it must not start.
    /// </summary>
    private async Task<StageResult> WaitForWindowStartAsync()
    {
        var remindersSent = 0;
        var escalated = false;
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
            if (!progress.NoticeSent && now >= schedule.NoticeAt)
            {
                await NotifyAsync(NoticeKind.PreMaintenance, new NoticeFacts());
                progress.NoticeSent = true;
                EnterPhase(WindowPhase.NoticeSent);
                continue;
            }
            if (progress.NoticeSent)
            {
                SetPhaseIfChanged(approval.Approved || approvalMayFollow ? WindowPhase.NoticeSent : WindowPhase.AwaitingApproval);
            }
            if (remindersSent < schedule.Reminders.Count && now >= schedule.Reminders[remindersSent])
            {
                remindersSent++;
                if (progress.NoticeSent)
                {
                    await NotifyAsync(NoticeKind.Reminder, new NoticeFacts { ReminderNumber = remindersSent });
                }
                if (!approval.Approved)
                {
                    await SendCodesAsync("reminder");
                }
                continue;
            }
            if (!escalated && !approval.Approved && schedule.EscalationAt is { } escalateAt && now >= escalateAt)
            {
                escalated = true;
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

            var next = NextPreStartDeadline(remindersSent, escalated, approvalMayFollow, approval);
            progress.NextDeadline = next;
            progress.WaitingFor = approval.Approved || approvalMayFollow ? "the window start" : $"approvals ({approval.Approvals}/{approval.Required}{MissingGates(approval)})";
            var seenVotes = ledger.Votes.Count;
            var seenConfirmation = requesterConfirmed;
            var wakeAt = next?.At ?? now;
            if (wakeAt > now)
            {
                await Workflow.WaitConditionAsync(() => AbortRequested || ledger.Votes.Count != seenVotes || requesterConfirmed != seenConfirmation, wakeAt - now, Never);
            }
        }
    }

    private Deadline? NextPreStartDeadline(int remindersSent, bool escalated, bool approvalMayFollow, ApprovalStatus approval)
    {
        var candidates = new List<Deadline>();
        if (!progress.NoticeSent)
        {
            candidates.Add(new("pre-maintenance notice", schedule.NoticeAt));
        }
        if (remindersSent < schedule.Reminders.Count)
        {
            candidates.Add(new($"reminder {remindersSent + 1}", schedule.Reminders[remindersSent]));
        }
        if (!approval.Approved)
        {
            if (!escalated && schedule.EscalationAt is { } escalateAt)
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

    /// <summary>Undoes what ran, newest first, continuing past failures; then verifies the rollback.</summary>
    private async Task<string> RollBackAsync(string reason)
    {
        EnterPhase(WindowPhase.RollingBack, reason);
        await NotifyAsync(NoticeKind.Rollback, new NoticeFacts { Reason = reason, StartedAt = execution.StartedAt });

        // Compensations must run even when the workflow itself was cancelled, so they get their own token.
        using var detached = new CancellationTokenSource();
        var undone = new List<string>();
        var notUndone = new List<string>();
        for (var i = execution.Compensations.Count - 1; i >= 0; i--)
        {
            var compensation = execution.Compensations[i];
            if (!CanUndo(compensation))
            {
                // Registered, but the step never reported what it did; a human has to look.
                notUndone.Add($"{compensation.StepId}: outcome of the step is unknown, check {compensation.Description} by hand");
                ledger.Compensations.Add(new() { StepId = compensation.StepId, Description = compensation.Description, Outcome = CompensationOutcome.Failed, At = Now, Detail = "the step did not report what it changed; verify by hand" });
                execution.StepStates[compensation.StepIndex] = StepState.UndoFailed;
                continue;
            }
            progress.WaitingFor = $"compensation of step '{compensation.StepId}'";
            try
            {
                var detail = await UndoAsync(compensation, detached.Token);
                undone.Add(compensation.StepId);
                ledger.Compensations.Add(new() { StepId = compensation.StepId, Description = compensation.Description, Outcome = CompensationOutcome.Undone, At = Now, Detail = detail });
                execution.StepStates[compensation.StepIndex] = StepState.Undone;
            }
            catch (Exception e) when (IsStepFailure(e))
            {
                var detail = PlanActivities.Describe(e);
                notUndone.Add($"{compensation.StepId}: {detail}");
                ledger.Compensations.Add(new() { StepId = compensation.StepId, Description = compensation.Description, Outcome = CompensationOutcome.Failed, At = Now, Detail = detail });
                execution.StepStates[compensation.StepIndex] = StepState.UndoFailed;
            }
        }

        var verifyChecks = RollbackChecks();
        progress.WaitingFor = "verification of the rollback";
        ledger.RollbackVerification.AddRange(await RunChecksAsync(verifyChecks, detached.Token));
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
            var summary = $"rolled back ({reason}); {undone.Count} change(s) undone and the rollback verified";
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
        while (!progress.Phase.IsFinal() && progress.Phase != WindowPhase.RollingBack)
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

    private async Task<string> PostponeAsync(string reason)
    {
        var summary = $"postponed before any change: {reason}";
        Finish(WindowPhase.Postponed, summary);
        await NotifyAsync(NoticeKind.Postponed, new NoticeFacts { Reason = reason, Verification = ledger.PreChecks.Select(ToLine).ToList() });
        return summary;
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

    private void RequestAbort(string by, string reason)
    {
        if (AbortRequested)
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

    /// <summary>Sends a notice on the channels the policy routes it to; a failed channel is recorded, never fatal.</summary>
    private async Task NotifyAsync(NoticeKind kind, NoticeFacts facts, bool customersToo = true)
    {
        var channels = kind == NoticeKind.Cancelled && !customersToo ? schedule.ChannelsFor(NoticeKind.ApprovalRequest) : schedule.ChannelsFor(kind);
        facts = facts with { At = facts.At ?? Now };
        var deliveries = await WindowNotices.SendAsync(WindowId, plan, NoticePolicy.For(plan, policy, schedule), kind, facts, channels, progress.WindowEnd);
        ledger.Notices.Add(new NoticeRecord { Kind = kind, At = facts.At.Value, Deliveries = deliveries });
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
