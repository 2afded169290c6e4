using MaintenanceWorkflows.Workflows;
using MaintenanceWorkflows.Workflows.Contracts;
using MaintenanceWorkflows.Workflows.Governance;
using MaintenanceWorkflows.Workflows.Plans;
using MaintenanceWorkflows.Workflows.Rollout;
using Temporalio.Api.Enums.V1;
using Temporalio.Common;

namespace MaintenanceWorkflows.Starter.Postmortem;

/// <summary>A history that is not a maintenance window's, or that cannot be read.</summary>
public sealed class HistoryFormatException : Exception
{
    public HistoryFormatException()
    {
    }

    public HistoryFormatException(string message)
        : base(message)
    {
    }

    public HistoryFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// Builds a <see cref="WindowHistory"/> for the postmortem from the <see cref="WindowEvent"/>s the
/// <see cref="HistoryReader"/> decodes: the phases, the timeline, the votes, the activities and the rollouts.
/// Which commands the window refused comes only from what the window recorded: its report once it has closed,
/// or the refusals its Status listed while it runs (<see cref="RecordedRefusals"/>); without either a vote is
/// shown as not settled rather than judged again here.
/// </summary>
public static class HistoryParser
{
    public static WindowHistory Parse(string windowId, WorkflowHistory history, RecordedRefusals? running = null)
    {
        ArgumentNullException.ThrowIfNull(history);
        var events = history.Events.ToList();
        if (events.Count == 0)
        {
            throw new HistoryFormatException($"the history of '{windowId}' has no events.");
        }
        var first = events[0];
        if (first.EventType != EventType.WorkflowExecutionStarted)
        {
            throw new HistoryFormatException($"the history of '{windowId}' does not begin with WorkflowExecutionStarted (it begins with {first.EventType}); export the whole history.");
        }
        var type = first.WorkflowExecutionStartedEventAttributes.WorkflowType.Name;
        if (type != nameof(MaintenanceWindowWorkflow))
        {
            throw new HistoryFormatException($"'{windowId}' is a {type} workflow, not a {nameof(MaintenanceWindowWorkflow)}; postmortems are built for maintenance windows only.");
        }
        var reader = new HistoryReader();
        var started = reader.Read(first).OfType<WindowStarted>().Single();
        if (started.Input is not { } input)
        {
            throw new HistoryFormatException($"'{windowId}': {started.Problem}.");
        }

        // The report settles refusals; read it first so commands can be matched to them as they come.
        var closure = HistoryReader.Closure(events[^1]);
        var settled = closure?.Report is { } report ? new RecordedRefusals(report.Refusals, Complete: true) : running;
        var walker = new Walker(input, started, settled);
        foreach (var e in events.Skip(1))
        {
            foreach (var windowEvent in reader.Read(e))
            {
                walker.Apply(windowEvent);
            }
        }
        return walker.Finish(windowId, HistoryReader.Time(events[^1]), closure);
    }

    private sealed class Walker(MaintenanceWindowInput input, WindowStarted start, RecordedRefusals? settled)
    {
        private readonly List<TimelineEntry> timeline = [];
        private readonly List<PhaseSpan> phases = [new PhaseSpan(WindowPhase.Scheduled, start.At, null)];
        private readonly Dictionary<long, ActivityRun> activities = [];
        private readonly List<long> activityOrder = [];
        private readonly List<VoteEvent> votes = [];

        /// <summary>Accepted updates not yet completed: where their vote (-1 when none) and timeline line are, to mark them refused if they fail.</summary>
        private readonly Dictionary<string, (CommandReceived Command, int Vote, int Line)> openUpdates = new(StringComparer.Ordinal);
        private readonly List<DateTimeOffset> windowEnds = [input.Plan.Window.End];
        private readonly List<RefusalRecord> unmatchedRefusals = [.. settled?.Refusals ?? []];
        private readonly List<RolloutRun> rollouts = [];
        private readonly string? scheduledBy = input.ScheduledBy ?? start.Identity;
        private PreparedWindow? prepared;
        private WindowPhase phase = WindowPhase.Scheduled;

