using Google.Protobuf.WellKnownTypes;
using MaintenanceWorkflows.DevServer.Grpc;
using Microsoft.Extensions.Logging;
using Temporalio.Api.Common.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.ErrorDetails.V1;
using Temporalio.Api.Failure.V1;
using Temporalio.Api.History.V1;
using Temporalio.Api.Sdk.V1;
using Temporalio.Api.TaskQueue.V1;
using Temporalio.Api.WorkflowService.V1;
using Temporalio.Exceptions;

namespace MaintenanceWorkflows.DevServer.Engine;

public sealed partial class WorkflowEngine
{
    public StartWorkflowExecutionResponse StartWorkflow(StartWorkflowExecutionRequest req)
    {
        using (Locked())
        {
            var (run, started) = StartLocked(new StartArgs(req), signal: null);
            return new StartWorkflowExecutionResponse { RunId = run.RunId, Started = started };
        }
    }

    public SignalWithStartWorkflowExecutionResponse SignalWithStart(SignalWithStartWorkflowExecutionRequest req)
    {
        if (string.IsNullOrEmpty(req.SignalName))
        {
            throw GrpcException.InvalidArgument("signal_name is required");
        }
        RequireBlobWithinLimit("signal_input", req.SignalInput);
        var signal = NewEvent(EventType.WorkflowExecutionSignaled);
        signal.WorkflowExecutionSignaledEventAttributes = new()
        {
            SignalName = req.SignalName,
            Input = req.SignalInput,
            Identity = req.Identity,
            Header = req.Header,
        };
        using (Locked())
        {
            var nsState = RequireNamespace(req.Namespace);
            if (!string.IsNullOrEmpty(req.WorkflowId) &&
                nsState.Workflows.TryGetValue(req.WorkflowId, out var runs) && runs[^1].IsRunning)
            {
                var current = runs[^1];
                TakeSignal(current);
                AddExternalEvents(current, signal);
                Commit(current);
                return new SignalWithStartWorkflowExecutionResponse { RunId = current.RunId, Started = false };
            }
            var (run, started) = StartLocked(new StartArgs(req), signal);
            return new SignalWithStartWorkflowExecutionResponse { RunId = run.RunId, Started = started };
        }
    }

    public void Signal(SignalWorkflowExecutionRequest req)
    {
        if (string.IsNullOrEmpty(req.SignalName))
        {
            throw GrpcException.InvalidArgument("signal_name is required");
        }
        RequireBlobWithinLimit("input", req.Input);
        using (Locked())
        {
            var run = FindRun(req.Namespace, req.WorkflowExecution);
            RequireRunning(run);
            if (!string.IsNullOrEmpty(req.RequestId) && !run.AppliedRequestIds.Add(req.RequestId))
            {
                return;
            }
            TakeSignal(run);
            var signal = NewEvent(EventType.WorkflowExecutionSignaled);
            signal.WorkflowExecutionSignaledEventAttributes = new()
            {
                SignalName = req.SignalName,
                Input = req.Input,
                Identity = req.Identity,
                Header = req.Header,
            };
            AddExternalEvents(run, signal);
            Commit(run);
        }
    }

    /// <summary>Counts one more signal for <paramref name="run"/>, refusing it as Temporal does past history.maximumSignalsPerExecution.</summary>
    private void TakeSignal(WorkflowRun run)
    {
        if (!HasSignalRoom(run))
        {
            throw new GrpcException(
                Temporalio.Exceptions.RpcException.StatusCode.ResourceExhausted,
                "exceeded workflow execution limit for signal events",
                new Temporalio.Api.ErrorDetails.V1.ResourceExhaustedFailure { Cause = ResourceExhaustedCause.SystemOverloaded });
        }
        run.SignalCount++;
    }

    private bool HasSignalRoom(WorkflowRun run) =>
        Limits.MaximumSignalsPerExecution <= 0 || run.SignalCount < Limits.MaximumSignalsPerExecution;

    public void RequestCancel(RequestCancelWorkflowExecutionRequest req)
    {
        using (Locked())
        {
            var run = FindRun(req.Namespace, req.WorkflowExecution);
            // As in Temporal, asking a closed workflow to cancel succeeds and changes nothing.
            if (!run.IsRunning || run.CancelRequested ||
                (!string.IsNullOrEmpty(req.RequestId) && !run.AppliedRequestIds.Add(req.RequestId)))
            {
                return;
            }
            run.CancelRequested = true;
            var evt = NewEvent(EventType.WorkflowExecutionCancelRequested);
            evt.WorkflowExecutionCancelRequestedEventAttributes = new()
            {
                Cause = req.Reason,
                Identity = req.Identity,
            };
            AddExternalEvents(run, evt);
            Commit(run);
        }
    }

