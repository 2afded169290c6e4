using MaintenanceWorkflows.Workflows.Contracts;
using MaintenanceWorkflows.Workflows.Plans;
using Microsoft.Extensions.Logging;
using Temporalio.Converters;
using Temporalio.Exceptions;
using Temporalio.Workflows;

namespace MaintenanceWorkflows.Workflows;

/// <summary>
/// One maintenance window: notice, approvals and checklist, pre-checks, steps with registered
/// compensations, verification over a soak period, automatic rollback, and the closing notice.
/// Signals take raw payloads and validate them here, so a malformed signal is recorded as refused
/// instead of being dropped by the SDK or failing the workflow task.
/// </summary>
[Workflow]
public partial class MaintenanceWindowWorkflow
{
    /// <summary>Soak rounds are capped so a 24-hour soak stays far inside Temporal's history limits.</summary>
    public const int MaxVerificationRounds = 200;

    private readonly List<PhaseChange> phases = [];
    private readonly List<VoteRecord> votes = [];
    private readonly List<RefusalRecord> refusals = [];
    private readonly List<AcknowledgementRecord> acknowledgements = [];
    private readonly List<CheckResult> preChecks = [];
    private readonly List<CheckResult> rollbackVerification = [];
    private readonly List<CheckResult> latestChecks = [];
    private readonly List<StepRecord> stepRecords = [];
    private readonly List<CompensationRecord> compensationRecords = [];
    private readonly List<NoticeRecord> notices = [];
    private readonly List<OperatorAction> operatorActions = [];
    private readonly List<Compensation> compensations = [];
    private readonly List<StepState> stepStates = [];
    private readonly CancellationTokenSource executionCancellation = new();
    private readonly MaintenancePlan plan;
    private readonly MaintenancePolicy policy;
    private readonly WindowSchedule schedule;
    private readonly DateTimeOffset scheduledAt;
    private WindowPhase phase = WindowPhase.Scheduled;
    private DateTimeOffset phaseSince;
    private DateTimeOffset windowEnd;
    private int extensionsUsed;
    private Deadline? nextDeadline;
    private string? waitingFor;
    private bool noticeSent;
    private bool paused;
    private string? abortReason;
    private string? abortedBy;
    private bool executionStarted;
    private DateTimeOffset? executionStartedAt;
    private VerificationSummary? verification;

    /// <summary>
    /// Initializes a new instance of the <see cref="MaintenanceWindowWorkflow"/> class. Runs before any
    /// signal, update or query is delivered, so handlers always see the plan and its schedule.
    /// </summary>
    [WorkflowInit]
    public MaintenanceWindowWorkflow(MaintenanceWindowInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        plan = input.Plan;
        policy = input.Policy;
        scheduledAt = Now;
        phaseSince = scheduledAt;
        schedule = ScheduleRules.Derive(plan, policy, scheduledAt);
        windowEnd = schedule.WindowEnd;
        stepStates.AddRange(plan.Steps.Select(_ => StepState.Pending));
        nextDeadline = schedule.NoticeAt > scheduledAt ? new("pre-maintenance notice", schedule.NoticeAt) : new("window start", schedule.WindowStart);
    }

    private string WindowId => MaintenanceWindowInput.WorkflowIdFor(plan.Id);

    private DateTimeOffset Now => new(Workflow.UtcNow, TimeSpan.Zero);

    private ApprovalStatus Approval => ApprovalRules.Tally(schedule, votes.Select(v => v.Vote).ToList());

    private bool AbortRequested => abortReason is not null;

    [WorkflowQuery(WindowHandlers.Status)]
    public WindowStatus Status => new()
    {
        PlanId = plan.Id,
        Title = plan.Title,
        Type = plan.Type,
        Phase = phase,
        PhaseSince = phaseSince,
        WindowStart = schedule.WindowStart,
        WindowEnd = windowEnd,
        TimeZone = plan.Window.TimeZone,
        NextDeadline = phase.IsFinal() ? null : nextDeadline,
        Approvals = Approval,
        EligibleApprovers = schedule.EligibleApprovers,
        Checklist = plan.Checklist.Select(ChecklistStatus).ToList(),
        Steps = plan.Steps.Select((s, i) => new StepStatus(s.Id, s.Title, s.StepType, stepStates[i])).ToList(),
        Paused = paused,
        WaitingFor = phase.IsFinal() ? null : waitingFor,
        LastRefusal = refusals.Count == 0 ? null : refusals[^1],
    };

