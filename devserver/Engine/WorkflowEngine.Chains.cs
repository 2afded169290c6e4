using Microsoft.Extensions.Logging;
using Temporalio.Api.Command.V1;
using Temporalio.Api.Common.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.Failure.V1;
using Temporalio.Api.History.V1;

namespace MaintenanceWorkflows.DevServer.Engine;

/// <summary>
/// Runs that lead to other runs: continue-as-new, workflow retries and cron schedules (the next run of
/// the same workflow id), child workflows with their parent close policies, and signals and cancel
/// requests sent to other workflows. Effects on other runs happen after the completing task's own
/// command events are written, as Temporal's transfer tasks do.
/// </summary>
public sealed partial class WorkflowEngine
{
    private readonly List<Action> afterCommands = [];

    /// <summary>How the next run of a chain starts.</summary>
    private sealed record Continuation(
        ContinueAsNewInitiator Initiator,
        TimeSpan Backoff,
        int Attempt,
        Payloads? LastCompletionResult,
        Failure? ContinuedFailure,
        ContinueAsNewWorkflowExecutionCommandAttributes? Command = null);

    private void RunAfterCommands()
    {
        // An action may add more (a child's start can end the child at once, which notifies its parent).
        while (afterCommands.Count > 0)
        {
            var action = afterCommands[0];
            afterCommands.RemoveAt(0);
            action();
        }
    }

    /// <summary>
    /// What follows a run that ends by itself: a retry per its retry policy (failures and run
    /// timeouts), else its next cron run, else nothing.
    /// </summary>
    private Continuation? NextRunAfter(
        WorkflowRun run, WorkflowExecutionStatus status, Failure? failure, Payloads? result, out RetryState retryState)
    {
        retryState = RetryStateWithoutRetry(run);
        var expiration = run.Start.WorkflowExecutionExpirationTime?.ToDateTime();
        var now = Clock.UtcNow;
        if (status is WorkflowExecutionStatus.Failed or WorkflowExecutionStatus.TimedOut && run.Start.RetryPolicy is { } policy)
        {
            var (retry, delay, state) = WorkflowRetryDecision(policy, run.Start.Attempt, failure, expiration, now);
            if (retry)
            {
                retryState = RetryState.InProgress;
                return new Continuation(
                    ContinueAsNewInitiator.Retry, delay, run.Start.Attempt + 1,
                    run.Start.LastCompletionResult, failure);
            }
            retryState = state;
        }
        if (ParseCronOrNull(run.Start.CronSchedule) is { } cron)
        {
            var next = cron.Next(now);
            if (expiration == null || next < expiration)
            {
                return new Continuation(
                    ContinueAsNewInitiator.CronSchedule, next - now, 1,
                    status == WorkflowExecutionStatus.Completed ? result : run.Start.LastCompletionResult,
                    status == WorkflowExecutionStatus.Completed ? null : failure);
            }
        }
        return null;
    }

    private static RetryState RetryStateWithoutRetry(WorkflowRun run) =>
        run.Start.RetryPolicy == null ? RetryState.RetryPolicyNotSet : RetryState.NonRetryableFailure;