        public void Apply(WindowEvent windowEvent)
        {
            switch (windowEvent)
            {
                case PhaseEntered { Phase: var same } when same == phase:
                    break;
                case PhaseEntered entered:
                    ClosePhase(entered.At);
                    phase = entered.Phase;
                    phases.Add(new PhaseSpan(entered.Phase, entered.At, null));
                    timeline.Add(new(entered.At, TimelineCategory.Phase, null, $"phase {entered.Phase}"));
                    break;
                case WindowEndMoved moved:
                    timeline.Add(new(moved.At, TimelineCategory.Operator, null, $"window end moved from {ZoneMath.FormatUtc(moved.From)} to {ZoneMath.FormatUtc(moved.To)}"));
                    windowEnds.Add(moved.To);
                    break;
                case CommandReceived command:
                    ApplyCommand(command);
                    break;
                case UpdateFailed failedUpdate:
                    ApplyUpdateFailure(failedUpdate);
                    break;
                case CancelRequested cancel:
                    timeline.Add(new(cancel.At, TimelineCategory.Operator, cancel.Identity, $"Temporal cancellation requested{(cancel.Cause is null ? string.Empty : $": {cancel.Cause}")} (treated as an abort)"));
                    break;
                case WorkflowTaskFailed failed:
                    timeline.Add(new(failed.At, TimelineCategory.Failure, failed.Identity, $"workflow task failed ({failed.Cause}): {failed.Message}; Temporal retries it"));
                    break;
                case ActivityEvent activity:
                    if (!activities.ContainsKey(activity.Key))
                    {
                        activityOrder.Add(activity.Key);
                    }
                    activities[activity.Key] = activity.Run;
                    break;
                case WindowPrepared ready:
                    prepared = ready.Prepared;
                    break;
                case RolloutStarted rollout when rollout.Mode == RolloutMode.Patch:
                    rollouts.Add(new RolloutRun { Step = rollout.Step, StartedAt = rollout.At });
                    break;
                case RolloutStarted undo:
                    Rollout(undo.Step.Id, r => r with { UndoStartedAt = undo.At });
                    break;
                case RolloutClosed closed when closed.Mode == RolloutMode.Patch:
                    Rollout(closed.Step.Id, r => r with { ClosedAt = closed.At, Patch = closed.Result, Failure = closed.Failure });
                    break;
                case RolloutClosed closed:
                    Rollout(closed.Step.Id, r => r with { UndoClosedAt = closed.At, Undo = closed.Result, UndoFailure = closed.Failure });
                    break;
                case RolloutReported reported:
                    if (rollouts.Count > 0)
                    {
                        rollouts[^1] = rollouts[^1] with { LastReport = reported.Detail, LastReportAt = reported.At };
                    }
                    break;
                default:
                    break;
            }
        }

        public WindowHistory Finish(string windowId, DateTimeOffset lastAt, WindowClosure? closure)
        {
            if (prepared is null)
            {
                var prepare = activities.Values.FirstOrDefault(a => a.ActivityType == ActivityNames.PrepareWindow);
                throw new HistoryFormatException(
                    prepare is null ? $"'{windowId}' was never prepared by a worker (no {ActivityNames.PrepareWindow} in its history); start a worker and try again."
                    : prepare.Outcome == ActivityOutcome.Succeeded ? $"the {ActivityNames.PrepareWindow} result of '{windowId}' cannot be read."
                    : $"'{windowId}' is still waiting for a worker to prepare it (its {ActivityNames.PrepareWindow} has not completed); try again shortly.");
            }
            timeline.Insert(0, new(start.At, TimelineCategory.Window, scheduledBy, $"window scheduled: {input.Plan.Title} ({input.Plan.Type.ToString().ToLowerInvariant()}), {ZoneMath.FormatUtc(input.Plan.Window.Start)} - {ZoneMath.FormatUtc(input.Plan.Window.End)}"));
            if (closure is not null)
            {
                ClosePhase(closure.At);
                timeline.Add(new(closure.At, closure.Report is null ? TimelineCategory.Failure : TimelineCategory.Window, null, ClosureText(closure)));
            }
            AddActivityEntries(lastAt);
            AddRolloutEntries();
            return new WindowHistory
            {
                WindowId = windowId,
                RunId = start.OriginalRunId,
                Input = input,
                Policy = prepared.Policy,
                PolicyHash = prepared.PolicyHash,
                StartedAt = start.At,
                StartedBy = scheduledBy,
                LastEventAt = lastAt,
                Closure = closure,
                Phases = phases,
                Timeline = timeline.Select((t, i) => (t, i)).OrderBy(p => p.t.At).ThenBy(p => p.i).Select(p => p.t).ToList(),
                Activities = activityOrder.Select(id => activities[id]).ToList(),
                Votes = votes,
                WindowEnds = windowEnds,
                Rollouts = rollouts,
            };
        }

