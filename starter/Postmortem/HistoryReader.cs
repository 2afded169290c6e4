using System.Globalization;
using System.Text.Json;
using MaintenanceWorkflows.Workflows;
using MaintenanceWorkflows.Workflows.Contracts;
using MaintenanceWorkflows.Workflows.Governance;
using MaintenanceWorkflows.Workflows.Plans;
using MaintenanceWorkflows.Workflows.Rollout;
using Temporalio.Api.Common.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.Failure.V1;
using Temporalio.Api.History.V1;
using Temporalio.Converters;

namespace MaintenanceWorkflows.Starter.Postmortem;

/// <summary>
/// The one reader of a maintenance window's execution history: fed events in order (a whole exported history,
/// or one by one as the history grows), it decodes each into <see cref="WindowEvent"/>s. It reads only what the
/// workflow recorded (phases from the <c>Phase</c> attribute, decoded activity inputs and results, the rollout
/// children's results) and never re-applies the workflow's rules. Arguments are read as JSON fields, not as
/// today's records, so histories recorded by older workers still read.
/// </summary>
public sealed class HistoryReader
{
    private static readonly IPayloadConverter Converter = DataConverter.Default.PayloadConverter;

    private readonly Dictionary<long, ActivityRun> activities = [];

    /// <summary>A RunChecks batch is one activity but several checks: its scheduled event id maps to one run per check.</summary>
    private readonly Dictionary<long, List<long>> batches = [];
    private readonly Dictionary<long, (string WorkflowId, RolloutStep Step, RolloutMode Mode, DateTimeOffset At)> rollouts = [];
    private MaintenancePlan? plan;
    private DateTimeOffset windowEnd;
    private WindowPhase phase = WindowPhase.Scheduled;
    private bool phaseSeen;
    private int verificationRound;
    private long lastVerificationTask = -1;

