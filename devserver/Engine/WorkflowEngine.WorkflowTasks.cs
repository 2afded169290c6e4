using Google.Protobuf.WellKnownTypes;
using MaintenanceWorkflows.DevServer.Grpc;
using Microsoft.Extensions.Logging;
using Temporalio.Api.Command.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.Failure.V1;
using Temporalio.Api.History.V1;
using Temporalio.Api.Query.V1;
using Temporalio.Api.TaskQueue.V1;
using Temporalio.Api.WorkflowService.V1;
using Temporalio.Exceptions;

namespace MaintenanceWorkflows.DevServer.Engine;

public sealed partial class WorkflowEngine
{
    /// <summary>Temporal's default for activities handed back on one workflow task completion.</summary>
    private const int MaxEagerActivities = 10;

    /// <summary>Activities the completion being applied asked to run eagerly.</summary>
    private readonly List<ActivityState> eagerActivities = [];

    /// <summary>
    /// Schedules the run's next workflow task. Only a normal first attempt is written to history now;
    /// a retry (transient) or an update-only (speculative) task is written when it completes, so a
    /// workflow task that keeps failing, or that only rejects updates, does not grow history.
    /// </summary>
    private void ScheduleWorkflowTask(WorkflowRun run, int attempt, bool speculative = false)
    {
        var sticky = run.StickyQueue;
        var evt = NewEvent(EventType.WorkflowTaskScheduled);
        evt.EventTime = Timestamp.FromDateTime(Clock.UtcNow);
        evt.WorkflowTaskScheduledEventAttributes = new()
        {
            // As in Temporal, the event names the queue the task is meant for: the sticky one when set.
            TaskQueue = sticky == null
                ? run.Start.TaskQueue
                : new TaskQueue { Name = sticky, Kind = TaskQueueKind.Sticky, NormalName = run.Start.TaskQueue.Name },
            StartToCloseTimeout = run.Start.WorkflowTaskTimeout,
            Attempt = attempt,
        };
        var inHistory = attempt == 1 && !speculative;
        if (inHistory)
        {
            Append(run, evt);
        }
        var task = new WorkflowTaskState(evt, attempt, ++run.WorkflowTaskSequence, inHistory, speculative, run.History.Count)
        {
            DispatchQueue = run.Start.TaskQueue.Name,
        };
        run.WorkflowTask = task;
        var queued = new WorkflowTaskRef(run, task);
        if (sticky != null)
        {
            // Like Temporal's matching service, a sticky queue nobody polls lately is passed over for
            // the normal queue at once; the run stays sticky until the task starts there.
            if (Queue(run.Namespace, sticky, activity: false).HasRecentPoller)
            {
                task.DispatchQueue = sticky;
            }
            ArmStickyTimeout(run, task, run.StickyScheduleToStartTimeout);
        }
        var backoff = WorkflowTaskRetryBackoff(attempt);
        if (backoff == TimeSpan.Zero)
        {
            Queue(run.Namespace, task.DispatchQueue, activity: false).Enqueue(queued);
            return;
        }
        // A task that keeps failing is offered again after a growing pause instead of at once, so a
        // workflow the server cannot accept does not spin the worker (and fill the log) many times a second.
        task.AvailableAt = task.ScheduledTime + backoff;
        task.Backoff = Clock.After(backoff, () =>
        {
            using (Locked())
            {
                if (run.IsRunning && run.WorkflowTask == task)
                {
                    Queue(run.Namespace, task.DispatchQueue, activity: false).Enqueue(queued);
                }
            }
        });
    }

    private void ArmStickyTimeout(WorkflowRun run, WorkflowTaskState task, TimeSpan timeout)
    {
        // Hold time first, so time skipping cannot jump to this deadline before the run's hold is in place.
        Clock.SetHold(run, true);
        task.StickyTimeout = Clock.After(timeout, () => OnStickyScheduleToStartTimeout(run, task));
    }

    /// <summary>
    /// Nobody took the task from the sticky queue in time: as Temporal does, the task times out
    /// (schedule-to-start, without counting as a failed attempt), stickiness is dropped, and a new
    /// task goes to the normal queue, where any worker gets the full history.
    /// </summary>
    private void OnStickyScheduleToStartTimeout(WorkflowRun run, WorkflowTaskState task)
    {
        using (Locked())
        {
            if (!run.IsRunning || run.WorkflowTask != task || task.StartedEvent != null)
            {
                return;
            }
            logger.LogDebug(
                "Workflow task of {WorkflowId}/{RunId} not taken from sticky queue {Queue} in time; back to the normal queue",
                run.WorkflowId, run.RunId, task.DispatchQueue);
            task.Backoff?.Cancel();
            if (!task.InHistory)
            {
                Append(run, task.ScheduledEvent);
            }
            var timedOut = NewEvent(EventType.WorkflowTaskTimedOut);
            timedOut.WorkflowTaskTimedOutEventAttributes = new()
            {
                ScheduledEventId = task.ScheduledEventId,
                TimeoutType = TimeoutType.ScheduleToStart,
            };
            Append(run, timedOut);
            run.StickyQueue = null;
            run.WorkflowTask = null;
            FlushBuffered(run);
            ScheduleWorkflowTask(run, 1);
            Commit(run);
        }
    }