    [WorkflowRun]
    public async Task<MaintenanceReport> RunAsync(MaintenanceWindowInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        // Windows started without search attributes (e.g. from the Temporal UI) still get them.
        Workflow.UpsertTypedSearchAttributes(
            MaintenanceSearchAttributes.PlanId.ValueSet(plan.Id),
            MaintenanceSearchAttributes.MaintenanceType.ValueSet(plan.Type.ToString()),
            MaintenanceSearchAttributes.WindowStart.ValueSet(schedule.WindowStart),
            MaintenanceSearchAttributes.WindowEnd.ValueSet(windowEnd),
            MaintenanceSearchAttributes.AffectedSystems.ValueSet(plan.Systems.Select(s => s.Name).ToList()));
        EnterPhase(WindowPhase.Scheduled, input.ScheduledBy is null ? null : $"scheduled by {input.ScheduledBy}");

        // A Temporal cancellation request is an abort: what ran is rolled back and the report still
        // comes back. Every wait below therefore uses its own token instead of the workflow's.
        using var onCancel = Workflow.CancellationToken.Register(() => RequestAbort("Temporal", "workflow cancellation was requested"));

        var summary = await RunWindowAsync();

        // Let in-flight signal and update handlers finish so none is lost when the run closes.
        await Workflow.WaitConditionAsync(() => Workflow.AllHandlersFinished, Never);
        return BuildReport(summary);
    }

    private static CancellationToken Never => CancellationToken.None;

    private async Task<string> RunWindowAsync()
    {
        var violations = PlanValidator.Validate(plan, policy, scheduledAt).Where(v => v.Severity == ViolationSeverity.Error).ToList();
        if (violations.Count > 0)
        {
            return Finish(
                WindowPhase.Failed,
                $"the plan breaks the policy and was not run: {string.Join("; ", violations.Select(v => $"{v.Path}: {v.Message}"))}");
        }

        await NotifyAsync(NoticeKind.ApprovalRequest, new NoticeFacts
        {
            ApprovalsMissing = Approval.Missing,
            ApprovalDeadline = schedule.ApprovalDeadline,
        });

        var beforeStart = await WaitForWindowStartAsync();
        if (beforeStart is not null)
        {
            return beforeStart;
        }

        var held = await HoldForChecklistAsync(ChecklistPhase.Before, windowEnd);
        if (held is not null)
        {
            return await PostponeAsync(held);
        }

        EnterPhase(WindowPhase.PreChecks);
        var blockingFailure = await RunPreChecksAsync();
        if (blockingFailure is not null)
        {
            return await PostponeAsync(blockingFailure);
        }
        if (AbortRequested)
        {
            return await CancelAsync($"aborted by {abortedBy} before any change: {abortReason}");
        }

        return await ExecuteAsync();
    }

    /// <summary>
    /// Waits through notice, reminders, escalation and the approval deadline until the window starts.
    /// Returns a closing summary when the window ends before it starts (cancelled, rejected, no approval).
    /// </summary>
    private async Task<string?> WaitForWindowStartAsync()
    {
        var remindersSent = 0;
        var escalated = false;
        var approvalMayFollow = schedule.ApprovalDeadline > schedule.WindowStart;
        while (true)
        {
            var approval = Approval;
            if (AbortRequested)
            {
                return await CancelAsync($"cancelled by {abortedBy} before the window started: {abortReason}");
            }
            if (approval.Rejected)
            {
                return await RejectAsync(approval);
            }
            var now = Now;
            if (!noticeSent && now >= schedule.NoticeAt)
            {
                await NotifyAsync(NoticeKind.PreMaintenance, new NoticeFacts());
                noticeSent = true;
                EnterPhase(WindowPhase.NoticeSent);
                continue;
            }
            if (noticeSent)
            {
                SetPhaseIfChanged(approval.Approved || approvalMayFollow ? WindowPhase.NoticeSent : WindowPhase.AwaitingApproval);
            }
            if (remindersSent < schedule.Reminders.Count && now >= schedule.Reminders[remindersSent])
            {
                remindersSent++;
                if (noticeSent)
                {
                    await NotifyAsync(NoticeKind.Reminder, new NoticeFacts { ReminderNumber = remindersSent });
                }
                continue;
            }
            if (!escalated && !approval.Approved && schedule.EscalationAt is { } escalateAt && now >= escalateAt)
            {
                escalated = true;
                await NotifyAsync(NoticeKind.Escalation, ApprovalFacts($"approvals still missing {Format(now - schedule.ScheduledAt)} after the request"));
                continue;
            }
            if (!approval.Approved && !approvalMayFollow && now >= schedule.ApprovalDeadline)
            {
                return await CancelAsync(
                    $"not approved by the deadline {ZoneMath.FormatUtc(schedule.ApprovalDeadline)} " +
                    $"({approval.Approvals}/{approval.Required} approvals{MissingGates(approval)})");
            }
            if (now >= schedule.WindowStart && noticeSent && (approval.Approved || approvalMayFollow))
            {
                return null;
            }

            var next = NextPreStartDeadline(remindersSent, escalated, approvalMayFollow, approval);
            nextDeadline = next;
            waitingFor = approval.Approved || approvalMayFollow ? "the window start" : $"approvals ({approval.Approvals}/{approval.Required}{MissingGates(approval)})";
            var seenVotes = votes.Count;
            var wakeAt = next?.At ?? now;
            if (wakeAt > now)
            {
                await Workflow.WaitConditionAsync(() => AbortRequested || votes.Count != seenVotes, wakeAt - now, Never);
            }
        }
    }