    public void Terminate(TerminateWorkflowExecutionRequest req)
    {
        using (Locked())
        {
            var run = FindRun(req.Namespace, req.WorkflowExecution);
            RequireRunning(run);
            var evt = NewEvent(EventType.WorkflowExecutionTerminated);
            evt.WorkflowExecutionTerminatedEventAttributes = new()
            {
                Reason = req.Reason,
                Details = req.Details,
                Identity = req.Identity,
            };
            ForceClose(run, evt, WorkflowExecutionStatus.Terminated);
            Commit(run);
        }
    }

    private static void RequireRunning(WorkflowRun run)
    {
        if (!run.IsRunning)
        {
            throw GrpcException.NotFound($"workflow execution already completed (workflow id '{run.WorkflowId}', run id '{run.RunId}')");
        }
    }

    private (WorkflowRun Run, bool Started) StartLocked(
        StartArgs args, HistoryEvent? signal, (WorkflowRun Run, long InitiatedEventId)? parent = null)
    {
        var nsState = RequireNamespace(args.Namespace);
        Validate(args);
        RequireBlobWithinLimit("input", args.Input);
        RequireBlobWithinLimit("memo", args.Memo, memo: true);
        var searchAttributeProblem = nsState.SearchAttributes.Normalize(args.SearchAttributes, out var searchAttributes);
        if (searchAttributeProblem != null)
        {
            throw GrpcException.InvalidArgument(searchAttributeProblem);
        }
        if (nsState.Workflows.TryGetValue(args.WorkflowId, out var runs))
        {
            var current = runs[^1];
            if (current.IsRunning)
            {
                if (!string.IsNullOrEmpty(args.RequestId) && current.StartRequestIds.Contains(args.RequestId))
                {
                    return (current, true);
                }
                switch (args.ConflictPolicy)
                {
                    case WorkflowIdConflictPolicy.UseExisting:
                        if (signal != null)
                        {
                            TakeSignal(current);
                            AddExternalEvents(current, signal);
                            Commit(current);
                        }
                        return (current, false);
                    case WorkflowIdConflictPolicy.TerminateExisting:
                        TerminateForReuse(current, args.Identity);
                        break;
                    default:
#pragma warning disable CS0612 // Older SDKs still send the deprecated reuse policy; honour it.
                        if (args.ReusePolicy == WorkflowIdReusePolicy.TerminateIfRunning)
#pragma warning restore CS0612
                        {
                            TerminateForReuse(current, args.Identity);
                            break;
                        }
                        throw AlreadyStarted(current);
                }
            }
            else
            {
                var allowed = args.ReusePolicy switch
                {
                    WorkflowIdReusePolicy.RejectDuplicate => false,
                    WorkflowIdReusePolicy.AllowDuplicateFailedOnly =>
                        current.Status != WorkflowExecutionStatus.Completed,
                    _ => true,
                };
                if (!allowed)
                {
                    throw AlreadyStarted(current);
                }
            }
        }
        else
        {
            runs = [];
            nsState.Workflows[args.WorkflowId] = runs;
        }

        var now = Clock.UtcNow;
        var runId = Guid.NewGuid().ToString();
        var executionTimeout = FromDuration(args.ExecutionTimeout);
        var runTimeout = FromDuration(args.RunTimeout);
        if (runTimeout == TimeSpan.Zero || (executionTimeout > TimeSpan.Zero && runTimeout > executionTimeout))
        {
            runTimeout = executionTimeout;
        }
        var taskTimeout = FromDuration(args.TaskTimeout);
        if (taskTimeout == TimeSpan.Zero)
        {
            taskTimeout = DefaultWorkflowTaskTimeout;
        }
        var startDelay = FromDuration(args.StartDelay);
        if (ParseCron(args.CronSchedule) is { } cron && startDelay == TimeSpan.Zero)
        {
            // A cron workflow's first run waits for the first scheduled time.
            startDelay = cron.Next(now) - now;
        }
        var attrs = new WorkflowExecutionStartedEventAttributes
        {
            WorkflowType = args.WorkflowType,
            TaskQueue = new() { Name = args.TaskQueue.Name, Kind = TaskQueueKind.Normal },
            Input = args.Input,
            WorkflowExecutionTimeout = ToDuration(executionTimeout),
            WorkflowRunTimeout = ToDuration(runTimeout),
            WorkflowTaskTimeout = Duration.FromTimeSpan(taskTimeout),
            OriginalExecutionRunId = runId,
            FirstExecutionRunId = runId,
            Identity = args.Identity,
            Attempt = 1,
            RetryPolicy = args.RetryPolicy,
            CronSchedule = args.CronSchedule,
            Memo = args.Memo,
            SearchAttributes = args.SearchAttributes == null ? null : searchAttributes,
            Header = args.Header,
            FirstWorkflowTaskBackoff = ToDuration(startDelay),
            WorkflowId = args.WorkflowId,
            Priority = args.Priority,
        };
        if (parent is var (parentRun, initiatedEventId))
        {
            attrs.ParentWorkflowNamespace = parentRun.Namespace;
            attrs.ParentWorkflowNamespaceId = namespaces[parentRun.Namespace].Id;
            attrs.ParentWorkflowExecution = parentRun.Execution;
            attrs.ParentInitiatedEventId = initiatedEventId;
            attrs.RootWorkflowExecution = parentRun.Start.RootWorkflowExecution ?? parentRun.Execution;
        }
        if (executionTimeout > TimeSpan.Zero)
        {
            // Timeouts count from when the workflow may first run, i.e. after any start delay.
            attrs.WorkflowExecutionExpirationTime = Timestamp.FromDateTime(now + startDelay + executionTimeout);
        }
        var run = CreateRun(runs, args.Namespace, attrs, startDelay, signal, searchAttributes, args.RequestId, args.UserMetadata);
        return (run, true);
    }