        private void Rollout(string stepId, Func<RolloutRun, RolloutRun> change)
        {
            var index = rollouts.FindLastIndex(r => r.Step.Id == stepId);
            if (index >= 0)
            {
                rollouts[index] = change(rollouts[index]);
            }
        }

        /// <summary>The waves in the timeline: one line when each starts and one when it ends (never one per host).</summary>
        private void AddRolloutEntries()
        {
            foreach (var rollout in rollouts)
            {
                var id = rollout.Step.Id;
                timeline.Add(new(rollout.StartedAt, TimelineCategory.Rollout, null, $"rollout '{id}' started"));
                foreach (var wave in rollout.Patch?.Waves ?? [])
                {
                    timeline.Add(new(wave.StartedAt, TimelineCategory.Rollout, null, $"rollout '{id}' {wave.Name} started: {wave.Hosts} host(s)"));
                    if (wave.FinishedAt is { } finished)
                    {
                        timeline.Add(new(finished, wave.Failed > 0 ? TimelineCategory.Failure : TimelineCategory.Rollout, null, $"rollout '{id}' {wave.Name} finished: {wave.Done} done, {wave.Failed} failed{(wave.Note is null ? string.Empty : $" ({wave.Note})")}"));
                    }
                }
                if (rollout.ClosedAt is { } closed)
                {
                    timeline.Add(new(closed, rollout.Patch?.Outcome == RolloutOutcome.Completed ? TimelineCategory.Rollout : TimelineCategory.Failure, null, rollout.Patch is { } patch ? $"{patch.Outcome}: {patch.Summary}" : $"rollout '{id}' did not complete: {rollout.Failure}"));
                }
                else if (rollout.LastReport is { } report)
                {
                    timeline.Add(new(rollout.LastReportAt!.Value, TimelineCategory.Rollout, null, $"rollout '{id}' still running; the window last showed {report}"));
                }
                if (rollout.UndoStartedAt is { } undoStarted)
                {
                    timeline.Add(new(undoStarted, TimelineCategory.Compensation, null, $"undo of rollout '{id}' started"));
                }
                if (rollout.UndoClosedAt is { } undoClosed)
                {
                    timeline.Add(new(undoClosed, rollout.Undo?.Outcome == RolloutOutcome.Undone ? TimelineCategory.Compensation : TimelineCategory.Failure, null, rollout.Undo is { } undo ? $"undo of rollout '{id}' {undo.Outcome}: {undo.Summary}" : $"undo of rollout '{id}' did not complete: {rollout.UndoFailure}"));
                }
            }
        }

        private static string ClosureText(WindowClosure closure) => closure.Report is { } report
            ? $"window closed: {report.Outcome} - {report.Summary}"
            : $"workflow {closure.Status.ToLowerInvariant()}{(closure.Failure is null ? string.Empty : $": {closure.Failure}")} (no report)";

        private void ClosePhase(DateTimeOffset at)
        {
            if (phases.Count > 0 && phases[^1].End is null)
            {
                phases[^1] = phases[^1] with { End = at };
            }
        }

        /// <summary>A signal or an accepted update: votes, acknowledgements and operator controls.</summary>
        private void ApplyCommand(CommandReceived command)
        {
            var (votesBefore, linesBefore) = (votes.Count, timeline.Count);
            ApplyCommandLines(command);
            if (command is { Via: SignalChannel.Update, UpdateId: { } updateId } && timeline.Count > linesBefore)
            {
                openUpdates[updateId] = (command, votes.Count > votesBefore ? votes.Count - 1 : -1, timeline.Count - 1);
            }
        }

        /// <summary>
        /// An update the window accepted and then failed (a code the worker refused, a rule only the handler can judge): its
        /// vote did not count and its line becomes a refusal, with the window's own recorded reason where it kept one.
        /// </summary>
        private void ApplyUpdateFailure(UpdateFailed failed)
        {
            if (!openUpdates.Remove(failed.UpdateId, out var open))
            {
                return;
            }
            var command = open.Command;
            var by = command.Field("approver")?.Trim() ?? command.Field("by")?.Trim();
            var reason = MatchRefusal(command.Name, by, command.At) ?? failed.Reason;
            if (open.Vote >= 0)
            {
                votes[open.Vote] = votes[open.Vote] with { Recorded = false, RefusedBecause = reason, Settled = true };
            }
            var line = timeline[open.Line];
            timeline[open.Line] = new(line.At, TimelineCategory.Refusal, line.Who, $"{command.Name} update refused: {reason}");
        }