    /// <summary>
    /// A failed or timed-out task on a sticky run drops stickiness and, as in Temporal, the next task
    /// is a normal first attempt (with full history) rather than a transient retry.
    /// </summary>
    private static int AttemptAfterFailure(WorkflowRun run, int nextAttempt)
    {
        if (run.StickyQueue == null)
        {
            return nextAttempt;
        }
        run.StickyQueue = null;
        return 1;
    }

    /// <summary>The first two attempts run at once; from the third the pause doubles from 1 s up to 10 min.</summary>
    public static TimeSpan WorkflowTaskRetryBackoff(int attempt) =>
        attempt < 3 ? TimeSpan.Zero : TimeSpan.FromSeconds(Math.Min(600, Math.Pow(2, Math.Min(attempt - 3, 10))));

    public async Task<PollWorkflowTaskQueueResponse> PollWorkflowTaskAsync(PollWorkflowTaskQueueRequest req, CallContext ctx)
    {
        if (string.IsNullOrEmpty(req.TaskQueue?.Name))
        {
            throw GrpcException.InvalidArgument("task_queue.name is required");
        }
        using (Locked())
        {
            RequireNamespace(req.Namespace);
        }
        var sticky = req.TaskQueue.Kind == TaskQueueKind.Sticky;
        var response = await PollAsync(
            req.Namespace, req.TaskQueue.Name, activity: false, ctx,
            task => TryStartWorkflowTask(task, req.Identity, ctx, sticky ? req.TaskQueue.Name : null));
        return response ?? new PollWorkflowTaskQueueResponse();
    }

    /// <summary>Long poll: take the first valid task, or park until one arrives or the wait ends.</summary>
    private async Task<T?> PollAsync<T>(string ns, string queueName, bool activity, CallContext ctx, Func<QueuedTask, T?> tryStart)
        where T : class
    {
        var deadline = DateTime.UtcNow + ctx.LongPollWait;
        while (true)
        {
            LinkedListNode<TaskCompletionSource> parked;
            TaskQueueState queue;
            int generation;
            using (Locked())
            {
                queue = Queue(ns, queueName, activity);
                var returning = !queue.Attended;
                queue.Polled();
                if (returning && waitingForWorkers.Count > 0)
                {
                    // A worker is back: runs whose work waits in this queue hold time again before any skip.
                    foreach (var waiting in waitingForWorkers.ToList())
                    {
                        Clock.SetHold(waiting, HoldsTime(waiting));
                    }
                }
                generation = queue.Generation;
                while (queue.TryDequeue(out var task))
                {
                    var started = tryStart(task);
                    if (started != null)
                    {
                        return started;
                    }
                }
                parked = queue.Park();
            }
            var remaining = deadline - DateTime.UtcNow;
            var woken = remaining > TimeSpan.Zero &&
                await WaitQuietlyAsync(parked.Value.Task.WaitAsync(remaining, ctx.CancellationToken));
            if (!woken || queue.Generation != generation)
            {
                using (Locked())
                {
                    queue.Unpark(parked);
                }
                ctx.CancellationToken.ThrowIfCancellationRequested();
                return null;
            }
        }
    }