    /// <summary>Decodes one event; most events mean nothing to people and yield nothing.</summary>
    public IReadOnlyList<WindowEvent> Read(HistoryEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var at = Time(e);
        switch (e.EventType)
        {
            case EventType.WorkflowExecutionStarted:
                return [Started(e, at)];
            case EventType.UpsertWorkflowSearchAttributes:
                return Upsert(at, e.UpsertWorkflowSearchAttributesEventAttributes.SearchAttributes);
            case EventType.WorkflowExecutionSignaled:
                var signal = e.WorkflowExecutionSignaledEventAttributes;
                return [new CommandReceived(at, signal.SignalName, Json(signal.Input?.Payloads_.FirstOrDefault()), SignalChannel.Signal, NullIfEmpty(signal.Identity))];
            case EventType.WorkflowExecutionUpdateAccepted:
                var request = e.WorkflowExecutionUpdateAcceptedEventAttributes.AcceptedRequest;
                return [new CommandReceived(at, request.Input.Name, Json(request.Input.Args?.Payloads_.FirstOrDefault()), SignalChannel.Update, NullIfEmpty(request.Meta?.Identity), NullIfEmpty(request.Meta?.UpdateId))];
            case EventType.WorkflowExecutionUpdateCompleted:
                var done = e.WorkflowExecutionUpdateCompletedEventAttributes;
                return done.Outcome?.Failure is { } updateFailure && NullIfEmpty(done.Meta?.UpdateId) is { } updateId
                    ? [new UpdateFailed(at, updateId, Describe(updateFailure))]
                    : [];
            case EventType.WorkflowExecutionCancelRequested:
                var cancel = e.WorkflowExecutionCancelRequestedEventAttributes;
                return [new CancelRequested(at, NullIfEmpty(cancel.Identity), NullIfEmpty(cancel.Cause))];
            case EventType.WorkflowTaskFailed:
                var failed = e.WorkflowTaskFailedEventAttributes;
                return [new WorkflowTaskFailed(at, NullIfEmpty(failed.Identity), failed.Cause.ToString(), Describe(failed.Failure))];
            case EventType.ActivityTaskScheduled:
                return Schedule(e, at);
            case EventType.ActivityTaskStarted:
                var startedAttributes = e.ActivityTaskStartedEventAttributes;
                return Update(at, ActivityChange.Started, startedAttributes.ScheduledEventId, run => run with { Attempts = Math.Max(1, startedAttributes.Attempt) });
            case EventType.ActivityTaskCompleted:
                return Completed(at, e.ActivityTaskCompletedEventAttributes);
            case EventType.ActivityTaskFailed:
                var failure = e.ActivityTaskFailedEventAttributes;
                return Update(at, ActivityChange.Closed, failure.ScheduledEventId, run => run with { ClosedAt = at, Outcome = ActivityOutcome.Failed, Detail = Describe(failure.Failure) });
            case EventType.ActivityTaskTimedOut:
                var timedOut = e.ActivityTaskTimedOutEventAttributes;
                return Update(at, ActivityChange.Closed, timedOut.ScheduledEventId, run => run with { ClosedAt = at, Outcome = ActivityOutcome.TimedOut, Detail = Describe(timedOut.Failure) });
            case EventType.ActivityTaskCanceled:
                var canceled = e.ActivityTaskCanceledEventAttributes;
                return Update(at, ActivityChange.Closed, canceled.ScheduledEventId, run => run with { ClosedAt = at, Outcome = ActivityOutcome.Cancelled, Detail = "cancelled" });
            case EventType.StartChildWorkflowExecutionInitiated:
                return ChildInitiated(e, at);
            case EventType.ChildWorkflowExecutionCompleted:
                var child = e.ChildWorkflowExecutionCompletedEventAttributes;
                return ChildClosed(at, child.InitiatedEventId, Decode<FleetRolloutResult>(child.Result), null);
            case EventType.ChildWorkflowExecutionFailed:
                var childFailed = e.ChildWorkflowExecutionFailedEventAttributes;
                return ChildClosed(at, childFailed.InitiatedEventId, null, Describe(childFailed.Failure));
            case EventType.ChildWorkflowExecutionCanceled:
                return ChildClosed(at, e.ChildWorkflowExecutionCanceledEventAttributes.InitiatedEventId, null, "cancelled");
            case EventType.ChildWorkflowExecutionTimedOut:
                return ChildClosed(at, e.ChildWorkflowExecutionTimedOutEventAttributes.InitiatedEventId, null, "timed out");
            case EventType.ChildWorkflowExecutionTerminated:
                return ChildClosed(at, e.ChildWorkflowExecutionTerminatedEventAttributes.InitiatedEventId, null, "terminated");
            case EventType.StartChildWorkflowExecutionFailed:
                return ChildClosed(at, e.StartChildWorkflowExecutionFailedEventAttributes.InitiatedEventId, null, $"could not start ({e.StartChildWorkflowExecutionFailedEventAttributes.Cause})");
            default:
                return Closure(e) is { } closure ? [new WindowClosed(at, closure)] : [];
        }
    }