        private void ApplyCommandLines(CommandReceived command)
        {
            var (at, name, via) = (command.At, command.Name, command.Via);
            var how = via == SignalChannel.Signal ? "signal" : "update";
            switch (name)
            {
                case WindowHandlers.Approve or WindowHandlers.Reject or WindowHandlers.SubmitApproval:
                {
                    var approver = command.Field("approver")?.Trim();
                    var comment = command.Field("comment");
                    var decision = name == WindowHandlers.Reject
                        || (name == WindowHandlers.SubmitApproval && string.Equals(command.Field("decision"), nameof(VoteDecision.Reject), StringComparison.OrdinalIgnoreCase))
                        ? VoteDecision.Reject
                        : VoteDecision.Approve;
                    // An update's validator refuses before the update is accepted, so an accepted one counted.
                    var refused = via == SignalChannel.Update ? null : MatchRefusal(name, approver, at);
                    var isSettled = via == SignalChannel.Update || refused is not null || settled is { Complete: true } || (settled is { } some && some.Refusals.Count > 0 && at >= some.Refusals[0].At);
                    votes.Add(new VoteEvent(at, approver ?? "(unknown)", decision, comment, via, isSettled && refused is null, refused, isSettled));
                    var verb = decision == VoteDecision.Approve ? "approved" : "rejected";
                    timeline.Add(refused is not null
                        ? new(at, TimelineCategory.Refusal, approver, $"{name} {how} refused: {refused}")
                        : isSettled
                            ? new(at, TimelineCategory.Approval, approver, $"{verb} by {how}{Quote(comment)}")
                            : new(at, TimelineCategory.Approval, approver, $"{name} {how} received{Quote(comment)} (not yet settled: the window lists refusals in its report)"));
                    break;
                }
                case WindowHandlers.Acknowledge or WindowHandlers.SubmitAcknowledgement:
                {
                    var by = command.Field("by")?.Trim();
                    var item = command.Field("item")?.Trim();
                    var refused = via == SignalChannel.Update ? null : MatchRefusal(WindowHandlers.Acknowledge, by, at);
                    timeline.Add(refused is null
                        ? new(at, TimelineCategory.Checklist, by, $"acknowledged '{item}' by {how}{Quote(command.Field("note"))}")
                        : new(at, TimelineCategory.Refusal, by, $"acknowledgement of '{item}' refused: {refused}"));
                    break;
                }
                case RolloutHandlers.Progress:
                {
                    // The rollout's reports show in the waves; only a refused (forged) one is worth a line.
                    if (MatchRefusal(name, null, at) is { } refused)
                    {
                        timeline.Add(new(at, TimelineCategory.Refusal, command.Identity, $"rollout progress {how} refused: {refused}"));
                    }
                    break;
                }
                default:
                {
                    var by = command.Field("by")?.Trim();
                    var refused = MatchRefusal(name, by, at);
                    var what = name switch
                    {
                        WindowHandlers.Abort => $"abort requested{Quote(command.Field("reason"))}",
                        WindowHandlers.Pause => $"pause requested{Quote(command.Field("reason"))}",
                        WindowHandlers.Resume => $"resume requested{Quote(command.Field("reason"))}",
                        WindowHandlers.Extend => $"extension to {command.Field("until") ?? "(no time)"} requested{Quote(command.Field("reason"))}",
                        _ => $"'{name}' {how} received",
                    };
                    timeline.Add(refused is null
                        ? new(at, TimelineCategory.Operator, by ?? command.Identity, what)
                        : new(at, TimelineCategory.Refusal, by ?? command.Identity, $"{what}; refused: {refused}"));
                    break;
                }
            }
        }

        private string? MatchRefusal(string handler, string? by, DateTimeOffset at)
        {
            var match = unmatchedRefusals.FirstOrDefault(r =>
                r.Handler == handler
                && string.Equals(r.By ?? string.Empty, by ?? string.Empty, StringComparison.OrdinalIgnoreCase)
                && r.At >= at - TimeSpan.FromSeconds(1));
            if (match is null)
            {
                return null;
            }
            unmatchedRefusals.Remove(match);
            return match.Reason;
        }