    private static CronSchedule? ParseCron(string? schedule)
    {
        if (string.IsNullOrWhiteSpace(schedule))
        {
            return null;
        }
        try
        {
            return CronSchedule.Parse(schedule);
        }
        catch (FormatException ex)
        {
            throw GrpcException.InvalidArgument($"cron_schedule '{schedule}' is invalid: {ex.Message}");
        }
    }

    /// <summary>
    /// Creates a run from its started-event attributes (a new workflow, a continuation or a child):
    /// writes the started event, schedules the first task (after any delay) and arms the run's timeouts.
    /// </summary>
    private WorkflowRun CreateRun(
        List<WorkflowRun> runs, string ns, WorkflowExecutionStartedEventAttributes attrs, TimeSpan startDelay,
        HistoryEvent? signal, SearchAttributes typedSearchAttributes, string? requestId = null, UserMetadata? userMetadata = null)
    {
        var now = Clock.UtcNow;
        var run = new WorkflowRun(ns, attrs.WorkflowId, attrs.OriginalExecutionRunId, attrs)
        {
            StartTime = now,
            ExecutionTime = now + startDelay,
            AwaitingFirstTask = startDelay > TimeSpan.Zero,
        };
        if (attrs.Memo != null)
        {
            run.Memo.Fields.Add(attrs.Memo.Fields);
        }
        run.UpsertSearchAttributes(typedSearchAttributes);
        if (!string.IsNullOrEmpty(requestId))
        {
            run.StartRequestIds.Add(requestId);
        }
        runs.Add(run);
        runsById[run.RunId] = run;
        logger.LogDebug(
            "Workflow {WorkflowId}/{RunId} ({Type}) started on task queue {TaskQueue}",
            run.WorkflowId, run.RunId, attrs.WorkflowType.Name, attrs.TaskQueue.Name);

        var started = NewEvent(EventType.WorkflowExecutionStarted);
        started.WorkflowExecutionStartedEventAttributes = attrs;
        // The start's summary and details live on the started event, where Describe and the UI read them.
        started.UserMetadata = userMetadata;
        Append(run, started);
        if (signal != null)
        {
            run.SignalCount++;
            Append(run, signal);
        }
        if (!run.AwaitingFirstTask)
        {
            ScheduleWorkflowTask(run, 1);
        }
        ArmRunTimers(run);
        Commit(run);
        return run;
    }