    /// <summary>How the execution closed when <paramref name="last"/> is a closing event; null otherwise.</summary>
    public static WindowClosure? Closure(HistoryEvent last)
    {
        ArgumentNullException.ThrowIfNull(last);
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

    public static DateTimeOffset Time(HistoryEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return new(e.EventTime.ToDateTime(), TimeSpan.Zero);
    }

    /// <summary>A field of a JSON object by name (case-insensitive), as text; null when absent or not an object.</summary>
    public static string? Field(JsonElement? element, string name)
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

    public static string FormatSeconds(TimeSpan span) =>
        span.TotalSeconds >= 1 ? string.Create(CultureInfo.InvariantCulture, $"{span.TotalSeconds:0.#} s") : string.Create(CultureInfo.InvariantCulture, $"{span.TotalMilliseconds:0} ms");

    private WindowStarted Started(HistoryEvent e, DateTimeOffset at)
    {
        var started = e.WorkflowExecutionStartedEventAttributes;
        var identity = NullIfEmpty(started.Identity);
        var runId = NullIfEmpty(started.OriginalExecutionRunId);
        var payload = started.Input?.Payloads_.FirstOrDefault();
        if (payload is null)
        {
            return new WindowStarted(at, null, "the start event carries no input; it cannot be a maintenance window", identity, runId);
        }
        try
        {
            var input = Converter.ToValue<MaintenanceWindowInput>(payload);
            plan = input.Plan;
            windowEnd = input.Plan.Window.End;
            return new WindowStarted(at, input, null, identity, runId);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or ArgumentException or NotSupportedException)
        {
            return new WindowStarted(at, null, $"the start event does not carry a readable maintenance window input: {ex.Message}", identity, runId);
        }
    }

    private List<WindowEvent> Upsert(DateTimeOffset at, SearchAttributes? attributes)
    {
        var events = new List<WindowEvent>();
        if (attributes is null)
        {
            return events;
        }
        if (attributes.IndexedFields.TryGetValue(MaintenanceSearchAttributes.Phase.Name, out var phasePayload)
            && Decode<string>(new Payloads { Payloads_ = { phasePayload } }) is { } value)
        {
            // "InProgress" or, while a rollout runs, "InProgress: rollout 'x': batch 2 (2 of 4): ...".
            var colon = value.IndexOf(':', StringComparison.Ordinal);
            if (Enum.TryParse<WindowPhase>(colon < 0 ? value : value[..colon], out var next))
            {
                // The first upsert is the run's own word on its phase (Scheduled, or where a continued run stands).
                if (next != phase || !phaseSeen)
                {
                    phase = next;
                    phaseSeen = true;
                    events.Add(new PhaseEntered(at, next));
                }
                if (colon >= 0)
                {
                    events.Add(new RolloutReported(at, value[(colon + 1)..].Trim()));
                }
            }
        }
        if (attributes.IndexedFields.TryGetValue(MaintenanceSearchAttributes.WindowEnd.Name, out var endPayload)
            && Decode<DateTimeOffset?>(new Payloads { Payloads_ = { endPayload } }) is { } end
            && end != windowEnd)
        {
            events.Add(new WindowEndMoved(at, windowEnd, end));
            windowEnd = end;
        }
        return events;
    }

    private List<WindowEvent> Schedule(HistoryEvent e, DateTimeOffset at)
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
            run = New(attributes, at, ActivityKind.Notice, name, $"{name} notice") with { Channels = Strings(json, "Channels") };
        }
        else if (type == ActivityNames.RunChecks)
        {
            var stage = CheckStageNow(attributes);
            var members = new List<long>();
            var events = new List<WindowEvent>();
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
                members.Add(key);
                events.Add(new ActivityEvent(at, ActivityChange.Scheduled, key, activities[key]));
            }
            batches[e.EventId] = members;
            return events;
        }
        else
        {
            var stepId = Field(json, "StepId") ?? type;
            var (kind, subject, title) = ClassifyChange(type, stepId, summary, json);
            run = New(attributes, at, kind, subject, title, summary);
        }
        activities[e.EventId] = run;
        return [new ActivityEvent(at, ActivityChange.Scheduled, e.EventId, run)];
    }

    /// <summary>
    /// Steps and compensations run the same activities. The workflow undoes steps only once it has entered
    /// RollingBack (its Phase attribute records that), and a rollback step has its own id under the step it
    /// undoes; restoring an alias is always a compensation.
    /// </summary>
    private (ActivityKind Kind, string Subject, string Title) ClassifyChange(string type, string stepId, string? summary, JsonElement? json)
    {
        var step = plan?.Steps.FirstOrDefault(s => s.Id == stepId);
        var undoes = plan?.Steps.FirstOrDefault(s => s.Rollback?.Id == stepId);
        if (type == ActivityNames.RestoreLambdaAlias)
        {
            return (ActivityKind.Compensation, stepId, $"undo {stepId}: restore {Field(json, "Function") ?? Field(json, "FunctionName")}:{Field(json, "Alias")} to {Field(json, "Version")}");
        }
        if (undoes is not null && (step is null || phase == WindowPhase.RollingBack))
        {
            return (ActivityKind.Compensation, undoes.Id, $"undo {undoes.Id}: {undoes.Rollback!.Title}");
        }
        if (type is ActivityNames.PromoteLambdaAlias or ActivityNames.SendHttpRequest or ActivityNames.RunCommand)
        {
            return (ActivityKind.Step, stepId, step?.Title ?? stepId);
        }
        return (ActivityKind.Other, stepId, summary ?? type);
    }

    private ActivityRun New(ActivityTaskScheduledEventAttributes attributes, DateTimeOffset at, ActivityKind kind, string subject, string title, string? summary = null) => new()
    {
        Summary = summary,
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

    private List<WindowEvent> Completed(DateTimeOffset at, ActivityTaskCompletedEventAttributes completed)
    {
        if (batches.TryGetValue(completed.ScheduledEventId, out var members))
        {
            var results = Decode<RunChecksResult>(completed.Result)?.Results ?? [];
            var events = new List<WindowEvent>();
            for (var i = 0; i < members.Count; i++)
            {
                var run = activities[members[i]] with { ClosedAt = at, Outcome = ActivityOutcome.Succeeded };
                activities[members[i]] = i < results.Count ? run with { CheckResult = results[i], Detail = CheckText(results[i]) } : run;
                events.Add(new ActivityEvent(at, ActivityChange.Closed, members[i], activities[members[i]]));
            }
            return events;
        }
        var updated = Update(at, ActivityChange.Closed, completed.ScheduledEventId, run => Complete(run, at, completed.Result));
        if (activities.TryGetValue(completed.ScheduledEventId, out var prepare) && prepare.ActivityType == ActivityNames.PrepareWindow
            && Decode<PreparedWindow>(completed.Result) is { } prepared)
        {
            updated.Add(new WindowPrepared(at, prepared));
        }
        return updated;
    }

    private List<WindowEvent> Update(DateTimeOffset at, ActivityChange change, long scheduledEventId, Func<ActivityRun, ActivityRun> apply)
    {
        var keys = batches.TryGetValue(scheduledEventId, out var members) ? members : activities.ContainsKey(scheduledEventId) ? [scheduledEventId] : [];
        var events = new List<WindowEvent>();
        foreach (var key in keys)
        {
            activities[key] = apply(activities[key]);
            events.Add(new ActivityEvent(at, change, key, activities[key]));
        }
        return events;
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
                    Result = promoted,
                    Detail = promoted.Changed
                        ? $"{promoted.Alias}: {promoted.PreviousVersion} -> {promoted.NewVersion}{(promoted.PublishedVersion is null ? string.Empty : $" (published {promoted.PublishedVersion})")}"
                        : $"{promoted.Alias} already on {promoted.NewVersion}",
                };
            case ActivityNames.RestoreLambdaAlias when Decode<RestoreLambdaAliasResult>(result) is { } restored:
                return run with
                {
                    Result = restored,
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

    private List<WindowEvent> ChildInitiated(HistoryEvent e, DateTimeOffset at)
    {
        var attributes = e.StartChildWorkflowExecutionInitiatedEventAttributes;
        if (attributes.WorkflowType.Name != nameof(FleetRolloutWorkflow) || Decode<FleetRolloutInput>(attributes.Input) is not { } input)
        {
            return [];
        }
        rollouts[e.EventId] = (attributes.WorkflowId, input.Step, input.Mode, at);
        return [new RolloutStarted(at, attributes.WorkflowId, input.Step, input.Mode)];
    }

    private List<WindowEvent> ChildClosed(DateTimeOffset at, long initiatedEventId, FleetRolloutResult? result, string? failure) =>
        rollouts.TryGetValue(initiatedEventId, out var rollout)
            ? [new RolloutClosed(at, rollout.WorkflowId, rollout.Step, rollout.Mode, rollout.At, result, result is null ? failure ?? "no readable result" : null)]
            : [];

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

    private static IReadOnlyList<string> Strings(JsonElement? element, string name)
    {
        if (element is not { ValueKind: JsonValueKind.Object } obj)
        {
            return [];
        }
        foreach (var property in obj.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase) && property.Value.ValueKind == JsonValueKind.Array)
            {
                return property.Value.EnumerateArray().Where(v => v.ValueKind == JsonValueKind.String).Select(v => v.GetString()!).ToList();
            }
        }
        return [];
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

    private static string? NullIfEmpty(string? text) => string.IsNullOrWhiteSpace(text) ? null : text;
}