    private Deadline? NextPreStartDeadline(int remindersSent, bool escalated, bool approvalMayFollow, ApprovalStatus approval)
    {
        var candidates = new List<Deadline>();
        if (!noticeSent)
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

    /// <summary>Blocking manual checklist items of a phase hold the window until acknowledged or until the window ends.</summary>
    private async Task<string?> HoldForChecklistAsync(ChecklistPhase checklistPhase, DateTimeOffset until)
    {
        while (true)
        {
            var missing = plan.Checklist.Where(i => i.Phase == checklistPhase && i.Blocking && !i.IsAutomated && !IsAcknowledged(i.Id)).ToList();
            if (missing.Count == 0 || AbortRequested)
            {
                waitingFor = null;
                return null;
            }
            var now = Now;
            if (now >= until)
            {
                return $"blocking {checklistPhase.ToString().ToLowerInvariant()} checklist item(s) not acknowledged by {ZoneMath.FormatUtc(until)}: " +
                    string.Join(", ", missing.Select(i => $"'{i.Id}' ({i.Text})"));
            }
            waitingFor = $"acknowledgement of checklist item(s) {string.Join(", ", missing.Select(i => $"'{i.Id}'"))}";
            nextDeadline = new($"{checklistPhase.ToString().ToLowerInvariant()} checklist", until);
            var seen = acknowledgements.Count;
            await Workflow.WaitConditionAsync(() => AbortRequested || acknowledgements.Count != seen || Now >= until, until - now, Never);
        }
    }

    /// <summary>Runs the pre checks; returns why the window must be postponed when a blocking one failed.</summary>
    private async Task<string?> RunPreChecksAsync()
    {
        var checks = plan.Checks.Where(c => c.RunsPre).ToList();
        waitingFor = $"{checks.Count} pre-check(s)";
        var results = await RunChecksAsync(checks, Never);
        preChecks.AddRange(results);
        var failed = checks.Zip(results).Where(p => p.First.Blocking && !p.Second.Passed).ToList();
        waitingFor = null;
        return failed.Count == 0
            ? null
            : $"blocking pre-check(s) failed: {string.Join("; ", failed.Select(p => $"{p.First.Id}: {p.Second.Message}"))}";
    }

    private async Task<IReadOnlyList<CheckResult>> RunChecksAsync(IReadOnlyList<PlanCheck> checks, CancellationToken ct)
    {
        // Policy freezes are data in the input, evaluated here; only a freeze check that passes them and
        // names an external flag (and every other check) goes to the worker, in one batch.
        var local = checks.Select(c => c is FreezeCheck freeze ? EvaluateFreeze(freeze) : null).ToList();
        var remote = checks.Where((c, i) => local[i] is null || (local[i]!.Passed && c is FreezeCheck { Source: not null })).ToList();
        var fetched = await PlanActivities.RunChecksAsync(remote, ct);
        var results = checks.Select((c, i) => remote.IndexOf(c) is var at && at >= 0 ? fetched[at] : local[i]!).ToList();
        foreach (var result in results)
        {
            // Automated checklist items show the latest outcome of their check, pre or verify.
            latestChecks.RemoveAll(r => r.CheckId == result.CheckId);
            latestChecks.Add(result);
        }
        return results;
    }

    /// <summary>The policy's freezes are data in the input, so the freeze check is evaluated here, deterministically.</summary>
    private CheckResult EvaluateFreeze(FreezeCheck check)
    {
        var now = Now;
        var active = policy.Freezes.FirstOrDefault(f => f.Start <= now && now < f.End && f.AppliesTo.Contains(plan.Type));
        if (active is null)
        {
            return PlanActivities.Passed(check, "no freeze active", "no change freeze of the policy is active now");
        }
        if (plan.FreezeOverride is { } o && string.Equals(o.Freeze, active.Id, StringComparison.OrdinalIgnoreCase) &&
            Approval.ApprovedBy.Contains(o.Approver, StringComparer.OrdinalIgnoreCase))
        {
            return PlanActivities.Passed(check, $"freeze '{active.Id}' overridden", $"freeze '{active.Id}' is active but {o.Approver} approved the override: {o.Reason}");
        }
        return PlanActivities.Failed(check, $"freeze '{active.Id}' active", $"change freeze '{active.Id}' ({active.Reason}) runs until {ZoneMath.FormatUtc(active.End)}");
    }

    private async Task<string> ExecuteAsync()
    {
        EnterPhase(WindowPhase.InProgress);
        executionStarted = true;
        executionStartedAt = Now;
        var overrun = Workflow.RunTaskAsync(WatchOverrunAsync);
        var retroactiveApproval = Workflow.RunTaskAsync(WatchRetroactiveApprovalAsync);
        await NotifyAsync(NoticeKind.InProgress, new NoticeFacts { StartedAt = executionStartedAt });

        var failure = await RunStepsAsync();
        failure ??= await HoldForChecklistAsync(ChecklistPhase.During, windowEnd);
        if (failure is null && AbortRequested)
        {
            failure = $"aborted by {abortedBy}: {abortReason}";
        }
        if (failure is null)
        {
            failure = await VerifyAsync();
        }

        string summary;
        if (failure is null)
        {
            summary = await CompleteAsync();
        }
        else
        {
            summary = await RollBackAsync(failure);
        }
        executionCancellation.Cancel();
        await overrun;
        var approvalGap = await retroactiveApproval;
        return approvalGap is null ? summary : $"{summary}; {approvalGap}";
    }

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
            await Workflow.WaitConditionAsync(() => Approval.Approved || Approval.Rejected, wait, Never);
        }
        var approval = Approval;
        if (approval.Approved || approval.Rejected)
        {
            return null;
        }
        var gap = $"ran without the required approval, still missing at the deadline {ZoneMath.FormatUtc(schedule.ApprovalDeadline)} ({approval.Approvals}/{approval.Required}{MissingGates(approval)})";
        operatorActions.Add(new("escalate", "policy", gap, Now));
        await NotifyAsync(NoticeKind.Escalation, ApprovalFacts($"emergency window {gap}"));
        return gap;
    }

    /// <summary>Runs the steps in order; returns why the window must roll back, or null when all succeeded.</summary>
    private async Task<string?> RunStepsAsync()
    {
        var ct = executionCancellation.Token;
        for (var i = 0; i < plan.Steps.Count; i++)
        {
            var step = plan.Steps[i];
            if (paused)
            {
                waitingFor = "resume (the window is paused)";
                await Workflow.WaitConditionAsync(() => !paused || AbortRequested, Never);
            }
            if (AbortRequested)
            {
                return $"aborted by {abortedBy} before step '{step.Id}': {abortReason}";
            }
            waitingFor = $"step '{step.Id}' ({i + 1}/{plan.Steps.Count})";
            stepStates[i] = step is ManualStep ? StepState.WaitingForAcknowledgement : StepState.Running;
            var startedAt = Now;
            var index = i;
            try
            {
                var detail = await RunStepAsync(step, index, ct);
                stepStates[i] = StepState.Succeeded;
                stepRecords.Add(new() { StepId = step.Id, Title = step.Title, Type = step.StepType, Outcome = StepOutcome.Succeeded, StartedAt = startedAt, FinishedAt = Now, Detail = detail });
            }
            catch (Exception e) when (IsStepFailure(e))
            {
                var cancelled = AbortRequested && IsCancellation(e);
                stepStates[i] = cancelled ? StepState.Cancelled : StepState.Failed;
                var detail = cancelled ? $"cancelled: {abortReason}" : PlanActivities.Describe(e);
                stepRecords.Add(new() { StepId = step.Id, Title = step.Title, Type = step.StepType, Outcome = cancelled ? StepOutcome.Cancelled : StepOutcome.Failed, StartedAt = startedAt, FinishedAt = Now, Detail = detail });
                Workflow.Logger.LogWarning("Step {StepId} of {WindowId} did not succeed: {Detail}", step.Id, WindowId, detail);
                return cancelled ? $"aborted by {abortedBy} during step '{step.Id}': {abortReason}" : $"step '{step.Id}' failed: {detail}";
            }
        }
        waitingFor = null;
        return null;
    }

    private static bool IsCancellation(Exception e) =>
        e is OperationCanceledException or CanceledFailureException or ActivityFailureException { InnerException: CanceledFailureException };

    private static bool IsStepFailure(Exception e) =>
        e is ActivityFailureException or OperationCanceledException or CanceledFailureException
        or ApplicationFailureException;

    /// <summary>Registers the step's compensation first (so a crash mid-step still unwinds it), then runs the step.</summary>
    private async Task<string> RunStepAsync(PlanStep step, int index, CancellationToken ct)
    {
        switch (step)
        {
            case LambdaPromoteStep promote:
            {
                var compensation = new Compensation(index, step.Id, $"restore alias {promote.Function}:{promote.Alias}");
                compensations.Add(compensation);
                var result = await PlanActivities.PromoteAsync(WindowId, promote, ct);
                compensation.Undo = async token =>
                {
                    var restored = await PlanActivities.RestoreAsync(WindowId, promote, result, token);
                    return restored.Changed
                        ? $"{restored.Alias}: {restored.FromVersion} -> {restored.RestoredVersion}"
                        : $"{restored.Alias} already on {restored.RestoredVersion}";
                };
                return result.Changed
                    ? $"{result.Alias}: {result.PreviousVersion} -> {result.NewVersion}{(result.PublishedVersion is null ? string.Empty : $" (published {result.PublishedVersion})")}"
                    : $"{result.Alias} already on {result.NewVersion}";
            }
            case HttpRequestStep request:
            {
                RegisterExplicitCompensation(step, index);
                var result = await PlanActivities.SendRequestAsync(request, compensation: false, ct);
                return $"HTTP {result.StatusCode} in {result.Latency.TotalMilliseconds:0} ms";
            }
            case CommandStep command:
            {
                RegisterExplicitCompensation(step, index);
                var result = await PlanActivities.RunCommandAsync(command, compensation: false, ct);
                if (!result.Succeeded)
                {
                    throw new ApplicationFailureException(
                        $"command '{command.Command}' exited with code {result.ExitCode}: {string.Join(" | ", result.OutputTail.TakeLast(3))}");
                }
                return $"'{command.Command}' exited 0 in {result.Duration.TotalSeconds:0.#} s";
            }
            case WaitStep wait:
                await Workflow.DelayAsync(wait.Duration, ct);
                return $"waited {Format(wait.Duration)}";
            case ManualStep manual:
            {
                RegisterExplicitCompensation(step, index);
                waitingFor = $"acknowledgement of manual step '{step.Id}': {manual.Instructions}";
                await Workflow.WaitConditionAsync(() => IsAcknowledged(step.Id), ct);
                var ack = acknowledgements.Last(a => string.Equals(a.Item, step.Id, StringComparison.OrdinalIgnoreCase));
                return $"acknowledged by {ack.By}{(ack.Note is null ? string.Empty : $": {ack.Note}")}";
            }
            default:
                throw new ApplicationFailureException($"step '{step.Id}' has type '{step.StepType}', which this worker cannot run", nonRetryable: true);
        }
    }

    private void RegisterExplicitCompensation(PlanStep step, int index)
    {
        if (step.Rollback is not { } rollback)
        {
            return;
        }
        compensations.Add(new Compensation(index, step.Id, $"{rollback.StepType} '{rollback.Title}'")
        {
            Undo = token => RunCompensationStepAsync(rollback, token),
        });
    }

    private async Task<string> RunCompensationStepAsync(PlanStep rollback, CancellationToken ct)
    {
        switch (rollback)
        {
            case HttpRequestStep request:
                var response = await PlanActivities.SendRequestAsync(request, compensation: true, ct);
                return $"HTTP {response.StatusCode}";
            case CommandStep command:
                var result = await PlanActivities.RunCommandAsync(command, compensation: true, ct);
                if (!result.Succeeded)
                {
                    throw new ApplicationFailureException($"command '{command.Command}' exited with code {result.ExitCode}: {string.Join(" | ", result.OutputTail.TakeLast(3))}");
                }
                return $"'{command.Command}' exited 0";
            case WaitStep wait:
                await Workflow.DelayAsync(wait.Duration, ct);
                return $"waited {Format(wait.Duration)}";
            case ManualStep manual:
                waitingFor = $"acknowledgement of rollback step '{rollback.Id}': {manual.Instructions}";
                await Workflow.WaitConditionAsync(() => IsAcknowledged(rollback.Id), ct);
                return $"acknowledged by {acknowledgements.Last(a => string.Equals(a.Item, rollback.Id, StringComparison.OrdinalIgnoreCase)).By}";
            default:
                throw new ApplicationFailureException($"rollback step '{rollback.Id}' has type '{rollback.StepType}', which cannot be used as a rollback", nonRetryable: true);
        }
    }

    /// <summary>Repeats the verify checks over the soak; returns the rollback trigger that fired, or null.</summary>
    private async Task<string?> VerifyAsync()
    {
        EnterPhase(WindowPhase.Verifying);
        var checks = plan.Checks.Where(c => c.RunsVerify).ToList();
        var settings = schedule.Verification;
        var plannedRounds = (int)Math.Clamp(Math.Ceiling(settings.Soak / settings.Interval), 1, MaxVerificationRounds);
        var interval = plannedRounds > 1 ? settings.Soak / plannedRounds : settings.Interval;
        var tracker = new VerificationTracker(plan.Rollback.Triggers, checks, plannedRounds);
        var ct = executionCancellation.Token;
        for (var round = 1; round <= plannedRounds && checks.Count > 0; round++)
        {
            if (paused)
            {
                waitingFor = "resume (the window is paused)";
                await Workflow.WaitConditionAsync(() => !paused || AbortRequested, Never);
                if (AbortRequested)
                {
                    break;
                }
            }
            waitingFor = $"verification round {round}/{plannedRounds}";
            nextDeadline = new("end of soak", Now + (interval * (plannedRounds - round + 1)));
            IReadOnlyList<CheckResult> results;
            try
            {
                results = await RunChecksAsync(checks, ct);
            }
            catch (Exception e) when (AbortRequested && IsCancellation(e))
            {
                // Abort (or the overrun policy) cancelled the round in flight; the rollback below takes over.
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
        verification = tracker.Summarize(settings.Soak, interval);
        waitingFor = null;
        if (AbortRequested)
        {
            return $"aborted by {abortedBy} during verification: {abortReason}";
        }
        return trigger is null ? null : $"rollback trigger: {trigger}";
    }

    private async Task WaitOrAbortAsync(TimeSpan duration)
    {
        if (duration > TimeSpan.Zero)
        {
            await Workflow.WaitConditionAsync(() => AbortRequested, duration, Never);
        }
    }

    private async Task<string> CompleteAsync()
    {
        var finishedAt = Now;
        var summary = $"completed: {plan.Steps.Count} step(s) ran and verification passed";
        Finish(WindowPhase.Completed, summary);
        await NotifyAsync(NoticeKind.Completion, new NoticeFacts
        {
            StartedAt = executionStartedAt,
            CompletedAt = finishedAt,
            Duration = finishedAt - executionStartedAt,
            Verification = VerificationLines(),
        });
        // After-items (status page back to operational, smoke tests, summary in #team-ops) are done once
        // the work is over: give people until the window end, and at least an hour.
        var afterDeadline = windowEnd > finishedAt + TimeSpan.FromHours(1) ? windowEnd : finishedAt + TimeSpan.FromHours(1);
        var missingAfter = await HoldForChecklistAsync(ChecklistPhase.After, afterDeadline);
        return missingAfter is null ? summary : $"{summary}; {missingAfter}";
    }

    /// <summary>Undoes what ran, newest first, continuing past failures; then verifies the rollback.</summary>
    private async Task<string> RollBackAsync(string reason)
    {
        EnterPhase(WindowPhase.RollingBack, reason);
        await NotifyAsync(NoticeKind.Rollback, new NoticeFacts { Reason = reason, StartedAt = executionStartedAt });

        // Compensations must run even when the workflow itself was cancelled, so they get their own token.
        using var detached = new CancellationTokenSource();
        var undone = new List<string>();
        var notUndone = new List<string>();
        for (var i = compensations.Count - 1; i >= 0; i--)
        {
            var compensation = compensations[i];
            if (compensation.Undo is null)
            {
                // Registered, but the step never reported what it did; a human has to look.
                notUndone.Add($"{compensation.StepId}: outcome of the step is unknown, check {compensation.Description} by hand");
                compensationRecords.Add(new() { StepId = compensation.StepId, Description = compensation.Description, Outcome = CompensationOutcome.Failed, At = Now, Detail = "the step did not report what it changed; verify by hand" });
                stepStates[compensation.StepIndex] = StepState.UndoFailed;
                continue;
            }
            waitingFor = $"compensation of step '{compensation.StepId}'";
            try
            {
                var detail = await compensation.Undo(detached.Token);
                undone.Add(compensation.StepId);
                compensationRecords.Add(new() { StepId = compensation.StepId, Description = compensation.Description, Outcome = CompensationOutcome.Undone, At = Now, Detail = detail });
                stepStates[compensation.StepIndex] = StepState.Undone;
            }
            catch (Exception e) when (IsStepFailure(e))
            {
                var detail = PlanActivities.Describe(e);
                notUndone.Add($"{compensation.StepId}: {detail}");
                compensationRecords.Add(new() { StepId = compensation.StepId, Description = compensation.Description, Outcome = CompensationOutcome.Failed, At = Now, Detail = detail });
                stepStates[compensation.StepIndex] = StepState.UndoFailed;
            }
        }

        var verifyChecks = RollbackChecks();
        waitingFor = "verification of the rollback";
        rollbackVerification.AddRange(await RunChecksAsync(verifyChecks, detached.Token));
        var stillFailing = verifyChecks.Zip(rollbackVerification).Where(p => p.First.Blocking && !p.Second.Passed).Select(p => $"{p.First.Id}: {p.Second.Message}").ToList();
        waitingFor = null;

        var finishedAt = Now;
        var facts = new NoticeFacts
        {
            Reason = reason,
            StartedAt = executionStartedAt,
            CompletedAt = finishedAt,
            Duration = finishedAt - executionStartedAt,
            RolledBack = undone,
            NotUndone = notUndone,
            Verification = rollbackVerification.Select(r => new VerificationLine { Name = r.Name, Passed = r.Passed, Detail = r.Observed }).ToList(),
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

    /// <summary>Enforces the window end while work runs: extend, roll back or notify, as the policy says.</summary>
    private async Task WatchOverrunAsync()
    {
        while (!phase.IsFinal() && phase != WindowPhase.RollingBack)
        {
            var end = windowEnd;
            var wait = end - Now;
            if (wait > TimeSpan.Zero)
            {
                await Workflow.WaitConditionAsync(() => phase.IsFinal() || phase == WindowPhase.RollingBack || windowEnd != end || executionCancellation.IsCancellationRequested, wait, Never);
                continue;
            }
            if (phase.IsFinal() || phase == WindowPhase.RollingBack || executionCancellation.IsCancellationRequested)
            {
                return;
            }
            var overrun = schedule.Overrun;
            if (overrun.Action == OverrunAction.Extend && extensionsUsed < overrun.MaxExtensions)
            {
                extensionsUsed++;
                SetWindowEnd(end + overrun.Extension);
                operatorActions.Add(new("extend", "policy", $"window overran; automatic extension {extensionsUsed}/{overrun.MaxExtensions}", Now));
                await NotifyAsync(NoticeKind.Extended, new NoticeFacts { NewEnd = windowEnd, Reason = $"the work needs more time; extended by {Format(overrun.Extension)}" });
            }
            else if (overrun.Action == OverrunAction.Notify)
            {
                operatorActions.Add(new("overrun", "policy", "window end passed; continuing as the policy says", Now));
                await NotifyAsync(NoticeKind.Escalation, new NoticeFacts { Reason = $"the window passed its end ({ZoneMath.FormatUtc(end)}) and is still running" });
                return;
            }
            else
            {
                operatorActions.Add(new("abort", "policy", "window end passed without an extension", Now));
                RequestAbort("policy", $"the window passed its end ({ZoneMath.FormatUtc(end)}) without an extension");
                return;
            }
        }
    }

    private async Task<string> PostponeAsync(string reason)
    {
        var summary = $"postponed before any change: {reason}";
        Finish(WindowPhase.Postponed, summary);
        await NotifyAsync(NoticeKind.Postponed, new NoticeFacts { Reason = reason, Verification = preChecks.Select(ToLine).ToList() });
        return summary;
    }

    private async Task<string> CancelAsync(string reason)
    {
        Finish(WindowPhase.Cancelled, reason);
        await NotifyAsync(NoticeKind.Cancelled, new NoticeFacts { Reason = reason }, customersToo: noticeSent);
        return reason;
    }

    private async Task<string> RejectAsync(ApprovalStatus approval)
    {
        var rejection = votes.First(v => v.Vote.Decision == VoteDecision.Reject).Vote;
        var reason = $"rejected by {rejection.Approver}{(rejection.Comment is null ? string.Empty : $": {rejection.Comment}")}";
        Finish(WindowPhase.Rejected, reason);
        await NotifyAsync(NoticeKind.Cancelled, new NoticeFacts { Reason = reason, ApprovedBy = approval.ApprovedBy }, customersToo: noticeSent);
        return reason;
    }

    private string Finish(WindowPhase final, string summary)
    {
        EnterPhase(final, summary);
        nextDeadline = null;
        waitingFor = null;
        return summary;
    }

    private void EnterPhase(WindowPhase next, string? note = null)
    {
        phase = next;
        phaseSince = Now;
        phases.Add(new PhaseChange(next, phaseSince, note));
        Workflow.UpsertTypedSearchAttributes(MaintenanceSearchAttributes.Phase.ValueSet(next.ToString()));
        Workflow.Logger.LogInformation("Window {WindowId} entered {Phase}", WindowId, next);
    }

    private void SetWindowEnd(DateTimeOffset end)
    {
        windowEnd = end;
        Workflow.UpsertTypedSearchAttributes(MaintenanceSearchAttributes.WindowEnd.ValueSet(end));
    }

    private void SetPhaseIfChanged(WindowPhase next)
    {
        if (phase != next)
        {
            EnterPhase(next);
        }
    }

    /// <summary>Sends a notice on the channels the policy routes it to; a failed channel is recorded, never fatal.</summary>
    private async Task NotifyAsync(NoticeKind kind, NoticeFacts facts, bool customersToo = true)
    {
        var channels = kind == NoticeKind.Cancelled && !customersToo ? schedule.ChannelsFor(NoticeKind.ApprovalRequest) : schedule.ChannelsFor(kind);
        facts = facts with { At = facts.At ?? Now };
        var deliveries = await WindowNotices.SendAsync(WindowId, plan, policy, kind, facts, channels, windowEnd);
        notices.Add(new NoticeRecord { Kind = kind, At = facts.At.Value, Deliveries = deliveries });
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

    private IReadOnlyList<VerificationLine> VerificationLines()
    {
        var lines = preChecks.Where(r => !(verification?.Checks.Any(c => c.CheckId == r.CheckId) ?? false)).Select(ToLine).ToList();
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

    private static string MissingGates(ApprovalStatus approval) =>
        approval.MissingGates.Count == 0 ? string.Empty : $"; gate(s) waiting: {string.Join(", ", approval.MissingGates.Select(g => $"{g.Id} ({string.Join(" or ", g.Approvers)})"))}";

    private static string Format(TimeSpan span) => span.TotalHours >= 1 ? $"{span.TotalHours:0.#} h" : span.TotalMinutes >= 1 ? $"{span.TotalMinutes:0} min" : $"{span.TotalSeconds:0} s";

    private bool IsAcknowledged(string item) => acknowledgements.Any(a => string.Equals(a.Item, item, StringComparison.OrdinalIgnoreCase));

    private ChecklistItemStatus ChecklistStatus(ChecklistItem item)
    {
        if (item.Check is { } checkId)
        {
            var result = latestChecks.LastOrDefault(r => r.CheckId == checkId);
            return new() { Id = item.Id, Text = item.Text, Phase = item.Phase, Blocking = item.Blocking, Check = checkId, Done = result?.Passed ?? false, By = result is null ? null : "automated", At = result?.CheckedAt };
        }
        var ack = acknowledgements.LastOrDefault(a => string.Equals(a.Item, item.Id, StringComparison.OrdinalIgnoreCase));
        return new() { Id = item.Id, Text = item.Text, Phase = item.Phase, Blocking = item.Blocking, Done = ack is not null, By = ack?.By, At = ack?.At };
    }

    private MaintenanceReport BuildReport(string summary) => new()
    {
        PlanId = plan.Id,
        Title = plan.Title,
        Type = plan.Type,
        Outcome = phase,
        Summary = summary,
        ScheduledAt = scheduledAt,
        WindowStart = schedule.WindowStart,
        WindowEnd = windowEnd,
        TimeZone = plan.Window.TimeZone,
        ExecutionStartedAt = executionStartedAt,
        FinishedAt = Now,
        Phases = phases,
        Votes = votes,
        Refusals = refusals,
        Acknowledgements = acknowledgements,
        PreChecks = preChecks,
        Verification = verification,
        Steps = stepRecords,
        Compensations = compensationRecords,
        RollbackVerification = rollbackVerification,
        Notices = notices,
        OperatorActions = operatorActions,
    };

    private void RequestAbort(string by, string reason)
    {
        if (AbortRequested)
        {
            return;
        }
        abortReason = reason;
        abortedBy = by;
        if (executionStarted)
        {
            executionCancellation.Cancel();
        }
    }

    /// <summary>A compensation registered before its step ran; <see cref="Undo"/> is set once the step said what it did.</summary>
    private sealed class Compensation(int stepIndex, string stepId, string description)
    {
        public int StepIndex { get; } = stepIndex;

        public string StepId { get; } = stepId;

        public string Description { get; } = description;

        public Func<CancellationToken, Task<string>>? Undo { get; set; }
    }
}