    private static CronSchedule? ParseCronOrNull(string? schedule)
    {
        if (string.IsNullOrWhiteSpace(schedule))
        {
            return null;
        }
        try
        {
            return CronSchedule.Parse(schedule);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>Workflow retry per policy, with Temporal's defaults, bounded by the execution timeout.</summary>
    private static (bool Retry, TimeSpan Delay, RetryState State) WorkflowRetryDecision(
        RetryPolicy policy, int attempt, Failure? failure, DateTime? expiration, DateTime now)
    {
        var app = failure?.ApplicationFailureInfo;
        if (app != null && (app.NonRetryable || policy.NonRetryableErrorTypes.Contains(app.Type)))
        {
            return (false, TimeSpan.Zero, RetryState.NonRetryableFailure);
        }
        if (policy.MaximumAttempts > 0 && attempt >= policy.MaximumAttempts)
        {
            return (false, TimeSpan.Zero, RetryState.MaximumAttemptsReached);
        }
        var initial = FromDuration(policy.InitialInterval);
        if (initial <= TimeSpan.Zero)
        {
            initial = TimeSpan.FromSeconds(1);
        }
        var coefficient = policy.BackoffCoefficient >= 1 ? policy.BackoffCoefficient : 2.0;
        var delay = app?.NextRetryDelay != null ? app.NextRetryDelay.ToTimeSpan() : initial * Math.Pow(coefficient, attempt - 1);
        var max = FromDuration(policy.MaximumInterval);
        if (max <= TimeSpan.Zero)
        {
            max = initial * 100;
        }
        if (delay > max)
        {
            delay = max;
        }
        if (expiration is { } expires && now + delay >= expires)
        {
            return (false, TimeSpan.Zero, RetryState.Timeout);
        }
        return (true, delay, RetryState.InProgress);
    }

    private void ContinueAsNew(WorkflowRun run, ContinueAsNewWorkflowExecutionCommandAttributes cmd, long completedEventId)
    {
        var next = new Continuation(
            ContinueAsNewInitiator.Workflow, FromDuration(cmd.BackoffStartInterval), 1,
            cmd.LastCompletionResult ?? run.Start.LastCompletionResult, cmd.Failure, cmd);
        CloseWith(run, WorkflowExecutionStatus.ContinuedAsNew, next, newRunId =>
        {
            var evt = NewEvent(EventType.WorkflowExecutionContinuedAsNew);
            evt.WorkflowExecutionContinuedAsNewEventAttributes = new()
            {
                NewExecutionRunId = newRunId,
                WorkflowType = string.IsNullOrEmpty(cmd.WorkflowType?.Name) ? run.Start.WorkflowType : cmd.WorkflowType,
                TaskQueue = string.IsNullOrEmpty(cmd.TaskQueue?.Name) ? run.Start.TaskQueue : cmd.TaskQueue,
                Input = cmd.Input,
                WorkflowRunTimeout = cmd.WorkflowRunTimeout ?? run.Start.WorkflowRunTimeout,
                WorkflowTaskTimeout = cmd.WorkflowTaskTimeout ?? run.Start.WorkflowTaskTimeout,
                WorkflowTaskCompletedEventId = completedEventId,
                BackoffStartInterval = cmd.BackoffStartInterval,
                Initiator = ContinueAsNewInitiator.Workflow,
                LastCompletionResult = cmd.LastCompletionResult,
                Header = cmd.Header,
                Memo = cmd.Memo,
                SearchAttributes = cmd.SearchAttributes,
            };
            return evt;
        });
    }

    /// <summary>
    /// Starts the next run of <paramref name="previous"/>'s chain: same workflow id, first run id,
    /// parent and execution deadline; updates still waiting for the worker move along with it.
    /// </summary>
    private WorkflowRun StartContinuation(WorkflowRun previous, string newRunId, Continuation next)
    {
        var p = previous.Start;
        var cmd = next.Command;
        var memo = cmd?.Memo ?? previous.Memo.Clone();
        var searchAttributes = previous.SearchAttributes.Clone();
        if (cmd?.SearchAttributes != null)
        {
            namespaces[previous.Namespace].SearchAttributes.Normalize(cmd.SearchAttributes, out searchAttributes);
        }
        var attrs = new WorkflowExecutionStartedEventAttributes
        {
            WorkflowId = previous.WorkflowId,
            WorkflowType = string.IsNullOrEmpty(cmd?.WorkflowType?.Name) ? p.WorkflowType : cmd.WorkflowType,
            TaskQueue = string.IsNullOrEmpty(cmd?.TaskQueue?.Name) ? p.TaskQueue : new() { Name = cmd.TaskQueue.Name, Kind = TaskQueueKind.Normal },
            Input = cmd != null ? cmd.Input : previous.Input,
            WorkflowExecutionTimeout = p.WorkflowExecutionTimeout,
            WorkflowRunTimeout = cmd?.WorkflowRunTimeout ?? p.WorkflowRunTimeout,
            WorkflowTaskTimeout = cmd?.WorkflowTaskTimeout ?? p.WorkflowTaskTimeout,
            WorkflowExecutionExpirationTime = p.WorkflowExecutionExpirationTime,
            ContinuedExecutionRunId = previous.RunId,
            Initiator = next.Initiator,
            ContinuedFailure = next.ContinuedFailure,
            LastCompletionResult = next.LastCompletionResult,
            OriginalExecutionRunId = newRunId,
            FirstExecutionRunId = p.FirstExecutionRunId,
            Identity = p.Identity,
            RetryPolicy = cmd?.RetryPolicy ?? p.RetryPolicy,
            Attempt = next.Attempt,
            CronSchedule = cmd != null && !string.IsNullOrEmpty(cmd.CronSchedule) ? cmd.CronSchedule : p.CronSchedule,
            FirstWorkflowTaskBackoff = ToDuration(next.Backoff),
            Memo = memo,
            SearchAttributes = searchAttributes.IndexedFields.Count > 0 ? searchAttributes : null,
            Header = cmd?.Header ?? p.Header,
            ParentWorkflowNamespace = p.ParentWorkflowNamespace,
            ParentWorkflowNamespaceId = p.ParentWorkflowNamespaceId,
            ParentWorkflowExecution = p.ParentWorkflowExecution,
            ParentInitiatedEventId = p.ParentInitiatedEventId,
            RootWorkflowExecution = p.RootWorkflowExecution,
            Priority = p.Priority,
        };
        var runs = namespaces[previous.Namespace].Workflows[previous.WorkflowId];
        var successor = CreateRun(runs, previous.Namespace, attrs, next.Backoff, signal: null, searchAttributes);
        foreach (var update in previous.Updates.Values
            .Where(u => u.Stage == UpdateWorkflowExecutionLifecycleStage.Admitted && u.DeliveredOn == null).ToList())
        {
            previous.Updates.Remove(update.Id);
            successor.Updates[update.Id] = update;
        }
        ScheduleTaskForWaitingUpdates(successor);
        return successor;
    }

    private string? ValidateChainCommand(WorkflowRun run, Command command, out WorkflowTaskFailedCause cause)
    {
        switch (command.CommandType)
        {
            case CommandType.ContinueAsNewWorkflowExecution:
                cause = WorkflowTaskFailedCause.BadContinueAsNewAttributes;
                var continueAsNew = command.ContinueAsNewWorkflowExecutionCommandAttributes;
                if (continueAsNew == null)
                {
                    return "ContinueAsNewWorkflowExecution needs its attributes";
                }
                if (!string.IsNullOrWhiteSpace(continueAsNew.CronSchedule) && ParseCronOrNull(continueAsNew.CronSchedule) == null)
                {
                    return $"ContinueAsNewWorkflowExecution: cron_schedule '{continueAsNew.CronSchedule}' is invalid";
                }
                return namespaces[run.Namespace].SearchAttributes.Normalize(continueAsNew.SearchAttributes, out _);
            case CommandType.StartChildWorkflowExecution:
                cause = WorkflowTaskFailedCause.BadStartChildExecutionAttributes;
                var child = command.StartChildWorkflowExecutionCommandAttributes;
                if (child == null || string.IsNullOrEmpty(child.WorkflowId) || string.IsNullOrEmpty(child.WorkflowType?.Name))
                {
                    return "StartChildWorkflowExecution needs workflow_id and workflow_type.name";
                }
                var childNs = namespaces[run.Namespace];
                if (new[] { child.WorkflowExecutionTimeout, child.WorkflowRunTimeout, child.WorkflowTaskTimeout }
                    .Any(d => d != null && d.ToTimeSpan() < TimeSpan.Zero))
                {
                    return "StartChildWorkflowExecution: timeouts must not be negative";
                }
                if (!string.IsNullOrWhiteSpace(child.CronSchedule) && ParseCronOrNull(child.CronSchedule) == null)
                {
                    return $"StartChildWorkflowExecution: cron_schedule '{child.CronSchedule}' is invalid";
                }
                return childNs.SearchAttributes.Normalize(child.SearchAttributes, out _) is { } childProblem
                    ? $"StartChildWorkflowExecution: {childProblem}"
                    : null;
            case CommandType.SignalExternalWorkflowExecution:
                cause = WorkflowTaskFailedCause.BadSignalWorkflowExecutionAttributes;
                var signal = command.SignalExternalWorkflowExecutionCommandAttributes;
                return signal == null || string.IsNullOrEmpty(signal.Execution?.WorkflowId) || string.IsNullOrEmpty(signal.SignalName)
                    ? "SignalExternalWorkflowExecution needs execution.workflow_id and signal_name"
                    : null;
            default:
                cause = WorkflowTaskFailedCause.BadRequestCancelExternalWorkflowExecutionAttributes;
                return string.IsNullOrEmpty(command.RequestCancelExternalWorkflowExecutionCommandAttributes?.WorkflowId)
                    ? "RequestCancelExternalWorkflowExecution needs workflow_id"
                    : null;
        }
    }

    private void InitiateChild(WorkflowRun parent, StartChildWorkflowExecutionCommandAttributes cmd, long completedEventId)
    {
        var ns = parent.Namespace;
        var taskQueue = string.IsNullOrEmpty(cmd.TaskQueue?.Name) ? parent.Start.TaskQueue : cmd.TaskQueue;
        var initiated = NewEvent(EventType.StartChildWorkflowExecutionInitiated);
        initiated.StartChildWorkflowExecutionInitiatedEventAttributes = new()
        {
            Namespace = ns,
            NamespaceId = namespaces[ns].Id,
            WorkflowId = cmd.WorkflowId,
            WorkflowType = cmd.WorkflowType,
            TaskQueue = taskQueue,
            Input = cmd.Input,
            WorkflowExecutionTimeout = cmd.WorkflowExecutionTimeout,
            WorkflowRunTimeout = cmd.WorkflowRunTimeout,
            WorkflowTaskTimeout = cmd.WorkflowTaskTimeout,
            ParentClosePolicy = cmd.ParentClosePolicy,
            WorkflowTaskCompletedEventId = completedEventId,
            WorkflowIdReusePolicy = cmd.WorkflowIdReusePolicy,
            RetryPolicy = cmd.RetryPolicy,
            CronSchedule = cmd.CronSchedule,
            Header = cmd.Header,
            Memo = cmd.Memo,
            SearchAttributes = cmd.SearchAttributes,
            Priority = cmd.Priority,
        };
        Append(parent, initiated);
        var child = new ChildState(initiated.EventId, ns, cmd.WorkflowId, cmd.WorkflowType.Name, cmd.ParentClosePolicy);
        parent.Children[initiated.EventId] = child;
        // The command's summary is put on the initiated event after this returns, so read it when the child starts.
        afterCommands.Add(() => StartChild(parent, child, initiated.StartChildWorkflowExecutionInitiatedEventAttributes, initiated.UserMetadata));
    }

    private void StartChild(
        WorkflowRun parent, ChildState child, StartChildWorkflowExecutionInitiatedEventAttributes cmd, Temporalio.Api.Sdk.V1.UserMetadata? metadata)
    {
        var nsState = namespaces[child.Namespace];
        var request = new Temporalio.Api.WorkflowService.V1.StartWorkflowExecutionRequest
        {
            Namespace = child.Namespace,
            WorkflowId = cmd.WorkflowId,
            WorkflowType = cmd.WorkflowType,
            TaskQueue = cmd.TaskQueue,
            Input = cmd.Input,
            WorkflowExecutionTimeout = cmd.WorkflowExecutionTimeout,
            WorkflowRunTimeout = cmd.WorkflowRunTimeout,
            WorkflowTaskTimeout = cmd.WorkflowTaskTimeout,
            Identity = parent.Start.Identity,
            WorkflowIdReusePolicy = cmd.WorkflowIdReusePolicy,
            RetryPolicy = cmd.RetryPolicy,
            CronSchedule = cmd.CronSchedule,
            Memo = cmd.Memo,
            SearchAttributes = cmd.SearchAttributes,
            Header = cmd.Header,
            Priority = cmd.Priority,
            UserMetadata = metadata,
        };
        WorkflowRun childRun;
        try
        {
            childRun = StartLocked(new StartArgs(request), signal: null, parent: (parent, child.InitiatedEventId)).Run;
        }
        catch (Grpc.GrpcException ex)
        {
            // Commands were validated before they were applied; what is left is an id already in use.
            logger.LogDebug("Child {WorkflowId} of {ParentId} not started: {Problem}", cmd.WorkflowId, parent.WorkflowId, ex.Message);
            parent.Children.Remove(child.InitiatedEventId);
            if (parent.IsRunning)
            {
                var failed = NewEvent(EventType.StartChildWorkflowExecutionFailed);
                failed.StartChildWorkflowExecutionFailedEventAttributes = new()
                {
                    Namespace = child.Namespace,
                    NamespaceId = nsState.Id,
                    WorkflowId = cmd.WorkflowId,
                    WorkflowType = cmd.WorkflowType,
                    Cause = StartChildWorkflowExecutionFailedCause.WorkflowAlreadyExists,
                    InitiatedEventId = child.InitiatedEventId,
                    WorkflowTaskCompletedEventId = cmd.WorkflowTaskCompletedEventId,
                };
                AddExternalEvents(parent, failed);
                Commit(parent);
            }
            return;
        }
        child.RunId = childRun.RunId;
        if (!parent.IsRunning)
        {
            // The parent closed in the same task that started the child: its close policy applies now.
            ApplyParentClosePolicy(parent, child);
            return;
        }
        var started = NewEvent(EventType.ChildWorkflowExecutionStarted);
        started.ChildWorkflowExecutionStartedEventAttributes = new()
        {
            Namespace = child.Namespace,
            NamespaceId = nsState.Id,
            InitiatedEventId = child.InitiatedEventId,
            WorkflowExecution = childRun.Execution,
            WorkflowType = cmd.WorkflowType,
            Header = cmd.Header,
        };
        AddExternalEvents(parent, started);
        child.StartedEventId = started.EventId;
        Commit(parent);
    }

    /// <summary>A child's chain ended: its parent (if still running) gets the outcome as an event.</summary>
    private void NotifyParent(WorkflowRun run)
    {
        var parentExecution = run.Start.ParentWorkflowExecution;
        if (parentExecution == null || !runsById.TryGetValue(parentExecution.RunId, out var parent) || !parent.IsRunning ||
            !parent.Children.Remove(run.Start.ParentInitiatedEventId, out var child))
        {
            return;
        }
        var execution = new WorkflowExecution { WorkflowId = child.WorkflowId, RunId = child.RunId };
        var type = new WorkflowType { Name = child.WorkflowType };
        var nsId = namespaces[child.Namespace].Id;
        var close = run.History[^1];
        var evt = run.Status switch
        {
            WorkflowExecutionStatus.Completed => new HistoryEvent
            {
                EventType = EventType.ChildWorkflowExecutionCompleted,
                ChildWorkflowExecutionCompletedEventAttributes = new()
                {
                    Result = close.WorkflowExecutionCompletedEventAttributes?.Result,
                    Namespace = child.Namespace, NamespaceId = nsId, WorkflowExecution = execution, WorkflowType = type,
                    InitiatedEventId = child.InitiatedEventId, StartedEventId = child.StartedEventId,
                },
            },
            WorkflowExecutionStatus.Failed => new HistoryEvent
            {
                EventType = EventType.ChildWorkflowExecutionFailed,
                ChildWorkflowExecutionFailedEventAttributes = new()
                {
                    Failure = close.WorkflowExecutionFailedEventAttributes?.Failure,
                    RetryState = close.WorkflowExecutionFailedEventAttributes?.RetryState ?? RetryState.Unspecified,
                    Namespace = child.Namespace, NamespaceId = nsId, WorkflowExecution = execution, WorkflowType = type,
                    InitiatedEventId = child.InitiatedEventId, StartedEventId = child.StartedEventId,
                },
            },
            WorkflowExecutionStatus.Canceled => new HistoryEvent
            {
                EventType = EventType.ChildWorkflowExecutionCanceled,
                ChildWorkflowExecutionCanceledEventAttributes = new()
                {
                    Details = close.WorkflowExecutionCanceledEventAttributes?.Details,
                    Namespace = child.Namespace, NamespaceId = nsId, WorkflowExecution = execution, WorkflowType = type,
                    InitiatedEventId = child.InitiatedEventId, StartedEventId = child.StartedEventId,
                },
            },
            WorkflowExecutionStatus.TimedOut => new HistoryEvent
            {
                EventType = EventType.ChildWorkflowExecutionTimedOut,
                ChildWorkflowExecutionTimedOutEventAttributes = new()
                {
                    RetryState = close.WorkflowExecutionTimedOutEventAttributes?.RetryState ?? RetryState.Timeout,
                    Namespace = child.Namespace, NamespaceId = nsId, WorkflowExecution = execution, WorkflowType = type,
                    InitiatedEventId = child.InitiatedEventId, StartedEventId = child.StartedEventId,
                },
            },
            _ => new HistoryEvent
            {
                EventType = EventType.ChildWorkflowExecutionTerminated,
                ChildWorkflowExecutionTerminatedEventAttributes = new()
                {
                    Namespace = child.Namespace, NamespaceId = nsId, WorkflowExecution = execution, WorkflowType = type,
                    InitiatedEventId = child.InitiatedEventId, StartedEventId = child.StartedEventId,
                },
            },
        };
        AddExternalEvents(parent, evt);
        Commit(parent);
    }

    /// <summary>The parent closed: each open child is terminated, asked to cancel or left alone, per its policy.</summary>
    private void ApplyParentClosePolicy(WorkflowRun parent)
    {
        foreach (var child in parent.Children.Values.Where(c => c.RunId != null).ToList())
        {
            ApplyParentClosePolicy(parent, child);
        }
        parent.Children.Clear();
    }

    private void ApplyParentClosePolicy(WorkflowRun parent, ChildState child)
    {
        if (child.Policy == ParentClosePolicy.Abandon ||
            !namespaces[child.Namespace].Workflows.TryGetValue(child.WorkflowId, out var runs) ||
            runs[^1] is not { IsRunning: true } current ||
            current.Start.ParentWorkflowExecution?.RunId != parent.RunId)
        {
            return;
        }
        if (child.Policy == ParentClosePolicy.RequestCancel)
        {
            RequestCancelRun(current, "by parent close policy", parent.Execution, initiatedEventId: 0);
        }
        else
        {
            var evt = NewEvent(EventType.WorkflowExecutionTerminated);
            evt.WorkflowExecutionTerminatedEventAttributes = new()
            {
                Reason = "by parent close policy",
                Identity = "devserver",
            };
            ForceClose(current, evt, WorkflowExecutionStatus.Terminated);
        }
        Commit(current);
    }

    private void InitiateSignalExternal(WorkflowRun run, SignalExternalWorkflowExecutionCommandAttributes cmd, long completedEventId)
    {
        var ns = run.Namespace;
        var initiated = NewEvent(EventType.SignalExternalWorkflowExecutionInitiated);
        initiated.SignalExternalWorkflowExecutionInitiatedEventAttributes = new()
        {
            WorkflowTaskCompletedEventId = completedEventId,
            Namespace = ns,
            NamespaceId = namespaces[ns].Id,
            WorkflowExecution = cmd.Execution,
            SignalName = cmd.SignalName,
            Input = cmd.Input,
            ChildWorkflowOnly = cmd.ChildWorkflowOnly,
            Header = cmd.Header,
        };
        Append(run, initiated);
        afterCommands.Add(() =>
        {
            var target = FindExternalTarget(run, ns, cmd.Execution.WorkflowId, cmd.Execution.RunId, cmd.ChildWorkflowOnly);
            var full = target != null && !HasSignalRoom(target);
            if (full)
            {
                target = null;
            }
            if (target != null)
            {
                target.SignalCount++;
                var signal = NewEvent(EventType.WorkflowExecutionSignaled);
                signal.WorkflowExecutionSignaledEventAttributes = new()
                {
                    SignalName = cmd.SignalName,
                    Input = cmd.Input,
                    Header = cmd.Header,
                    Identity = run.Start.Identity,
                    ExternalWorkflowExecution = run.Execution,
                };
                AddExternalEvents(target, signal);
                Commit(target);
            }
            if (!run.IsRunning)
            {
                return;
            }
            var outcome = NewEvent(target != null ? EventType.ExternalWorkflowExecutionSignaled : EventType.SignalExternalWorkflowExecutionFailed);
            if (target != null)
            {
                outcome.ExternalWorkflowExecutionSignaledEventAttributes = new()
                {
                    InitiatedEventId = initiated.EventId,
                    Namespace = ns,
                    NamespaceId = initiated.SignalExternalWorkflowExecutionInitiatedEventAttributes.NamespaceId,
                    WorkflowExecution = cmd.Execution,
                };
            }
            else
            {
                outcome.SignalExternalWorkflowExecutionFailedEventAttributes = new()
                {
                    Cause = full
                        ? SignalExternalWorkflowExecutionFailedCause.SignalCountLimitExceeded
                        : SignalExternalWorkflowExecutionFailedCause.ExternalWorkflowExecutionNotFound,
                    WorkflowTaskCompletedEventId = completedEventId,
                    Namespace = ns,
                    NamespaceId = initiated.SignalExternalWorkflowExecutionInitiatedEventAttributes.NamespaceId,
                    WorkflowExecution = cmd.Execution,
                    InitiatedEventId = initiated.EventId,
                };
            }
            AddExternalEvents(run, outcome);
            Commit(run);
        });
    }

    private void InitiateCancelExternal(WorkflowRun run, RequestCancelExternalWorkflowExecutionCommandAttributes cmd, long completedEventId)
    {
        var ns = run.Namespace;
        var execution = new WorkflowExecution { WorkflowId = cmd.WorkflowId, RunId = cmd.RunId };
        var initiated = NewEvent(EventType.RequestCancelExternalWorkflowExecutionInitiated);
        initiated.RequestCancelExternalWorkflowExecutionInitiatedEventAttributes = new()
        {
            WorkflowTaskCompletedEventId = completedEventId,
            Namespace = ns,
            NamespaceId = namespaces[ns].Id,
            WorkflowExecution = execution,
            ChildWorkflowOnly = cmd.ChildWorkflowOnly,
            Reason = cmd.Reason,
        };
        Append(run, initiated);
        afterCommands.Add(() =>
        {
            var target = FindExternalTarget(run, ns, cmd.WorkflowId, cmd.RunId, cmd.ChildWorkflowOnly);
            if (target != null)
            {
                RequestCancelRun(target, cmd.Reason, run.Execution, initiated.EventId);
                Commit(target);
            }
            if (!run.IsRunning)
            {
                return;
            }
            var outcome = NewEvent(target != null
                ? EventType.ExternalWorkflowExecutionCancelRequested
                : EventType.RequestCancelExternalWorkflowExecutionFailed);
            if (target != null)
            {
                outcome.ExternalWorkflowExecutionCancelRequestedEventAttributes = new()
                {
                    InitiatedEventId = initiated.EventId,
                    Namespace = ns,
                    NamespaceId = initiated.RequestCancelExternalWorkflowExecutionInitiatedEventAttributes.NamespaceId,
                    WorkflowExecution = execution,
                };
            }
            else
            {
                outcome.RequestCancelExternalWorkflowExecutionFailedEventAttributes = new()
                {
                    Cause = CancelExternalWorkflowExecutionFailedCause.ExternalWorkflowExecutionNotFound,
                    WorkflowTaskCompletedEventId = completedEventId,
                    Namespace = ns,
                    NamespaceId = initiated.RequestCancelExternalWorkflowExecutionInitiatedEventAttributes.NamespaceId,
                    WorkflowExecution = execution,
                    InitiatedEventId = initiated.EventId,
                };
            }
            AddExternalEvents(run, outcome);
            Commit(run);
        });
    }

    /// <summary>The running run a signal or cancel request is for, or null (unknown, closed, or not a child when it must be).</summary>
    private WorkflowRun? FindExternalTarget(WorkflowRun sender, string ns, string workflowId, string runId, bool childOnly)
    {
        if (!namespaces.TryGetValue(ns, out var nsState) || !nsState.Workflows.TryGetValue(workflowId, out var runs))
        {
            return null;
        }
        var target = string.IsNullOrEmpty(runId) ? runs[^1] : runs.FirstOrDefault(r => r.RunId == runId);
        if (target is not { IsRunning: true })
        {
            return null;
        }
        return childOnly && target.Start.ParentWorkflowExecution?.RunId != sender.RunId ? null : target;
    }

    /// <summary>Records a cancel request on a running run (once); the workflow decides what to do with it.</summary>
    private void RequestCancelRun(WorkflowRun target, string reason, WorkflowExecution? requestedBy, long initiatedEventId)
    {
        if (target.CancelRequested)
        {
            return;
        }
        target.CancelRequested = true;
        var evt = NewEvent(EventType.WorkflowExecutionCancelRequested);
        evt.WorkflowExecutionCancelRequestedEventAttributes = new()
        {
            Cause = reason,
            ExternalInitiatedEventId = initiatedEventId,
            ExternalWorkflowExecution = requestedBy,
            Identity = "devserver",
        };
        AddExternalEvents(target, evt);
    }
}

/// <summary>A child workflow a run started and has not heard the end of.</summary>
public sealed class ChildState
{
    public ChildState(long initiatedEventId, string ns, string workflowId, string workflowType, ParentClosePolicy policy)
    {
        InitiatedEventId = initiatedEventId;
        Namespace = ns;
        WorkflowId = workflowId;
        WorkflowType = workflowType;
        Policy = policy;
    }

    public long InitiatedEventId { get; }

    public string Namespace { get; }

    public string WorkflowId { get; }

    public string WorkflowType { get; }

    /// <summary>Temporal's default when unset is Terminate.</summary>
    public ParentClosePolicy Policy { get; }

    /// <summary>First run of the child, once started.</summary>
    public string? RunId { get; set; }

    public long StartedEventId { get; set; }
}