    /// <summary>The run's own deadlines: the end of a start delay, the execution and the run timeouts.</summary>
    private void ArmRunTimers(WorkflowRun run)
    {
        var attrs = run.Start;
        if (run.AwaitingFirstTask)
        {
            run.RunTimers.Add(Clock.Schedule(run.ExecutionTime, () => OnStartDelayElapsed(run)));
        }
        var expiration = attrs.WorkflowExecutionExpirationTime?.ToDateTime();
        if (expiration is { } expires)
        {
            run.RunTimers.Add(Clock.Schedule(expires, () => OnWorkflowTimedOut(run, runTimeout: false)));
        }
        var runTimeout = FromDuration(attrs.WorkflowRunTimeout);
        if (runTimeout > TimeSpan.Zero && (expiration == null || run.ExecutionTime + runTimeout < expiration))
        {
            run.RunTimers.Add(Clock.Schedule(run.ExecutionTime + runTimeout, () => OnWorkflowTimedOut(run, runTimeout: true)));
        }
    }

    private static void Validate(StartArgs args)
    {
        if (string.IsNullOrEmpty(args.WorkflowId))
        {
            throw GrpcException.InvalidArgument("workflow_id is required: give every workflow a stable id");
        }
        if (string.IsNullOrEmpty(args.WorkflowType?.Name))
        {
            throw GrpcException.InvalidArgument("workflow_type.name is required");
        }
        if (string.IsNullOrEmpty(args.TaskQueue?.Name))
        {
            throw GrpcException.InvalidArgument("task_queue.name is required: name the queue your worker polls");
        }
        foreach (var (name, duration) in new[]
        {
            ("workflow_execution_timeout", args.ExecutionTimeout),
            ("workflow_run_timeout", args.RunTimeout),
            ("workflow_task_timeout", args.TaskTimeout),
            ("workflow_start_delay", args.StartDelay),
        })
        {
            if (duration != null && duration.ToTimeSpan() < TimeSpan.Zero)
            {
                throw GrpcException.InvalidArgument($"{name} must not be negative");
            }
        }
    }

    private static GrpcException AlreadyStarted(WorkflowRun current) =>
        new(
            RpcException.StatusCode.AlreadyExists,
            $"Workflow execution is already running. WorkflowId: {current.WorkflowId}, RunId: {current.RunId}.",
            new WorkflowExecutionAlreadyStartedFailure
            {
                RunId = current.RunId,
                StartRequestId = current.StartRequestIds.FirstOrDefault() ?? string.Empty,
            });

    private void TerminateForReuse(WorkflowRun run, string identity)
    {
        var evt = NewEvent(EventType.WorkflowExecutionTerminated);
        evt.WorkflowExecutionTerminatedEventAttributes = new()
        {
            Reason = "terminated to start a new run with the same workflow id",
            Identity = identity,
        };
        ForceClose(run, evt, WorkflowExecutionStatus.Terminated);
        Commit(run);
    }

    private void OnStartDelayElapsed(WorkflowRun run)
    {
        using (Locked())
        {
            if (!run.IsRunning || !run.AwaitingFirstTask)
            {
                return;
            }
            run.AwaitingFirstTask = false;
            ScheduleWorkflowTask(run, 1);
            Commit(run);
        }
    }

    /// <summary>
    /// The execution timeout ends the whole chain; a run timeout may lead to a retry or the next cron
    /// run, as a failure would.
    /// </summary>
    private void OnWorkflowTimedOut(WorkflowRun run, bool runTimeout)
    {
        using (Locked())
        {
            if (!run.IsRunning)
            {
                return;
            }
            var failure = new Failure { Message = "workflow timed out", TimeoutFailureInfo = new() { TimeoutType = TimeoutType.StartToClose } };
            var retryState = RetryState.Timeout;
            var next = runTimeout ? NextRunAfter(run, WorkflowExecutionStatus.TimedOut, failure, result: null, out retryState) : null;
            ForceClose(run, WorkflowExecutionStatus.TimedOut, next, newRunId =>
            {
                var evt = NewEvent(EventType.WorkflowExecutionTimedOut);
                evt.WorkflowExecutionTimedOutEventAttributes = new()
                {
                    RetryState = retryState,
                    NewExecutionRunId = newRunId,
                };
                return evt;
            });
            Commit(run);
        }
    }

    /// <summary>
    /// Closes a run from outside the workflow (terminate, timeout): a started workflow task is
    /// failed first and buffered events are written, so the history stays well formed.
    /// </summary>
    private void ForceClose(WorkflowRun run, HistoryEvent closeEvent, WorkflowExecutionStatus status) =>
        ForceClose(run, status, next: null, _ => closeEvent);