        private void AddActivityEntries(DateTimeOffset now)
        {
            var runs = activityOrder.Select(id => activities[id]).ToList();
            foreach (var run in runs.Where(r => r.Kind != ActivityKind.Check || r.Stage != CheckStage.Verification))
            {
                var at = run.ClosedAt ?? run.ScheduledAt;
                var retries = run.Attempts > 1 ? $" after {run.Attempts} attempts" : string.Empty;
                var (category, text) = run.Kind switch
                {
                    ActivityKind.Notice => (TimelineCategory.Notice, $"{run.Title}: {(run.Outcome == ActivityOutcome.Succeeded ? run.Detail : $"{Outcome(run)}{retries} {run.Detail}")}"),
                    ActivityKind.Check => (
                        run.CheckResult?.Passed == true ? TimelineCategory.Check : TimelineCategory.Failure,
                        $"{StageName(run.Stage)} '{run.Subject}' {(run.CheckResult is null ? $"{Outcome(run)}{retries}: {run.Detail}" : run.CheckResult.Passed ? HistoryReader.ShortCheckText(run.CheckResult) : run.Detail)}"),
                    ActivityKind.Step => (StepCategory(run), $"step '{run.Subject}' ({run.Title}) {Outcome(run)}{retries}{Since(run, now)}: {run.Detail}"),
                    ActivityKind.Compensation => (StepCategory(run) == TimelineCategory.Failure ? TimelineCategory.Failure : TimelineCategory.Compensation, $"{run.Title} {Outcome(run)}{retries}: {run.Detail}"),
                    _ => (TimelineCategory.Window, $"{run.ActivityType} {Outcome(run)}: {run.Detail}"),
                };
                timeline.Add(new(at, category, null, text.TrimEnd(' ', ':')));
            }

            // Soak rounds repeat the same checks; one line per round keeps the timeline readable.
            foreach (var round in runs.Where(r => r.Kind == ActivityKind.Check && r.Stage == CheckStage.Verification).GroupBy(r => r.Round))
            {
                var checks = round.ToList();
                var passed = checks.Count(c => c.CheckResult?.Passed == true);
                var at = checks.Max(c => c.ClosedAt ?? c.ScheduledAt);
                var failing = checks.Where(c => c.CheckResult?.Passed != true).ToList();
                var detail = failing.Count == 0
                    ? string.Join("; ", checks.Select(c => $"{c.Subject}: {c.CheckResult?.Observed}"))
                    : string.Join("; ", failing.Select(c => c.CheckResult is null ? $"{c.Subject} {Outcome(c)}: {c.Detail}" : $"{c.Subject} {HistoryReader.ShortCheckText(c.CheckResult)}"));
                timeline.Add(new(at, failing.Count == 0 ? TimelineCategory.Check : TimelineCategory.Failure, null, $"verification round {round.Key}: {passed}/{checks.Count} checks passed ({detail})"));
            }
        }

        private static TimelineCategory StepCategory(ActivityRun run) =>
            run.Outcome is ActivityOutcome.Failed or ActivityOutcome.TimedOut ? TimelineCategory.Failure : TimelineCategory.Step;

        private static string Since(ActivityRun run, DateTimeOffset now) =>
            run.ClosedAt is { } closed ? $" in {HistoryReader.FormatSeconds(closed - run.ScheduledAt)}" : $" (running for {HistoryReader.FormatSeconds(now - run.ScheduledAt)})";

        private static string Outcome(ActivityRun run) => run.Outcome switch
        {
            ActivityOutcome.Running => "running",
            ActivityOutcome.Succeeded => "succeeded",
            ActivityOutcome.Failed => "FAILED",
            ActivityOutcome.TimedOut => "TIMED OUT",
            ActivityOutcome.Cancelled => "cancelled",
            _ => run.Outcome.ToString(),
        };

        private static string StageName(CheckStage stage) => stage switch
        {
            CheckStage.PreCheck => "pre-check",
            CheckStage.Verification => "verification check",
            CheckStage.RollbackVerification => "rollback verification",
            _ => "check",
        };

        private static string Quote(string? text) => string.IsNullOrWhiteSpace(text) ? string.Empty : $": \"{text}\"";
    }
}
