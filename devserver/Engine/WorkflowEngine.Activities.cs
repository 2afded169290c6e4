using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using MaintenanceWorkflows.DevServer.Grpc;
using Temporalio.Api.Command.V1;
using Temporalio.Api.Common.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.Failure.V1;
using Temporalio.Api.History.V1;
using Temporalio.Api.WorkflowService.V1;

namespace MaintenanceWorkflows.DevServer.Engine;

public sealed partial class WorkflowEngine
{
    private ActivityState ScheduleActivity(WorkflowRun run, ScheduleActivityTaskCommandAttributes cmd, long completedEventId)
    {
        // Timeout normalisation as Temporal does it: schedule-to-close bounds the others,
        // and falls back to the workflow run timeout when only start-to-close is given.
        var scheduleToClose = FromDuration(cmd.ScheduleToCloseTimeout);
        var scheduleToStart = FromDuration(cmd.ScheduleToStartTimeout);
        var startToClose = FromDuration(cmd.StartToCloseTimeout);
        var heartbeat = FromDuration(cmd.HeartbeatTimeout);
        var runTimeout = FromDuration(run.Start.WorkflowRunTimeout);
        if (scheduleToClose > TimeSpan.Zero)
        {
            if (runTimeout > TimeSpan.Zero && scheduleToClose > runTimeout)
            {
                scheduleToClose = runTimeout;
            }
            scheduleToStart = scheduleToStart > TimeSpan.Zero && scheduleToStart < scheduleToClose ? scheduleToStart : scheduleToClose;
            startToClose = startToClose > TimeSpan.Zero && startToClose < scheduleToClose ? startToClose : scheduleToClose;
        }
        else
        {
            scheduleToClose = runTimeout;
        }
        if (heartbeat > startToClose)
        {
            heartbeat = startToClose;
        }
        var policy = cmd.RetryPolicy?.Clone() ?? new RetryPolicy();
        policy.InitialInterval ??= Duration.FromTimeSpan(TimeSpan.FromSeconds(1));
        if (policy.BackoffCoefficient < 1)
        {
            policy.BackoffCoefficient = 2.0;
        }
        policy.MaximumInterval ??= Duration.FromTimeSpan(policy.InitialInterval.ToTimeSpan() * 100);

        var evt = NewEvent(EventType.ActivityTaskScheduled);
        evt.ActivityTaskScheduledEventAttributes = new()
        {
            ActivityId = cmd.ActivityId,
            ActivityType = cmd.ActivityType,
            TaskQueue = string.IsNullOrEmpty(cmd.TaskQueue?.Name) ? run.Start.TaskQueue : cmd.TaskQueue,
            Header = cmd.Header,
            Input = cmd.Input,
            ScheduleToCloseTimeout = ToDuration(scheduleToClose),
            ScheduleToStartTimeout = ToDuration(scheduleToStart),
            StartToCloseTimeout = ToDuration(startToClose),
            HeartbeatTimeout = ToDuration(heartbeat),
            WorkflowTaskCompletedEventId = completedEventId,
            RetryPolicy = policy,
            Priority = cmd.Priority,
        };
        Append(run, evt);
        var activity = new ActivityState(evt.EventId, evt.ActivityTaskScheduledEventAttributes, evt.EventTime.ToDateTime());
        run.Activities[evt.EventId] = activity;
        if (scheduleToClose > TimeSpan.Zero)
        {
            activity.ScheduleToCloseTimer = Clock.Schedule(
                activity.FirstScheduledTime + scheduleToClose,
                () => OnActivityTimedOut(run, activity, activity.Attempt, TimeoutType.ScheduleToClose));
        }
        DispatchActivityAttempt(run, activity);
        return activity;
    }