    private void ForceClose(WorkflowRun run, WorkflowExecutionStatus status, Continuation? next, Func<string, HistoryEvent> closeEvent)
    {
        var task = run.WorkflowTask;
        // A started transient or speculative task leaves no trace, as its failure would not either.
        if (task is { StartedEvent: not null, InHistory: true })
        {
            Append(run, task.StartedEvent);
            var failed = NewEvent(EventType.WorkflowTaskFailed);
            failed.WorkflowTaskFailedEventAttributes = new()
            {
                ScheduledEventId = task.ScheduledEventId,
                StartedEventId = task.StartedEvent.EventId,
                Cause = WorkflowTaskFailedCause.ForceCloseCommand,
                Failure = new Failure { Message = "workflow closed while this workflow task was in flight" },
            };
            Append(run, failed);
        }
        FlushBuffered(run);
        CloseWith(run, status, next, closeEvent);
    }

    /// <summary>
    /// Writes the close event and closes the run; when the chain goes on (continue-as-new, retry,
    /// cron) the next run starts at once, otherwise a parent learns how its child ended.
    /// </summary>
    private void CloseWith(WorkflowRun run, WorkflowExecutionStatus status, Continuation? next, Func<string, HistoryEvent> closeEvent)
    {
        var newRunId = next != null ? Guid.NewGuid().ToString() : string.Empty;
        Append(run, closeEvent(newRunId));
        var successor = next != null ? StartContinuation(run, newRunId, next) : null;
        CloseRun(run, status);
        if (successor == null)
        {
            NotifyParent(run);
        }
        else
        {
            Commit(successor);
        }
    }

    private void CloseRun(WorkflowRun run, WorkflowExecutionStatus status)
    {
        logger.LogDebug("Workflow {WorkflowId}/{RunId} closed: {Status}", run.WorkflowId, run.RunId, status);
        run.Status = status;
        run.CloseTime = Clock.UtcNow;
        run.WorkflowTask?.Timeout?.Cancel();
        run.WorkflowTask?.Backoff?.Cancel();
        run.WorkflowTask = null;
        run.Buffered.Clear();
        foreach (var timer in run.RunTimers)
        {
            timer.Cancel();
        }
        foreach (var timer in run.Timers.Values)
        {
            timer.Handle.Cancel();
        }
        run.Timers.Clear();
        foreach (var activity in run.Activities.Values)
        {
            activity.CancelAllTimers();
        }
        run.Activities.Clear();
        AbandonUpdates(run);
        ApplyParentClosePolicy(run);
        DispatchLegacyQueries(run);
    }

    /// <summary>The fields StartWorkflowExecution and SignalWithStartWorkflowExecution share.</summary>
    private sealed record StartArgs(
        string Namespace,
        string WorkflowId,
        WorkflowType WorkflowType,
        TaskQueue TaskQueue,
        Payloads? Input,
        Duration? ExecutionTimeout,
        Duration? RunTimeout,
        Duration? TaskTimeout,
        string Identity,
        string RequestId,
        WorkflowIdReusePolicy ReusePolicy,
        WorkflowIdConflictPolicy ConflictPolicy,
        RetryPolicy? RetryPolicy,
        string CronSchedule,
        Memo? Memo,
        SearchAttributes? SearchAttributes,
        Header? Header,
        Duration? StartDelay,
        Priority? Priority,
        UserMetadata? UserMetadata)
    {
        public StartArgs(StartWorkflowExecutionRequest r)
            : this(r.Namespace, r.WorkflowId, r.WorkflowType, r.TaskQueue, r.Input, r.WorkflowExecutionTimeout,
                r.WorkflowRunTimeout, r.WorkflowTaskTimeout, r.Identity, r.RequestId, r.WorkflowIdReusePolicy,
                r.WorkflowIdConflictPolicy, r.RetryPolicy, r.CronSchedule, r.Memo, r.SearchAttributes, r.Header,
                r.WorkflowStartDelay, r.Priority, r.UserMetadata)
        {
        }

        public StartArgs(SignalWithStartWorkflowExecutionRequest r)
            : this(r.Namespace, r.WorkflowId, r.WorkflowType, r.TaskQueue, r.Input, r.WorkflowExecutionTimeout,
                r.WorkflowRunTimeout, r.WorkflowTaskTimeout, r.Identity, r.RequestId, r.WorkflowIdReusePolicy,
                r.WorkflowIdConflictPolicy, r.RetryPolicy, r.CronSchedule, r.Memo, r.SearchAttributes, r.Header,
                r.WorkflowStartDelay, r.Priority, r.UserMetadata)
        {
        }
    }
}