    private static async Task<bool> WaitQuietlyAsync(Task task)
    {
        try
        {
            await task;
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <param name="stickyQueue">The sticky queue the poll came from; null for the normal queue.</param>
    private PollWorkflowTaskQueueResponse? TryStartWorkflowTask(QueuedTask queued, string identity, CallContext ctx, string? stickyQueue)
    {
        var run = queued.Run;
        if (queued is QueryTaskRef queryRef)
        {
            return TryStartLegacyQuery(queryRef, ctx);
        }
        if (queued is not WorkflowTaskRef taskRef || !run.IsRunning || run.WorkflowTask is not { } task ||
            task != taskRef.Task || task.StartedEvent != null)
        {
            return null;
        }
        if (stickyQueue != null && run.StickyQueue != stickyQueue)
        {
            // Stale: the run moved to the normal queue (reset, failure) after this was queued. As in
            // Temporal the sticky poll does not get it; the task's schedule-to-start timeout moves it.
            return null;
        }
        if (stickyQueue == null && run.StickyQueue != null)
        {
            // Started from the normal queue (its sticky worker was gone): this worker has no cached
            // state, so stickiness ends here and the history sent is the full one.
            run.StickyQueue = null;
        }
        task.StickyTimeout?.Cancel();
        var now = Clock.UtcNow;
        if (!task.InHistory)
        {
            // Numbered as if appended now; nothing else is appended while the task is started.
            task.ScheduledEvent.EventId = run.NextEventId;
        }
        var started = NewEvent(EventType.WorkflowTaskStarted);
        started.EventId = task.InHistory ? run.NextEventId : task.ScheduledEventId + 1;
        started.EventTime = Timestamp.FromDateTime(now);
        // As in Temporal: the size is history so far, the count includes this started event.
        var historySize = run.HistorySizeBytes + (task.InHistory ? 0 : task.ScheduledEvent.CalculateSize());
        started.WorkflowTaskStartedEventAttributes = new()
        {
            ScheduledEventId = task.ScheduledEventId,
            Identity = identity,
            RequestId = Guid.NewGuid().ToString(),
            HistorySizeBytes = historySize,
            SuggestContinueAsNew = historySize >= Limits.HistorySizeSuggestContinueAsNew ||
                started.EventId >= Limits.HistoryCountSuggestContinueAsNew,
        };
        task.StartedEvent = started;
        task.Timeout = Clock.After(
            FromDuration(run.Start.WorkflowTaskTimeout),
            () => OnWorkflowTaskTimedOut(run, task));
        // Queries already out as legacy query tasks stay there; the rest ride on this task.
        task.DeliveredQueries.AddRange(run.Queries.Where(q => !q.Legacy));
        run.Queries.RemoveAll(q => !q.Legacy);

        var response = new PollWorkflowTaskQueueResponse
        {
            TaskToken = TaskToken.ForWorkflowTask(run, task),
            WorkflowExecution = run.Execution,
            WorkflowType = run.Start.WorkflowType,
            PreviousStartedEventId = run.LastCompletedWorkflowTaskStartedId,
            StartedEventId = started.EventId,
            Attempt = task.Attempt,
            History = new(),
            WorkflowExecutionTaskQueue = run.Start.TaskQueue,
            ScheduledTime = Timestamp.FromDateTime(task.ScheduledTime),
            StartedTime = started.EventTime,
        };
        // A sticky worker has the run cached up to its last completed task: it gets only what came after.
        var first = run.StickyQueue != null ? (int)run.LastCompletedWorkflowTaskStartedId : 0;
        response.History.Events.AddRange(first == 0 ? run.History : run.History.GetRange(first, run.History.Count - first));
        if (!task.InHistory)
        {
            response.History.Events.Add(task.ScheduledEvent);
        }
        response.History.Events.Add(started);
        foreach (var query in task.DeliveredQueries)
        {
            response.Queries[query.Id] = query.Query;
        }
        DeliverUpdates(run, task, response);
        Commit(run);
        ctx.OnUndelivered(() =>
        {
            using (Locked())
            {
                if (run.WorkflowTask != task || task.StartedEvent != started)
                {
                    return;
                }
                task.StartedEvent = null;
                task.Timeout?.Cancel();
                run.Queries.InsertRange(0, task.DeliveredQueries);
                task.DeliveredQueries.Clear();
                ReturnDeliveredUpdates(task);
                if (task.DispatchQueue != run.Start.TaskQueue.Name)
                {
                    ArmStickyTimeout(run, task, run.StickyScheduleToStartTimeout);
                }
                Queue(run.Namespace, task.DispatchQueue, activity: false).Enqueue(taskRef);
                Commit(run);
            }
        });
        return response;
    }

    private (WorkflowRun Run, WorkflowTaskState Task) RequireStartedWorkflowTask(string ns, Google.Protobuf.ByteString token)
    {
        var (runId, sequence, attempt) = TaskToken.DecodeTask(token, "W");
        if (runsById.TryGetValue(runId, out var run) && run.Namespace == ns && run.IsRunning &&
            run.WorkflowTask is { StartedEvent: not null } task && task.Sequence == sequence &&
            task.Attempt == attempt)
        {
            return (run, task);
        }
        throw GrpcException.NotFound("Workflow task not found: it completed, timed out, or its workflow closed");
    }

    public Task<RespondWorkflowTaskCompletedResponse> CompleteWorkflowTaskAsync(RespondWorkflowTaskCompletedRequest req, CallContext ctx) =>
        Task.FromResult(CompleteWorkflowTask(req, ctx));

    /// <summary>
    /// Applies a completion. Activities the worker asked to run eagerly (on the workflow's own task queue)
    /// are started at once and handed back in the response, as Temporal does: the worker skips a poll.
    /// </summary>
    public RespondWorkflowTaskCompletedResponse CompleteWorkflowTask(RespondWorkflowTaskCompletedRequest req, CallContext? ctx = null)
    {
        using (Locked())
        {
            eagerActivities.Clear();
            RequireNamespace(req.Namespace);
            var sticky = ValidateStickyAttributes(req.StickyAttributes);
            var (run, task) = RequireStartedWorkflowTask(req.Namespace, req.TaskToken);
            var commands = req.Commands;
            var problem = ValidateCommands(run, commands, out var cause)
                ?? ValidateUpdateMessages(run, commands, req.Messages, out cause);
            if (problem == null && commands.Any(c => IsCloseCommand(c.CommandType)))
            {
                if (run.Buffered.Count > 0)
                {
                    problem = "the workflow tried to close while new events were waiting; it gets a new workflow task with them";
                    cause = WorkflowTaskFailedCause.UnhandledCommand;
                }
                else if (run.Updates.Values.Any(u => u.Stage == UpdateWorkflowExecutionLifecycleStage.Admitted && u.DeliveredOn == null))
                {
                    problem = "the workflow tried to close while updates were waiting; it gets a new workflow task with them";
                    cause = WorkflowTaskFailedCause.UnhandledUpdate;
                }
            }
            AnswerDeliveredQueries(run, task, req.QueryResults);
            if (problem == null)
            {
                // As in Temporal: a completion with sticky attributes makes the run sticky, one without ends it.
                run.StickyQueue = sticky.Queue;
                run.StickyScheduleToStartTimeout = sticky.Timeout;
            }
            if (problem == null && OversizedCommand(commands) is var (sizeCause, sizeProblem))
            {
                TerminateForOversizedCommand(run, task, sizeCause, sizeProblem, req.Identity);
                Commit(run);
                return new RespondWorkflowTaskCompletedResponse();
            }
            if (problem != null)
            {
                logger.LogWarning(
                    "Workflow task of {WorkflowId}/{RunId} rejected ({Cause}): {Problem}", run.WorkflowId, run.RunId, cause, problem);
                FailWorkflowTask(run, task, cause, new Failure { Message = problem }, req.Identity, WorkflowTaskAttemptAfter(task, cause));
                Commit(run);
                throw GrpcException.InvalidArgument(problem);
            }

            if (IsDiscardable(run, task, req))
            {
                // Only update rejections: the task leaves no trace, and the worker rolls back to its last completed task.
                ApplyCompletion(run, task, commands, req.Messages, completedEventId: 0);
                task.Timeout?.Cancel();
                run.WorkflowTask = null;
                ScheduleTaskForWaitingUpdates(run);
                DispatchLegacyQueries(run);
                Commit(run);
                return new RespondWorkflowTaskCompletedResponse { ResetHistoryEventId = run.LastCompletedWorkflowTaskStartedId };
            }

            var startedEvent = AppendStartedTask(run, task);
            var completed = NewEvent(EventType.WorkflowTaskCompleted);
            completed.WorkflowTaskCompletedEventAttributes = new()
            {
                ScheduledEventId = task.ScheduledEventId,
                StartedEventId = startedEvent.EventId,
                Identity = req.Identity,
                SdkMetadata = req.SdkMetadata,
                MeteringMetadata = req.MeteringMetadata,
            };
            Append(run, completed);
            task.Timeout?.Cancel();
            run.WorkflowTask = null;
            run.LastCompletedWorkflowTaskStartedId = startedEvent.EventId;

            var needsNewTask = ApplyCompletion(run, task, commands, req.Messages, completed.EventId);
            if (run.IsRunning)
            {
                needsNewTask |= FlushBuffered(run) > 0 || req.ForceCreateNewWorkflowTask;
            }
            RunAfterCommands();
            if (run.IsRunning)
            {
                if (needsNewTask && run.WorkflowTask == null)
                {
                    ScheduleWorkflowTask(run, 1);
                }
                else
                {
                    ScheduleTaskForWaitingUpdates(run);
                }
                DispatchLegacyQueries(run);
            }
            var response = new RespondWorkflowTaskCompletedResponse();
            if (ctx != null && run.IsRunning)
            {
                foreach (var activity in eagerActivities.Take(MaxEagerActivities))
                {
                    if (TryStartActivity(new ActivityTaskRef(run, activity, activity.Attempt), req.Identity, ctx) is { } started)
                    {
                        response.ActivityTasks.Add(started);
                    }
                }
            }
            eagerActivities.Clear();
            Commit(run);
            return response;
        }
    }

    /// <summary>Appends a started task's scheduled event (if it was kept out of history) and its started event.</summary>
    private HistoryEvent AppendStartedTask(WorkflowRun run, WorkflowTaskState task)
    {
        if (!task.InHistory)
        {
            Append(run, task.ScheduledEvent);
        }
        return Append(run, task.StartedEvent!);
    }

    public RespondWorkflowTaskFailedResponse FailWorkflowTask(RespondWorkflowTaskFailedRequest req)
    {
        using (Locked())
        {
            RequireNamespace(req.Namespace);
            var (run, task) = RequireStartedWorkflowTask(req.Namespace, req.TaskToken);
            FailWorkflowTask(run, task, req.Cause, req.Failure, req.Identity, WorkflowTaskAttemptAfter(task, req.Cause));
            Commit(run);
            return new RespondWorkflowTaskFailedResponse();
        }
    }

    /// <summary>A failure the worker caused counts as another attempt; one the server caused starts over.</summary>
    private static int WorkflowTaskAttemptAfter(WorkflowTaskState task, WorkflowTaskFailedCause cause) =>
        cause is WorkflowTaskFailedCause.UnhandledCommand or WorkflowTaskFailedCause.UnhandledUpdate ? 1 : task.Attempt + 1;

    /// <summary>
    /// Records a failed attempt. As in Temporal, only a first attempt writes its events: retries are
    /// transient, so a workflow task that keeps failing does not grow history.
    /// </summary>
    private void FailWorkflowTask(
        WorkflowRun run, WorkflowTaskState task, WorkflowTaskFailedCause cause, Failure? failure, string identity, int nextAttempt)
    {
        nextAttempt = AttemptAfterFailure(run, nextAttempt);
        if (task.Attempt == 1)
        {
            var startedEvent = AppendStartedTask(run, task);
            var failed = NewEvent(EventType.WorkflowTaskFailed);
            failed.WorkflowTaskFailedEventAttributes = new()
            {
                ScheduledEventId = task.ScheduledEventId,
                StartedEventId = startedEvent.EventId,
                Cause = cause,
                Failure = failure,
                Identity = identity,
            };
            Append(run, failed);
        }
        else
        {
            logger.LogDebug(
                "Workflow task attempt {Attempt} of {WorkflowId}/{RunId} failed ({Cause}): {Message}",
                task.Attempt, run.WorkflowId, run.RunId, cause, failure?.Message);
        }
        RetryWorkflowTask(run, task, nextAttempt);
    }

    private void RetryWorkflowTask(WorkflowRun run, WorkflowTaskState task, int nextAttempt)
    {
        task.Timeout?.Cancel();
        run.Queries.InsertRange(0, task.DeliveredQueries.Where(q => !q.Result.Task.IsCompleted));
        task.DeliveredQueries.Clear();
        ReturnDeliveredUpdates(task);
        run.WorkflowTask = null;
        FlushBuffered(run);
        ScheduleWorkflowTask(run, nextAttempt);
    }

    private void OnWorkflowTaskTimedOut(WorkflowRun run, WorkflowTaskState task)
    {
        using (Locked())
        {
            if (!run.IsRunning || run.WorkflowTask != task || task.StartedEvent == null)
            {
                return;
            }
            if (task.Attempt == 1)
            {
                var startedEvent = AppendStartedTask(run, task);
                var timedOut = NewEvent(EventType.WorkflowTaskTimedOut);
                timedOut.WorkflowTaskTimedOutEventAttributes = new()
                {
                    ScheduledEventId = task.ScheduledEventId,
                    StartedEventId = startedEvent.EventId,
                    TimeoutType = TimeoutType.StartToClose,
                };
                Append(run, timedOut);
            }
            RetryWorkflowTask(run, task, AttemptAfterFailure(run, task.Attempt + 1));
            Commit(run);
        }
    }

    private static bool IsCloseCommand(CommandType type) => type is CommandType.CompleteWorkflowExecution
        or CommandType.FailWorkflowExecution or CommandType.CancelWorkflowExecution
        or CommandType.ContinueAsNewWorkflowExecution;

    /// <summary>Checks every command before any is applied, so a bad completion changes nothing but the task.</summary>
    private string? ValidateCommands(WorkflowRun run, IList<Command> commands, out WorkflowTaskFailedCause cause)
    {
        var activityIds = run.Activities.Values.Select(a => a.ActivityId).ToHashSet(StringComparer.Ordinal);
        var timerIds = run.Timers.Keys.ToHashSet(StringComparer.Ordinal);
        for (var i = 0; i < commands.Count; i++)
        {
            var command = commands[i];
            if (IsCloseCommand(command.CommandType) && i != commands.Count - 1)
            {
                cause = WorkflowTaskFailedCause.BadCompleteWorkflowExecutionAttributes;
                return $"command {i} ({command.CommandType}) closes the workflow but is not the last command";
            }
            switch (command.CommandType)
            {
                case CommandType.ScheduleActivityTask:
                    var schedule = command.ScheduleActivityTaskCommandAttributes;
                    cause = WorkflowTaskFailedCause.BadScheduleActivityAttributes;
                    if (schedule == null || string.IsNullOrEmpty(schedule.ActivityId) ||
                        string.IsNullOrEmpty(schedule.ActivityType?.Name))
                    {
                        return $"command {i}: ScheduleActivityTask needs activity_id and activity_type.name";
                    }
                    if (!activityIds.Add(schedule.ActivityId))
                    {
                        return $"command {i}: activity id '{schedule.ActivityId}' is already in use by a pending activity";
                    }
                    if (FromDuration(schedule.ScheduleToCloseTimeout) <= TimeSpan.Zero &&
                        FromDuration(schedule.StartToCloseTimeout) <= TimeSpan.Zero)
                    {
                        return $"command {i}: activity '{schedule.ActivityId}' needs a StartToClose or ScheduleToClose timeout";
                    }
                    break;
                case CommandType.RequestCancelActivityTask:
                    cause = WorkflowTaskFailedCause.BadRequestCancelActivityAttributes;
                    if (!run.Activities.ContainsKey(command.RequestCancelActivityTaskCommandAttributes?.ScheduledEventId ?? 0))
                    {
                        return $"command {i}: RequestCancelActivityTask names no pending activity";
                    }
                    break;
                case CommandType.StartTimer:
                    cause = WorkflowTaskFailedCause.BadStartTimerAttributes;
                    var timer = command.StartTimerCommandAttributes;
                    if (timer == null || string.IsNullOrEmpty(timer.TimerId) || !timerIds.Add(timer.TimerId))
                    {
                        return $"command {i}: StartTimer needs a timer_id not already in use";
                    }
                    if (FromDuration(timer.StartToFireTimeout) <= TimeSpan.Zero)
                    {
                        return $"command {i}: timer '{timer.TimerId}' needs a positive start_to_fire_timeout";
                    }
                    break;
                case CommandType.CancelTimer:
                    cause = WorkflowTaskFailedCause.BadCancelTimerAttributes;
                    if (!timerIds.Remove(command.CancelTimerCommandAttributes?.TimerId ?? string.Empty))
                    {
                        return $"command {i}: CancelTimer names no pending timer";
                    }
                    break;
                case CommandType.ProtocolMessage:
                    cause = WorkflowTaskFailedCause.BadUpdateWorkflowExecutionMessage;
                    if (string.IsNullOrEmpty(command.ProtocolMessageCommandAttributes?.MessageId))
                    {
                        return $"command {i}: ProtocolMessage needs the message_id of a message in the completion";
                    }
                    break;
                case CommandType.ContinueAsNewWorkflowExecution:
                case CommandType.StartChildWorkflowExecution:
                case CommandType.SignalExternalWorkflowExecution:
                case CommandType.RequestCancelExternalWorkflowExecution:
                    var chainProblem = ValidateChainCommand(run, command, out cause);
                    if (chainProblem != null)
                    {
                        return $"command {i}: {chainProblem}";
                    }
                    break;
                case CommandType.UpsertWorkflowSearchAttributes:
                    cause = WorkflowTaskFailedCause.BadSearchAttributes;
                    var problem = namespaces[run.Namespace].SearchAttributes.Normalize(
                        command.UpsertWorkflowSearchAttributesCommandAttributes?.SearchAttributes, out _);
                    if (problem != null)
                    {
                        return $"command {i}: UpsertWorkflowSearchAttributes: {problem}";
                    }
                    break;
                case CommandType.CompleteWorkflowExecution:
                case CommandType.FailWorkflowExecution:
                case CommandType.CancelWorkflowExecution:
                case CommandType.RecordMarker:
                case CommandType.ModifyWorkflowProperties:
                    break;
                default:
                    cause = WorkflowTaskFailedCause.UnhandledCommand;
                    return $"command {i}: {command.CommandType} is not supported by the devserver yet";
            }
        }
        cause = WorkflowTaskFailedCause.Unspecified;
        return null;
    }

    /// <summary>Writes a command's events; returns true when they need a new workflow task.</summary>
    private bool ApplyCommand(WorkflowRun run, Command command, long completedEventId)
    {
        var firstEvent = run.History.Count;
        var needsTask = ApplyCommandEvents(run, command, completedEventId);
        // Like Temporal, the command's user metadata (the SDK's activity/timer summaries) rides on its event.
        if (command.UserMetadata is { } metadata && run.History.Count > firstEvent)
        {
            run.History[firstEvent].UserMetadata = metadata.Clone();
        }
        return needsTask;
    }

    private bool ApplyCommandEvents(WorkflowRun run, Command command, long completedEventId)
    {
        switch (command.CommandType)
        {
            case CommandType.ScheduleActivityTask:
                var schedule = command.ScheduleActivityTaskCommandAttributes;
                var activity = ScheduleActivity(run, schedule, completedEventId);
                if (schedule.RequestEagerExecution && schedule.TaskQueue?.Name == run.Start.TaskQueue.Name)
                {
                    eagerActivities.Add(activity);
                }
                return false;
            case CommandType.RequestCancelActivityTask:
                return RequestCancelActivity(run, command.RequestCancelActivityTaskCommandAttributes.ScheduledEventId, completedEventId);
            case CommandType.StartTimer:
                var startTimer = command.StartTimerCommandAttributes;
                var started = NewEvent(EventType.TimerStarted);
                started.TimerStartedEventAttributes = new()
                {
                    TimerId = startTimer.TimerId,
                    StartToFireTimeout = startTimer.StartToFireTimeout,
                    WorkflowTaskCompletedEventId = completedEventId,
                };
                Append(run, started);
                var timerId = startTimer.TimerId;
                var handle = Clock.After(startTimer.StartToFireTimeout.ToTimeSpan(), () => OnTimerFired(run, timerId));
                run.Timers[timerId] = new TimerState(timerId, started.EventId, handle);
                return false;
            case CommandType.CancelTimer:
                var cancelId = command.CancelTimerCommandAttributes.TimerId;
                var timer = run.Timers[cancelId];
                timer.Handle.Cancel();
                run.Timers.Remove(cancelId);
                var canceled = NewEvent(EventType.TimerCanceled);
                canceled.TimerCanceledEventAttributes = new()
                {
                    TimerId = cancelId,
                    StartedEventId = timer.StartedEventId,
                    WorkflowTaskCompletedEventId = completedEventId,
                };
                Append(run, canceled);
                return false;
            case CommandType.CompleteWorkflowExecution:
                var result = command.CompleteWorkflowExecutionCommandAttributes?.Result;
                var afterCompletion = NextRunAfter(run, WorkflowExecutionStatus.Completed, failure: null, result, out _);
                CloseWith(run, WorkflowExecutionStatus.Completed, afterCompletion, newRunId =>
                {
                    var complete = NewEvent(EventType.WorkflowExecutionCompleted);
                    complete.WorkflowExecutionCompletedEventAttributes = new()
                    {
                        Result = result,
                        WorkflowTaskCompletedEventId = completedEventId,
                        NewExecutionRunId = newRunId,
                    };
                    return complete;
                });
                return false;
            case CommandType.FailWorkflowExecution:
                var failure = command.FailWorkflowExecutionCommandAttributes?.Failure ?? new Failure { Message = "workflow failed" };
                var afterFailure = NextRunAfter(run, WorkflowExecutionStatus.Failed, failure, result: null, out var failureRetryState);
                CloseWith(run, WorkflowExecutionStatus.Failed, afterFailure, newRunId =>
                {
                    var fail = NewEvent(EventType.WorkflowExecutionFailed);
                    fail.WorkflowExecutionFailedEventAttributes = new()
                    {
                        Failure = failure,
                        RetryState = failureRetryState,
                        WorkflowTaskCompletedEventId = completedEventId,
                        NewExecutionRunId = newRunId,
                    };
                    return fail;
                });
                return false;
            case CommandType.CancelWorkflowExecution:
                CloseWith(run, WorkflowExecutionStatus.Canceled, next: null, _ =>
                {
                    var cancel = NewEvent(EventType.WorkflowExecutionCanceled);
                    cancel.WorkflowExecutionCanceledEventAttributes = new()
                    {
                        Details = command.CancelWorkflowExecutionCommandAttributes?.Details,
                        WorkflowTaskCompletedEventId = completedEventId,
                    };
                    return cancel;
                });
                return false;
            case CommandType.ContinueAsNewWorkflowExecution:
                ContinueAsNew(run, command.ContinueAsNewWorkflowExecutionCommandAttributes, completedEventId);
                return false;
            case CommandType.StartChildWorkflowExecution:
                InitiateChild(run, command.StartChildWorkflowExecutionCommandAttributes, completedEventId);
                return false;
            case CommandType.SignalExternalWorkflowExecution:
                InitiateSignalExternal(run, command.SignalExternalWorkflowExecutionCommandAttributes, completedEventId);
                return false;
            case CommandType.RequestCancelExternalWorkflowExecution:
                InitiateCancelExternal(run, command.RequestCancelExternalWorkflowExecutionCommandAttributes, completedEventId);
                return false;
            case CommandType.RecordMarker:
                var marker = command.RecordMarkerCommandAttributes;
                var recorded = NewEvent(EventType.MarkerRecorded);
                recorded.MarkerRecordedEventAttributes = new()
                {
                    MarkerName = marker.MarkerName,
                    Header = marker.Header,
                    Failure = marker.Failure,
                    WorkflowTaskCompletedEventId = completedEventId,
                };
                recorded.MarkerRecordedEventAttributes.Details.Add(marker.Details);
                Append(run, recorded);
                return false;
            case CommandType.UpsertWorkflowSearchAttributes:
                var upsert = command.UpsertWorkflowSearchAttributesCommandAttributes;
                var upserted = NewEvent(EventType.UpsertWorkflowSearchAttributes);
                upserted.UpsertWorkflowSearchAttributesEventAttributes = new()
                {
                    SearchAttributes = upsert.SearchAttributes,
                    WorkflowTaskCompletedEventId = completedEventId,
                };
                Append(run, upserted);
                namespaces[run.Namespace].SearchAttributes.Normalize(upsert.SearchAttributes, out var normalized);
                run.UpsertSearchAttributes(normalized);
                return false;
            case CommandType.ModifyWorkflowProperties:
                var modify = command.ModifyWorkflowPropertiesCommandAttributes;
                var modified = NewEvent(EventType.WorkflowPropertiesModified);
                modified.WorkflowPropertiesModifiedEventAttributes = new()
                {
                    UpsertedMemo = modify.UpsertedMemo,
                    WorkflowTaskCompletedEventId = completedEventId,
                };
                Append(run, modified);
                MergePayloads(run.Memo.Fields, modify.UpsertedMemo?.Fields);
                return false;
            default:
                throw new InvalidOperationException($"command {command.CommandType} passed validation but has no handler");
        }
    }

    /// <summary>Upsert semantics: a value with empty data (encoded null) removes the key.</summary>
    private static void MergePayloads(
        Google.Protobuf.Collections.MapField<string, Temporalio.Api.Common.V1.Payload> target,
        Google.Protobuf.Collections.MapField<string, Temporalio.Api.Common.V1.Payload>? changes)
    {
        if (changes == null)
        {
            return;
        }
        foreach (var (key, value) in changes)
        {
            if (value.Data.IsEmpty || value.Data.ToStringUtf8() is "null" or "[]")
            {
                target.Remove(key);
            }
            else
            {
                target[key] = value;
            }
        }
    }

    private void OnTimerFired(WorkflowRun run, string timerId)
    {
        using (Locked())
        {
            if (!run.IsRunning || !run.Timers.Remove(timerId, out var timer))
            {
                return;
            }
            var fired = NewEvent(EventType.TimerFired);
            fired.TimerFiredEventAttributes = new() { TimerId = timerId, StartedEventId = timer.StartedEventId };
            AddExternalEvents(run, fired);
            Commit(run);
        }
    }

    /// <summary>Completes the queries the worker answered; any it skipped wait for the next task or a legacy query task.</summary>
    private static void AnswerDeliveredQueries(WorkflowRun run, WorkflowTaskState task, IDictionary<string, WorkflowQueryResult> results)
    {
        foreach (var query in task.DeliveredQueries)
        {
            if (results.TryGetValue(query.Id, out var result))
            {
                CompleteQuery(query, result.ResultType, result.Answer, result.ErrorMessage, result.Failure);
            }
        }
        run.Queries.InsertRange(0, task.DeliveredQueries.Where(q => !q.Result.Task.IsCompleted));
        task.DeliveredQueries.Clear();
    }

    private static void CompleteQuery(
        PendingQuery query, QueryResultType type, Temporalio.Api.Common.V1.Payloads? answer, string errorMessage, Failure? failure)
    {
        if (type == QueryResultType.Answered)
        {
            query.Result.TrySetResult(new QueryWorkflowResponse { QueryResult = answer });
            return;
        }
        query.Result.TrySetException(new GrpcException(
            RpcException.StatusCode.InvalidArgument,
            string.IsNullOrEmpty(errorMessage) ? failure?.Message ?? "query failed" : errorMessage,
            new Temporalio.Api.ErrorDetails.V1.QueryFailedFailure { Failure = failure }));
    }
}