    private void DispatchActivityAttempt(WorkflowRun run, ActivityState activity)
    {
        activity.InBackoff = false;
        var scheduleToStart = FromDuration(activity.Attributes.ScheduleToStartTimeout);
        if (scheduleToStart > TimeSpan.Zero)
        {
            var attempt = activity.Attempt;
            activity.ScheduleToStartTimer = Clock.Schedule(
                activity.AttemptScheduledTime + scheduleToStart,
                () => OnActivityTimedOut(run, activity, attempt, TimeoutType.ScheduleToStart));
        }
        Queue(run.Namespace, activity.Attributes.TaskQueue.Name, activity: true)
            .Enqueue(new ActivityTaskRef(run, activity, activity.Attempt));
    }

    public async Task<PollActivityTaskQueueResponse> PollActivityTaskAsync(PollActivityTaskQueueRequest req, CallContext ctx)
    {
        if (string.IsNullOrEmpty(req.TaskQueue?.Name))
        {
            throw GrpcException.InvalidArgument("task_queue.name is required");
        }
        using (Locked())
        {
            RequireNamespace(req.Namespace);
        }
        var response = await PollAsync(
            req.Namespace, req.TaskQueue.Name, activity: true, ctx,
            task => TryStartActivity((ActivityTaskRef)task, req.Identity, ctx));
        return response ?? new PollActivityTaskQueueResponse();
    }

    private PollActivityTaskQueueResponse? TryStartActivity(ActivityTaskRef taskRef, string identity, CallContext ctx)
    {
        var (run, activity, attempt) = (taskRef.Run, taskRef.Activity, taskRef.Attempt);
        if (!run.IsRunning || !run.Activities.TryGetValue(activity.ScheduledEventId, out var current) ||
            current != activity || activity.Attempt != attempt || activity.Started || activity.InBackoff || activity.Paused)
        {
            return null;
        }
        StartActivity(run, activity, identity);
        var attrs = activity.Attributes;
        var response = new PollActivityTaskQueueResponse
        {
            TaskToken = TaskToken.ForActivity(run, activity.ScheduledEventId, attempt),
            WorkflowNamespace = run.Namespace,
            WorkflowType = run.Start.WorkflowType,
            WorkflowExecution = run.Execution,
            ActivityType = attrs.ActivityType,
            ActivityId = attrs.ActivityId,
            Header = attrs.Header,
            Input = attrs.Input,
            HeartbeatDetails = activity.HeartbeatDetails,
            ScheduledTime = Timestamp.FromDateTime(activity.FirstScheduledTime),
            CurrentAttemptScheduledTime = Timestamp.FromDateTime(activity.AttemptScheduledTime),
            StartedTime = activity.StartedEvent!.EventTime,
            Attempt = attempt,
            ScheduleToCloseTimeout = attrs.ScheduleToCloseTimeout,
            StartToCloseTimeout = attrs.StartToCloseTimeout,
            HeartbeatTimeout = attrs.HeartbeatTimeout,
            RetryPolicy = attrs.RetryPolicy,
            Priority = attrs.Priority,
        };
        Commit(run);
        var startedEvent = activity.StartedEvent;
        ctx.OnUndelivered(() =>
        {
            using (Locked())
            {
                if (!run.IsRunning || activity.StartedEvent != startedEvent || activity.Attempt != attempt)
                {
                    return;
                }
                activity.StartedEvent = null;
                activity.StartedTime = null;
                activity.CancelAttemptTimers();
                DispatchActivityAttempt(run, activity);
                Commit(run);
            }
        });
        return response;
    }

    private void StartActivity(WorkflowRun run, ActivityState activity, string identity)
    {
        var now = Clock.UtcNow;
        var started = NewEvent(EventType.ActivityTaskStarted);
        started.EventTime = Timestamp.FromDateTime(now);
        started.ActivityTaskStartedEventAttributes = new()
        {
            ScheduledEventId = activity.ScheduledEventId,
            Identity = identity,
            RequestId = Guid.NewGuid().ToString(),
            Attempt = activity.Attempt,
            LastFailure = activity.LastFailure,
        };
        activity.StartedEvent = started;
        activity.StartedTime = now;
        activity.Identity = identity;
        activity.LastHeartbeatTime = null;
        activity.ScheduleToStartTimer?.Cancel();
        var attempt = activity.Attempt;
        var startToClose = FromDuration(activity.Attributes.StartToCloseTimeout);
        if (startToClose > TimeSpan.Zero)
        {
            activity.StartToCloseTimer = Clock.Schedule(
                now + startToClose, () => OnActivityTimedOut(run, activity, attempt, TimeoutType.StartToClose));
        }
        ArmHeartbeatTimer(run, activity, now);
    }

