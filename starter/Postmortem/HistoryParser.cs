using System.Globalization;
using System.Text.Json;
using Google.Protobuf;
using MaintenanceWorkflows.Workflows;
using MaintenanceWorkflows.Workflows.Contracts;
using MaintenanceWorkflows.Workflows.Governance;
using MaintenanceWorkflows.Workflows.Plans;
using Temporalio.Api.Common.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.Failure.V1;
using Temporalio.Api.History.V1;
using Temporalio.Common;
using Temporalio.Converters;

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
/// Reads a maintenance window's execution history event by event: phases from the <c>Phase</c> search
/// attribute upserts, votes and operator commands from signals and updates, checks, steps, compensations
/// and notices from the activities (decoded inputs and results). When the window has closed, the report in
/// its completion event settles what the events alone cannot say (which signals the window refused).
/// </summary>
public static class HistoryParser
{
    private static readonly IPayloadConverter Converter = DataConverter.Default.PayloadConverter;

    public static WindowHistory Parse(string windowId, WorkflowHistory history)
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
        var started = first.WorkflowExecutionStartedEventAttributes;
        if (started.WorkflowType.Name != nameof(MaintenanceWindowWorkflow))
        {
            throw new HistoryFormatException($"'{windowId}' is a {started.WorkflowType.Name} workflow, not a {nameof(MaintenanceWindowWorkflow)}; postmortems are built for maintenance windows only.");
        }
        MaintenanceWindowInput input;
        try
        {
            var payload = started.Input?.Payloads_.FirstOrDefault()
                ?? throw new HistoryFormatException($"the start event of '{windowId}' carries no input; it cannot be a maintenance window.");
            input = Converter.ToValue<MaintenanceWindowInput>(payload);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException)
        {
            throw new HistoryFormatException($"the start event of '{windowId}' does not carry a readable maintenance window input: {e.Message}", e);
        }
        return new Walker(windowId, input, Prepared(windowId, events), first).Run(events);
    }

    /// <summary>The worker's policy, validation and schedule as the window recorded them (its PrepareWindow result).</summary>
    private static PreparedWindow Prepared(string windowId, IReadOnlyList<HistoryEvent> events)
    {
        var scheduled = events.FirstOrDefault(e => e.EventType == EventType.ActivityTaskScheduled && e.ActivityTaskScheduledEventAttributes.ActivityType.Name == ActivityNames.PrepareWindow)
            ?? throw new HistoryFormatException($"'{windowId}' was never prepared by a worker (no {ActivityNames.PrepareWindow} in its history); start a worker and try again.");
        var completed = events.FirstOrDefault(e => e.EventType == EventType.ActivityTaskCompleted && e.ActivityTaskCompletedEventAttributes.ScheduledEventId == scheduled.EventId)
            ?? throw new HistoryFormatException($"'{windowId}' is still waiting for a worker to prepare it (its {ActivityNames.PrepareWindow} has not completed); try again shortly.");
        return Decode<PreparedWindow>(completed.ActivityTaskCompletedEventAttributes.Result)
            ?? throw new HistoryFormatException($"the {ActivityNames.PrepareWindow} result of '{windowId}' cannot be read.");
    }

    private static DateTimeOffset Time(HistoryEvent e) => new(e.EventTime.ToDateTime(), TimeSpan.Zero);

    private static T? Decode<T>(Payloads? payloads)
    {
        var payload = payloads?.Payloads_.FirstOrDefault();
        if (payload is null)
        {
            return default;
        }
        try
        {
            return Converter.ToValue<T>(payload);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException or NotSupportedException)
        {
            return default;
        }
    }

    /// <summary>Parses a JSON payload into a document, or null when it is not JSON.</summary>
    private static JsonElement? Json(Payload? payload)
    {
        if (payload is null || !payload.Metadata.TryGetValue("encoding", out var encoding) || encoding.ToStringUtf8() != "json/plain")
        {
            return null;
        }
        try
        {
            using var document = JsonDocument.Parse(payload.Data.ToStringUtf8());
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? Field(JsonElement? element, string name)
    {
        if (element is not { ValueKind: JsonValueKind.Object } obj)
        {
            return null;
        }
        foreach (var property in obj.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return property.Value.ValueKind switch
                {
                    JsonValueKind.String => property.Value.GetString(),
                    JsonValueKind.Null or JsonValueKind.Undefined => null,
                    _ => property.Value.GetRawText(),
                };
            }
        }
        return null;
    }

    private static string Describe(Failure? failure)
    {
        if (failure is null)
        {
            return "failed";
        }
        var message = failure.Message;
        if (failure.TimeoutFailureInfo is { } timeout)
        {
            message = $"timed out ({timeout.TimeoutType})";
        }
        // The activity's own message is on the innermost cause when the failure wraps one.
        var cause = failure.Cause;
        while (cause is not null)
        {
            if (!string.IsNullOrWhiteSpace(cause.Message) && !message.Contains(cause.Message, StringComparison.Ordinal))
            {
                message = $"{message}: {cause.Message}";
            }
            cause = cause.Cause;
        }
        return message;
    }

    private static string FormatSeconds(TimeSpan span) =>
        span.TotalSeconds >= 1 ? string.Create(CultureInfo.InvariantCulture, $"{span.TotalSeconds:0.#} s") : string.Create(CultureInfo.InvariantCulture, $"{span.TotalMilliseconds:0} ms");

    private sealed class Walker(string windowId, MaintenanceWindowInput input, PreparedWindow prepared, HistoryEvent startEvent)
    {
        private readonly List<TimelineEntry> timeline = [];
        private readonly List<PhaseSpan> phases = [];
        private readonly Dictionary<long, ActivityRun> activities = [];
        private readonly List<long> activityOrder = [];

        /// <summary>A RunChecks batch is one activity but several checks: its scheduled event id maps to one run per check.</summary>
        private readonly Dictionary<long, List<long>> batches = [];
        private readonly List<VoteEvent> votes = [];
        private readonly List<DateTimeOffset> windowEnds = [input.Plan.Window.End];
        private readonly List<RefusalRecord> unmatchedRefusals = [];
        private readonly WindowSchedule schedule = prepared.Schedule;
        private WindowPhase phase = WindowPhase.Scheduled;
        private int verificationRound;
        private long lastVerificationTask = -1;
        private bool closedWithReport;

        public WindowHistory Run(IReadOnlyList<HistoryEvent> events)
        {
            var started = startEvent.WorkflowExecutionStartedEventAttributes;
            var startedAt = Time(startEvent);
            phases.Add(new PhaseSpan(WindowPhase.Scheduled, startedAt, null));
            var scheduledBy = input.ScheduledBy ?? (string.IsNullOrEmpty(started.Identity) ? null : started.Identity);
            timeline.Add(new(startedAt, TimelineCategory.Window, scheduledBy, $"window scheduled: {input.Plan.Title} ({input.Plan.Type.ToString().ToLowerInvariant()}), {ZoneMath.FormatUtc(input.Plan.Window.Start)} - {ZoneMath.FormatUtc(input.Plan.Window.End)}"));

            // The report settles refusals; read it first so signals can be matched to them as they come.
            var closure = Closure(events[^1]);
            if (closure?.Report is { } report)
            {
                closedWithReport = true;
                unmatchedRefusals.AddRange(report.Refusals);
            }

            foreach (var e in events.Skip(1))
            {
                Apply(e);
            }
            var lastAt = Time(events[^1]);
            if (closure is not null)
            {
                ClosePhase(closure.At);
                timeline.Add(new(closure.At, closure.Report is null ? TimelineCategory.Failure : TimelineCategory.Window, null, ClosureText(closure)));
            }
            AddActivityEntries(lastAt);
            return new WindowHistory
            {
                WindowId = windowId,
                RunId = string.IsNullOrEmpty(started.OriginalExecutionRunId) ? null : started.OriginalExecutionRunId,
                Input = input,
                Policy = prepared.Policy,
                PolicyHash = prepared.PolicyHash,
                StartedAt = startedAt,
                StartedBy = scheduledBy,
                LastEventAt = lastAt,
                Closure = closure,
                Phases = phases,
                Timeline = timeline.Select((t, i) => (t, i)).OrderBy(p => p.t.At).ThenBy(p => p.i).Select(p => p.t).ToList(),
                Activities = activityOrder.Select(id => activities[id]).ToList(),
                Votes = votes,
                WindowEnds = windowEnds,
            };
        }

        private static string ClosureText(WindowClosure closure) => closure.Report is { } report
            ? $"window closed: {report.Outcome} - {report.Summary}"
            : $"workflow {closure.Status.ToLowerInvariant()}{(closure.Failure is null ? string.Empty : $": {closure.Failure}")} (no report)";

        private static WindowClosure? Closure(HistoryEvent last)
        {
            var at = Time(last);
            return last.EventType switch
            {
                EventType.WorkflowExecutionCompleted => Decode<MaintenanceReport>(last.WorkflowExecutionCompletedEventAttributes.Result) is { } report
                    ? new WindowClosure("Completed", at, report, null)
                    : new WindowClosure("Completed", at, null, "the result is not a readable maintenance report"),
                EventType.WorkflowExecutionFailed => new WindowClosure("Failed", at, null, Describe(last.WorkflowExecutionFailedEventAttributes.Failure)),
                EventType.WorkflowExecutionTimedOut => new WindowClosure("TimedOut", at, null, "the workflow run timed out"),
                EventType.WorkflowExecutionTerminated => new WindowClosure(
                    "Terminated",
                    at,
                    null,
                    $"terminated{(string.IsNullOrEmpty(last.WorkflowExecutionTerminatedEventAttributes.Identity) ? string.Empty : $" by {last.WorkflowExecutionTerminatedEventAttributes.Identity}")}" +
                    $"{(string.IsNullOrEmpty(last.WorkflowExecutionTerminatedEventAttributes.Reason) ? string.Empty : $": {last.WorkflowExecutionTerminatedEventAttributes.Reason}")}"),
                EventType.WorkflowExecutionCanceled => new WindowClosure("Canceled", at, null, "cancelled before it could report"),
                EventType.WorkflowExecutionContinuedAsNew => new WindowClosure("ContinuedAsNew", at, null, "continued as a new run; read the next run's history too"),
                _ => null,
            };
        }

        private void Apply(HistoryEvent e)
        {
            var at = Time(e);
            switch (e.EventType)
            {
                case EventType.UpsertWorkflowSearchAttributes:
                    ApplyUpsert(at, e.UpsertWorkflowSearchAttributesEventAttributes.SearchAttributes);
                    break;
                case EventType.WorkflowExecutionSignaled:
                    var signal = e.WorkflowExecutionSignaledEventAttributes;
                    ApplyCommand(at, signal.SignalName, signal.Input?.Payloads_.FirstOrDefault(), SignalChannel.Signal, signal.Identity);
                    break;
                case EventType.WorkflowExecutionUpdateAccepted:
                    var request = e.WorkflowExecutionUpdateAcceptedEventAttributes.AcceptedRequest;
                    ApplyCommand(at, request.Input.Name, request.Input.Args?.Payloads_.FirstOrDefault(), SignalChannel.Update, request.Meta?.Identity);
                    break;
                case EventType.WorkflowExecutionCancelRequested:
                    var cancel = e.WorkflowExecutionCancelRequestedEventAttributes;
                    timeline.Add(new(at, TimelineCategory.Operator, NullIfEmpty(cancel.Identity), $"Temporal cancellation requested{(string.IsNullOrEmpty(cancel.Cause) ? string.Empty : $": {cancel.Cause}")} (treated as an abort)"));
                    break;
                case EventType.WorkflowTaskFailed:
                    var failed = e.WorkflowTaskFailedEventAttributes;
                    timeline.Add(new(at, TimelineCategory.Failure, NullIfEmpty(failed.Identity), $"workflow task failed ({failed.Cause}): {Describe(failed.Failure)}; Temporal retries it"));
                    break;
                case EventType.ActivityTaskScheduled:
                    Schedule(e, at);
                    break;
                case EventType.ActivityTaskStarted:
                    var startedAttributes = e.ActivityTaskStartedEventAttributes;
                    Update(startedAttributes.ScheduledEventId, run => run with { Attempts = Math.Max(1, startedAttributes.Attempt) });
                    break;
                case EventType.ActivityTaskCompleted:
                    var completed = e.ActivityTaskCompletedEventAttributes;
                    if (batches.TryGetValue(completed.ScheduledEventId, out var members))
                    {
                        CompleteBatch(members, at, completed.Result);
                    }
                    else
                    {
                        Update(completed.ScheduledEventId, run => Complete(run, at, completed.Result));
                    }
                    break;
                case EventType.ActivityTaskFailed:
                    var failure = e.ActivityTaskFailedEventAttributes;
                    Update(failure.ScheduledEventId, run => run with { ClosedAt = at, Outcome = ActivityOutcome.Failed, Detail = Describe(failure.Failure) });
                    break;
                case EventType.ActivityTaskTimedOut:
                    var timedOut = e.ActivityTaskTimedOutEventAttributes;
                    Update(timedOut.ScheduledEventId, run => run with { ClosedAt = at, Outcome = ActivityOutcome.TimedOut, Detail = Describe(timedOut.Failure) });
                    break;
                case EventType.ActivityTaskCanceled:
                    var canceled = e.ActivityTaskCanceledEventAttributes;
                    Update(canceled.ScheduledEventId, run => run with { ClosedAt = at, Outcome = ActivityOutcome.Cancelled, Detail = "cancelled" });
                    break;
                default:
                    break;
            }
        }

        private void ApplyUpsert(DateTimeOffset at, SearchAttributes? attributes)
        {
            if (attributes is null)
            {
                return;
            }
            if (attributes.IndexedFields.TryGetValue(MaintenanceSearchAttributes.Phase.Name, out var phasePayload)
                && Enum.TryParse<WindowPhase>(Decode<string>(new Payloads { Payloads_ = { phasePayload } }), out var next)
                && next != phase)
            {
                ClosePhase(at);
                phase = next;
                phases.Add(new PhaseSpan(next, at, null));
                timeline.Add(new(at, TimelineCategory.Phase, null, $"phase {next}"));
            }
            if (attributes.IndexedFields.TryGetValue(MaintenanceSearchAttributes.WindowEnd.Name, out var endPayload)
                && Decode<DateTimeOffset?>(new Payloads { Payloads_ = { endPayload } }) is { } end
                && end != windowEnds[^1])
            {
                timeline.Add(new(at, TimelineCategory.Operator, null, $"window end moved from {ZoneMath.FormatUtc(windowEnds[^1])} to {ZoneMath.FormatUtc(end)}"));
                windowEnds.Add(end);
            }
        }

        private void ClosePhase(DateTimeOffset at)
        {
            if (phases.Count > 0 && phases[^1].End is null)
            {
                phases[^1] = phases[^1] with { End = at };
            }
        }

        /// <summary>A signal or an accepted update: votes, acknowledgements and operator controls.</summary>
        private void ApplyCommand(DateTimeOffset at, string name, Payload? payload, SignalChannel via, string? identity)
        {
            var json = Json(payload);
            var how = via == SignalChannel.Signal ? "signal" : "update";
            switch (name)
            {
                case WindowHandlers.Approve or WindowHandlers.Reject or WindowHandlers.SubmitApproval:
                {
                    var approver = Field(json, "approver")?.Trim();
                    var comment = Field(json, "comment");
                    var decision = name == WindowHandlers.Reject
                        || (name == WindowHandlers.SubmitApproval && string.Equals(Field(json, "decision"), nameof(VoteDecision.Reject), StringComparison.OrdinalIgnoreCase))
                        ? VoteDecision.Reject
                        : VoteDecision.Approve;
                    var refused = via == SignalChannel.Update ? null : VoteRefusal(name, at, approver, decision, comment, json is null);
                    votes.Add(new VoteEvent(at, approver ?? "(unknown)", decision, comment, via, refused is null, refused));
                    var verb = decision == VoteDecision.Approve ? "approved" : "rejected";
                    timeline.Add(refused is null
                        ? new(at, TimelineCategory.Approval, approver, $"{verb} by {how}{Quote(comment)}")
                        : new(at, TimelineCategory.Refusal, approver, $"{name} {how} refused: {refused}"));
                    break;
                }
                case WindowHandlers.Acknowledge or WindowHandlers.SubmitAcknowledgement:
                {
                    var by = Field(json, "by")?.Trim();
                    var item = Field(json, "item")?.Trim();
                    var refused = via == SignalChannel.Update ? null : MatchRefusal(WindowHandlers.Acknowledge, by, at);
                    timeline.Add(refused is null
                        ? new(at, TimelineCategory.Checklist, by, $"acknowledged '{item}' by {how}{Quote(Field(json, "note"))}")
                        : new(at, TimelineCategory.Refusal, by, $"acknowledgement of '{item}' refused: {refused}"));
                    break;
                }
                default:
                {
                    var by = Field(json, "by")?.Trim();
                    var refused = MatchRefusal(name, by, at);
                    var what = name switch
                    {
                        WindowHandlers.Abort => $"abort requested{Quote(Field(json, "reason"))}",
                        WindowHandlers.Pause => $"pause requested{Quote(Field(json, "reason"))}",
                        WindowHandlers.Resume => $"resume requested{Quote(Field(json, "reason"))}",
                        WindowHandlers.Extend => $"extension to {Field(json, "until") ?? "(no time)"} requested{Quote(Field(json, "reason"))}",
                        _ => $"'{name}' {how} received",
                    };
                    timeline.Add(refused is null
                        ? new(at, TimelineCategory.Operator, by ?? NullIfEmpty(identity), what)
                        : new(at, TimelineCategory.Refusal, by ?? NullIfEmpty(identity), $"{what}; refused: {refused}"));
                    break;
                }
            }
        }

        /// <summary>
        /// Whether the window refused a vote signal: the report says so when the window has closed; while it
        /// runs, the same approval rules the workflow applies decide (signals never fail, they are just ignored).
        /// </summary>
        private string? VoteRefusal(string name, DateTimeOffset at, string? approver, VoteDecision decision, string? comment, bool unreadable)
        {
            if (closedWithReport)
            {
                return MatchRefusal(name, approver, at);
            }
            if (unreadable || approver is null)
            {
                return "the payload is not a JSON object naming the approver";
            }
            if (phase.IsFinal())
            {
                return $"the window was already {phase}";
            }
            var recorded = votes.Where(v => v.Recorded).Select(v => new ApprovalVote { Approver = v.Approver, Decision = v.Decision, Comment = v.Comment, At = v.At }).ToList();
            var verdict = ApprovalRules.Check(schedule, recorded, new ApprovalVote { Approver = approver, Decision = decision, Comment = comment }, at);
            return verdict.Accepted ? null : verdict.Reason;
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

        private void Schedule(HistoryEvent e, DateTimeOffset at)
        {
            var attributes = e.ActivityTaskScheduledEventAttributes;
            var type = attributes.ActivityType.Name;
            var json = Json(attributes.Input?.Payloads_.FirstOrDefault());
            var summary = e.UserMetadata?.Summary is { } s ? Decode<string>(new Payloads { Payloads_ = { s } }) : null;
            ActivityRun run;
            if (type == ActivityNames.SendNotification)
            {
                var kind = Field(json, "Kind");
                var name = kind is not null && Enum.TryParse<NoticeKind>(kind, out var k) ? k.ToName() : kind ?? "notice";
                run = New(attributes, at, ActivityKind.Notice, name, $"{name} notice") with { Stage = CheckStage.None };
            }
            else if (type == ActivityNames.RunChecks)
            {
                var stage = CheckStageNow(attributes);
                var members = new List<long>();
                var index = 0;
                foreach (var check in json is { } batch && batch.TryGetProperty("Checks", out var list) ? list.EnumerateArray().ToList() : [])
                {
                    // Each element is the plan's check record; histories recorded before that held a union
                    // with one input set (StatusEndpoint, LambdaAlias, ...) that names the check.
                    var legacy = check.EnumerateObject().Select(p => p.Value).FirstOrDefault(v => v.ValueKind == JsonValueKind.Object);
                    var checkId = Field(check, "Id") ?? Field(legacy, "CheckId") ?? type;
                    var key = -((e.EventId * 1000) + index++);
                    activities[key] = New(attributes, at, ActivityKind.Check, checkId, Field(check, "Title") ?? Field(legacy, "Name") ?? checkId) with
                    {
                        Stage = stage,
                        Round = stage == CheckStage.Verification ? verificationRound : 0,
                    };
                    activityOrder.Add(key);
                    members.Add(key);
                }
                batches[e.EventId] = members;
                return;
            }
            else
            {
                var stepId = Field(json, "StepId") ?? type;
                var (kind, subject, title) = ClassifyChange(type, stepId, summary, json);
                run = New(attributes, at, kind, subject, title);
            }
            activities[e.EventId] = run;
            activityOrder.Add(e.EventId);
        }

        /// <summary>
        /// Steps and compensations run the same activities; the plan tells them apart (a rollback step has its
        /// own id under the step it undoes), and restoring an alias is always a compensation.
        /// </summary>
        private (ActivityKind Kind, string Subject, string Title) ClassifyChange(string type, string stepId, string? summary, JsonElement? json)
        {
            var plan = input.Plan;
            var step = plan.Steps.FirstOrDefault(s => s.Id == stepId);
            var undoes = plan.Steps.FirstOrDefault(s => s.Rollback?.Id == stepId);
            if (type == ActivityNames.RestoreLambdaAlias)
            {
                return (ActivityKind.Compensation, stepId, $"undo {stepId}: restore {Field(json, "Function") ?? Field(json, "FunctionName")}:{Field(json, "Alias")} to {Field(json, "Version")}");
            }
            if (undoes is not null && (step is null || phase == WindowPhase.RollingBack || summary == "compensation"))
            {
                return (ActivityKind.Compensation, undoes.Id, $"undo {undoes.Id}: {undoes.Rollback!.Title}");
            }
            if (type is ActivityNames.PromoteLambdaAlias or ActivityNames.SendHttpRequest or ActivityNames.RunCommand)
            {
                return (ActivityKind.Step, stepId, step?.Title ?? stepId);
            }
            return (ActivityKind.Other, stepId, summary ?? type);
        }

        private ActivityRun New(ActivityTaskScheduledEventAttributes attributes, DateTimeOffset at, ActivityKind kind, string subject, string title) => new()
        {
            ActivityId = attributes.ActivityId,
            ActivityType = attributes.ActivityType.Name,
            Kind = kind,
            Subject = subject,
            Title = title,
            Phase = phase,
            ScheduledAt = at,
        };

        /// <summary>Which kind of check runs now; a new verification round starts with each workflow task that schedules checks.</summary>
        private CheckStage CheckStageNow(ActivityTaskScheduledEventAttributes attributes)
        {
            var stage = phase switch
            {
                WindowPhase.PreChecks => CheckStage.PreCheck,
                WindowPhase.Verifying => CheckStage.Verification,
                WindowPhase.RollingBack => CheckStage.RollbackVerification,
                _ => CheckStage.None,
            };
            if (stage == CheckStage.Verification && attributes.WorkflowTaskCompletedEventId != lastVerificationTask)
            {
                lastVerificationTask = attributes.WorkflowTaskCompletedEventId;
                verificationRound++;
            }
            return stage;
        }

        private void CompleteBatch(List<long> members, DateTimeOffset at, Payloads? result)
        {
            var results = Decode<RunChecksResult>(result)?.Results ?? [];
            for (var i = 0; i < members.Count; i++)
            {
                var run = activities[members[i]] with { ClosedAt = at, Outcome = ActivityOutcome.Succeeded };
                activities[members[i]] = i < results.Count ? run with { CheckResult = results[i], Detail = CheckText(results[i]) } : run;
            }
        }

        private void Update(long scheduledEventId, Func<ActivityRun, ActivityRun> change)
        {
            if (batches.TryGetValue(scheduledEventId, out var members))
            {
                foreach (var member in members)
                {
                    activities[member] = change(activities[member]);
                }
                return;
            }
            if (activities.TryGetValue(scheduledEventId, out var run))
            {
                activities[scheduledEventId] = change(run);
            }
        }

        private static ActivityRun Complete(ActivityRun run, DateTimeOffset at, Payloads? result)
        {
            run = run with { ClosedAt = at, Outcome = ActivityOutcome.Succeeded };
            switch (run.ActivityType)
            {
                case ActivityNames.SendNotification when Decode<SendNotificationResult>(result) is { } sent:
                    return run with
                    {
                        Deliveries = sent.Deliveries,
                        Detail = string.Join(", ", sent.Deliveries.Select(d => $"{d.Channel} {d.Status.ToString().ToLowerInvariant()}")),
                    };
                case ActivityNames.PromoteLambdaAlias when Decode<PromoteLambdaAliasResult>(result) is { } promoted:
                    return run with
                    {
                        Detail = promoted.Changed
                            ? $"{promoted.Alias}: {promoted.PreviousVersion} -> {promoted.NewVersion}{(promoted.PublishedVersion is null ? string.Empty : $" (published {promoted.PublishedVersion})")}"
                            : $"{promoted.Alias} already on {promoted.NewVersion}",
                    };
                case ActivityNames.RestoreLambdaAlias when Decode<RestoreLambdaAliasResult>(result) is { } restored:
                    return run with
                    {
                        Detail = restored.Changed ? $"{restored.Alias}: {restored.FromVersion} -> {restored.RestoredVersion}" : $"{restored.Alias} already on {restored.RestoredVersion}",
                    };
                case ActivityNames.SendHttpRequest when Decode<HttpRequestResult>(result) is { } response:
                    return run with { Detail = $"HTTP {response.StatusCode} in {FormatSeconds(response.Latency)}" };
                case ActivityNames.RunCommand when Decode<RunCommandResult>(result) is { } command:
                    // The activity reports the exit code; the workflow treats a non-zero exit as the step failing.
                    return command.Succeeded
                        ? run with { Detail = $"'{command.Command}' exited 0 in {FormatSeconds(command.Duration)}" }
                        : run with
                        {
                            Outcome = ActivityOutcome.Failed,
                            Detail = $"'{command.Command}' exited with code {command.ExitCode}: {string.Join(" | ", command.OutputTail.TakeLast(3))}",
                        };
                default:
                    if (Decode<CheckResult>(result) is { CheckId: not null } check && run.Kind == ActivityKind.Check)
                    {
                        return run with { CheckResult = check, Detail = CheckText(check) };
                    }
                    return run;
            }
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
                        $"{StageName(run.Stage)} '{run.Subject}' {(run.CheckResult is null ? $"{Outcome(run)}{retries}: {run.Detail}" : run.CheckResult.Passed ? ShortCheckText(run.CheckResult) : run.Detail)}"),
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
                    : string.Join("; ", failing.Select(c => c.CheckResult is null ? $"{c.Subject} {Outcome(c)}: {c.Detail}" : $"{c.Subject} {ShortCheckText(c.CheckResult)}"));
                timeline.Add(new(at, failing.Count == 0 ? TimelineCategory.Check : TimelineCategory.Failure, null, $"verification round {round.Key}: {passed}/{checks.Count} checks passed ({detail})"));
            }
        }

        private static TimelineCategory StepCategory(ActivityRun run) =>
            run.Outcome is ActivityOutcome.Failed or ActivityOutcome.TimedOut ? TimelineCategory.Failure : TimelineCategory.Step;

        private static string Since(ActivityRun run, DateTimeOffset now) =>
            run.ClosedAt is { } closed ? $" in {FormatSeconds(closed - run.ScheduledAt)}" : $" (running for {FormatSeconds(now - run.ScheduledAt)})";

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

        private static string? NullIfEmpty(string? text) => string.IsNullOrWhiteSpace(text) ? null : text;
    }

    /// <summary>"RED: HTTP 502 (expected HTTP 200)".</summary>
    public static string ShortCheckText(CheckResult check)
    {
        ArgumentNullException.ThrowIfNull(check);
        var expected = string.IsNullOrWhiteSpace(check.Threshold) ? string.Empty : $" (expected {check.Threshold})";
        return $"{check.Status.ToString().ToUpperInvariant()}: {check.Observed}{expected}";
    }

    /// <summary>"GREEN: observed v40 (expected v40) - alias prod points at 40".</summary>
    public static string CheckText(CheckResult check)
    {
        ArgumentNullException.ThrowIfNull(check);
        var expected = string.IsNullOrWhiteSpace(check.Threshold) ? string.Empty : $" (expected {check.Threshold})";
        return $"{check.Status.ToString().ToUpperInvariant()}: observed {check.Observed}{expected} - {check.Message}";
    }
}