    private void ArmHeartbeatTimer(WorkflowRun run, ActivityState activity, DateTime from)
    {
        activity.HeartbeatTimer?.Cancel();
        var heartbeat = FromDuration(activity.Attributes.HeartbeatTimeout);
        if (heartbeat > TimeSpan.Zero)
        {
            var attempt = activity.Attempt;
            activity.HeartbeatTimer = Clock.Schedule(
                from + heartbeat, () => OnActivityTimedOut(run, activity, attempt, TimeoutType.Heartbeat));
        }
    }

    private (WorkflowRun Run, ActivityState Activity) RequireStartedActivity(string ns, ByteString token)
    {
        var (runId, scheduledEventId, attempt) = TaskToken.DecodeTask(token, "A");
        if (runsById.TryGetValue(runId, out var run) && run.Namespace == ns && run.IsRunning &&
            run.Activities.TryGetValue(scheduledEventId, out var activity) && activity.Attempt == attempt &&
            activity.Started)
        {
            return (run, activity);
        }
        throw GrpcException.NotFound("activity task not found: it completed, timed out, was retried, or its workflow closed");
    }

    private (WorkflowRun Run, ActivityState Activity) RequireActivityById(
        string ns, string workflowId, string runId, string activityId, string identity)
    {
        var run = FindRun(ns, new WorkflowExecution { WorkflowId = workflowId, RunId = runId });
        RequireRunning(run);
        var activity = run.Activities.Values.FirstOrDefault(a => a.ActivityId == activityId)
            ?? throw GrpcException.NotFound($"no pending activity with id '{activityId}' in workflow '{workflowId}'");
        if (!activity.Started)
        {
            if (activity.InBackoff)
            {
                activity.RetryTimer?.Cancel();
            }
            StartActivity(run, activity, identity);
        }
        return (run, activity);
    }

    public RecordActivityTaskHeartbeatResponse Heartbeat(RecordActivityTaskHeartbeatRequest req)
    {
        using (Locked())
        {
            RequireNamespace(req.Namespace);
            var (run, activity) = RequireStartedActivity(req.Namespace, req.TaskToken);
            return RecordHeartbeat(run, activity, req.Details);
        }
    }

    public RecordActivityTaskHeartbeatByIdResponse HeartbeatById(RecordActivityTaskHeartbeatByIdRequest req)
    {
        using (Locked())
        {
            var (run, activity) = RequireActivityById(req.Namespace, req.WorkflowId, req.RunId, req.ActivityId, req.Identity);
            var response = RecordHeartbeat(run, activity, req.Details);
            return new RecordActivityTaskHeartbeatByIdResponse { CancelRequested = response.CancelRequested };
        }
    }

    private RecordActivityTaskHeartbeatResponse RecordHeartbeat(WorkflowRun run, ActivityState activity, Payloads? details)
    {
        var now = Clock.UtcNow;
        if (details != null)
        {
            activity.HeartbeatDetails = details;
        }
        activity.LastHeartbeatTime = now;
        ArmHeartbeatTimer(run, activity, now);
        Commit(run);
        return new RecordActivityTaskHeartbeatResponse
        {
            CancelRequested = activity.CancelRequested,
            ActivityPaused = activity.Paused,
            ActivityReset = activity.ResetRequested,
        };
    }

    public void CompleteActivity(RespondActivityTaskCompletedRequest req)
    {
        using (Locked())
        {
            RequireNamespace(req.Namespace);
            var (run, activity) = RequireStartedActivity(req.Namespace, req.TaskToken);
            CompleteActivity(run, activity, req.Result, req.Identity);
        }
    }

    public void CompleteActivityById(RespondActivityTaskCompletedByIdRequest req)
    {
        using (Locked())
        {
            var (run, activity) = RequireActivityById(req.Namespace, req.WorkflowId, req.RunId, req.ActivityId, req.Identity);
            CompleteActivity(run, activity, req.Result, req.Identity);
        }
    }

    private void CompleteActivity(WorkflowRun run, ActivityState activity, Payloads? result, string identity)
    {
        if (result != null && result.CalculateSize() > Limits.BlobSizeError)
        {
            // Temporal records an oversized result as a non-retryable failure: the workflow could never read it.
            FailActivity(
                run,
                activity,
                new Failure { Message = "Complete result exceeds size limit.", Source = "Server", ServerFailureInfo = new() { NonRetryable = true } },
                lastHeartbeat: null,
                identity);
            return;
        }
        WarnIfLarge("RespondActivityTaskCompleted.Result", result?.CalculateSize() ?? 0);
        var evt = NewEvent(EventType.ActivityTaskCompleted);
        evt.ActivityTaskCompletedEventAttributes = new()
        {
            Result = result,
            ScheduledEventId = activity.ScheduledEventId,
            StartedEventId = StartedEventJustBefore,
            Identity = identity,
        };
        CloseActivity(run, activity, evt);
        Commit(run);
    }

    public void FailActivity(RespondActivityTaskFailedRequest req)
    {
        using (Locked())
        {
            RequireNamespace(req.Namespace);
            var (run, activity) = RequireStartedActivity(req.Namespace, req.TaskToken);
            FailActivity(run, activity, req.Failure, req.LastHeartbeatDetails, req.Identity);
        }
    }

    public void FailActivityById(RespondActivityTaskFailedByIdRequest req)
    {
        using (Locked())
        {
            var (run, activity) = RequireActivityById(req.Namespace, req.WorkflowId, req.RunId, req.ActivityId, req.Identity);
            FailActivity(run, activity, req.Failure, req.LastHeartbeatDetails, req.Identity);
        }
    }

    private void FailActivity(WorkflowRun run, ActivityState activity, Failure? failure, Payloads? lastHeartbeat, string identity)
    {
        failure ??= new Failure { Message = "activity failed without a failure" };
        if (lastHeartbeat != null)
        {
            activity.HeartbeatDetails = lastHeartbeat;
        }
        var (retry, delay, retryState) = RetryDecision(activity, failure);
        if (retry && RetryPausedOrReset(run, activity, failure))
        {
            Commit(run);
            return;
        }
        if (retry)
        {
            ScheduleRetry(run, activity, failure, delay);
        }
        else
        {
            var evt = NewEvent(EventType.ActivityTaskFailed);
            evt.ActivityTaskFailedEventAttributes = new()
            {
                Failure = failure,
                ScheduledEventId = activity.ScheduledEventId,
                StartedEventId = StartedEventJustBefore,
                Identity = identity,
                RetryState = retryState,
            };
            CloseActivity(run, activity, evt);
        }
        Commit(run);
    }

    public void CancelActivity(RespondActivityTaskCanceledRequest req)
    {
        using (Locked())
        {
            RequireNamespace(req.Namespace);
            var (run, activity) = RequireStartedActivity(req.Namespace, req.TaskToken);
            CanceledActivity(run, activity, req.Details, req.Identity);
        }
    }

    public void CancelActivityById(RespondActivityTaskCanceledByIdRequest req)
    {
        using (Locked())
        {
            var (run, activity) = RequireActivityById(req.Namespace, req.WorkflowId, req.RunId, req.ActivityId, req.Identity);
            CanceledActivity(run, activity, req.Details, req.Identity);
        }
    }

    private void CanceledActivity(WorkflowRun run, ActivityState activity, Payloads? details, string identity)
    {
        if (!activity.CancelRequested && (activity.Paused || activity.ResetRequested))
        {
            // Cancelled by its worker because of a pause or reset, not by the workflow: an attempt that ended.
            var reason = activity.ResetRequested ? "activity reset" : "activity paused";
            FailActivity(run, activity, new Failure { Message = reason, CanceledFailureInfo = new() { Details = details } }, lastHeartbeat: null, identity);
            return;
        }
        var evt = NewEvent(EventType.ActivityTaskCanceled);
        evt.ActivityTaskCanceledEventAttributes = new()
        {
            Details = details,
            LatestCancelRequestedEventId = activity.CancelRequestedEventId,
            ScheduledEventId = activity.ScheduledEventId,
            StartedEventId = StartedEventJustBefore,
            Identity = identity,
        };
        CloseActivity(run, activity, evt);
        Commit(run);
    }

    /// <summary>Writes an activity's outcome: its started event (if it started) then the close event.</summary>
    private void CloseActivity(WorkflowRun run, ActivityState activity, HistoryEvent closeEvent)
    {
        activity.CancelAllTimers();
        run.Activities.Remove(activity.ScheduledEventId);
        if (activity.StartedEvent != null)
        {
            AddExternalEvents(run, activity.StartedEvent, closeEvent);
        }
        else
        {
            ClearStartedLink(closeEvent);
            AddExternalEvents(run, closeEvent);
        }
    }

    private static void ClearStartedLink(HistoryEvent evt)
    {
        if (evt.ActivityTaskTimedOutEventAttributes != null)
        {
            evt.ActivityTaskTimedOutEventAttributes.StartedEventId = 0;
        }
        if (evt.ActivityTaskCanceledEventAttributes != null)
        {
            evt.ActivityTaskCanceledEventAttributes.StartedEventId = 0;
        }
    }

    private (bool Retry, TimeSpan Delay, RetryState State) RetryDecision(ActivityState activity, Failure failure)
    {
        var policy = activity.Attributes.RetryPolicy;
        var app = failure.ApplicationFailureInfo;
        if (activity.CancelRequested)
        {
            // As in Temporal: the workflow asked the activity to stop, so an attempt that ends (fails or times out)
            // is its last; a retry would run the work the workflow just cancelled.
            return (false, TimeSpan.Zero, RetryState.CancelRequested);
        }
        if ((app != null && (app.NonRetryable || policy.NonRetryableErrorTypes.Contains(app.Type))) ||
            failure.ServerFailureInfo is { NonRetryable: true })
        {
            return (false, TimeSpan.Zero, RetryState.NonRetryableFailure);
        }
        if (policy.MaximumAttempts > 0 && activity.Attempt >= policy.MaximumAttempts)
        {
            return (false, TimeSpan.Zero, RetryState.MaximumAttemptsReached);
        }
        TimeSpan delay;
        if (app?.NextRetryDelay != null)
        {
            delay = app.NextRetryDelay.ToTimeSpan();
        }
        else
        {
            var initial = policy.InitialInterval.ToTimeSpan();
            delay = initial * Math.Pow(policy.BackoffCoefficient, activity.Attempt - 1);
            var max = FromDuration(policy.MaximumInterval);
            if (max > TimeSpan.Zero && delay > max)
            {
                delay = max;
            }
        }
        var scheduleToClose = FromDuration(activity.Attributes.ScheduleToCloseTimeout);
        if (scheduleToClose > TimeSpan.Zero && Clock.UtcNow + delay >= activity.FirstScheduledTime + scheduleToClose)
        {
            return (false, TimeSpan.Zero, RetryState.Timeout);
        }
        return (true, delay, RetryState.InProgress);
    }

    /// <summary>A retry writes no events: the next attempt's poll carries attempt+1, last failure and heartbeat details.</summary>
    private void ScheduleRetry(WorkflowRun run, ActivityState activity, Failure failure, TimeSpan delay)
    {
        activity.CancelAttemptTimers();
        activity.LastFailure = failure;
        activity.StartedEvent = null;
        activity.StartedTime = null;
        activity.Attempt++;
        activity.InBackoff = true;
        activity.RetryAt = Clock.UtcNow + delay;
        ArmRetryTimer(run, activity);
    }

    private void ArmRetryTimer(WorkflowRun run, ActivityState activity)
    {
        activity.RetryTimer = Clock.Schedule(activity.RetryAt!.Value, () =>
        {
            using (Locked())
            {
                if (!run.IsRunning || !run.Activities.ContainsKey(activity.ScheduledEventId) || !activity.InBackoff)
                {
                    return;
                }
                activity.RetryAt = null;
                activity.AttemptScheduledTime = Clock.UtcNow;
                DispatchActivityAttempt(run, activity);
                Commit(run);
            }
        });
    }

    private void OnActivityTimedOut(WorkflowRun run, ActivityState activity, int attempt, TimeoutType type)
    {
        using (Locked())
        {
            if (!run.IsRunning || !run.Activities.TryGetValue(activity.ScheduledEventId, out var current) ||
                current != activity || (type != TimeoutType.ScheduleToClose && activity.Attempt != attempt))
            {
                return;
            }
            if (type is TimeoutType.StartToClose or TimeoutType.Heartbeat && !activity.Started)
            {
                return;
            }
            var failure = new Failure
            {
                Message = $"activity {TimeoutName(type)} timeout",
                TimeoutFailureInfo = new() { TimeoutType = type, LastHeartbeatDetails = activity.HeartbeatDetails },
            };
            var (retry, delay, retryState) = type is TimeoutType.StartToClose or TimeoutType.Heartbeat
                ? RetryDecision(activity, failure)
                : (false, TimeSpan.Zero, type == TimeoutType.ScheduleToClose ? RetryState.Timeout : RetryState.NonRetryableFailure);
            if (retry && RetryPausedOrReset(run, activity, failure))
            {
                Commit(run);
                return;
            }
            if (retry)
            {
                ScheduleRetry(run, activity, failure, delay);
            }
            else
            {
                if (activity.LastFailure != null && type == TimeoutType.ScheduleToClose)
                {
                    failure.Cause = activity.LastFailure;
                }
                var evt = NewEvent(EventType.ActivityTaskTimedOut);
                evt.ActivityTaskTimedOutEventAttributes = new()
                {
                    Failure = failure,
                    ScheduledEventId = activity.ScheduledEventId,
                    StartedEventId = StartedEventJustBefore,
                    RetryState = retryState,
                };
                CloseActivity(run, activity, evt);
            }
            Commit(run);
        }
    }

    private static string TimeoutName(TimeoutType type) => type switch
    {
        TimeoutType.StartToClose => "StartToClose",
        TimeoutType.ScheduleToStart => "ScheduleToStart",
        TimeoutType.ScheduleToClose => "ScheduleToClose",
        TimeoutType.Heartbeat => "Heartbeat",
        _ => type.ToString(),
    };

    /// <summary>
    /// RequestCancelActivityTask: an activity not running now (queued or in backoff) is canceled at
    /// once; a running one learns of it from its next heartbeat reply. Returns true when the
    /// workflow needs a new task to see the outcome.
    /// </summary>
    private bool RequestCancelActivity(WorkflowRun run, long scheduledEventId, long completedEventId)
    {
        var activity = run.Activities[scheduledEventId];
        var requested = NewEvent(EventType.ActivityTaskCancelRequested);
        requested.ActivityTaskCancelRequestedEventAttributes = new()
        {
            ScheduledEventId = scheduledEventId,
            WorkflowTaskCompletedEventId = completedEventId,
        };
        Append(run, requested);
        activity.CancelRequested = true;
        activity.CancelRequestedEventId = requested.EventId;
        if (activity.Started)
        {
            return false;
        }
        activity.CancelAllTimers();
        run.Activities.Remove(scheduledEventId);
        var canceled = NewEvent(EventType.ActivityTaskCanceled);
        canceled.ActivityTaskCanceledEventAttributes = new()
        {
            LatestCancelRequestedEventId = requested.EventId,
            ScheduledEventId = scheduledEventId,
        };
        Append(run, canceled);
        return true;
    }
}
