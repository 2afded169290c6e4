using Google.Protobuf;
using MaintenanceWorkflows.DevServer.Persistence;
using Microsoft.Extensions.Logging;
using Temporalio.Api.Common.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.Failure.V1;
using Temporalio.Api.History.V1;
using Temporalio.Api.Update.V1;

namespace MaintenanceWorkflows.DevServer.Engine;

/// <summary>
/// Rebuilds runs a previous process stored: history and side records as they were, then everything
/// that lived only in memory (queues, timers) is armed again. Deadlines that passed while the server
/// was down fire at once; a workflow task that was out with a worker is offered again (the old token
/// is refused, as for any lost task); an activity a worker was running keeps its token, so that worker
/// can still report it.
/// </summary>
public sealed partial class WorkflowEngine
{
    private void Restore(IReadOnlyList<(RunRecord Record, StoredHistory History)> stored)
    {
        var restored = new List<(WorkflowRun, RunRecord)>();
        foreach (var (record, history) in stored)
        {
            if (history.Count == 0 || history.First?.WorkflowExecutionStartedEventAttributes is not { } start ||
                !namespaces.TryGetValue(record.Namespace, out var ns))
            {
                logger.LogWarning("Stored run {RunId} has no started event or namespace; skipped", record.RunId);
                continue;
            }
            var run = new WorkflowRun(record.Namespace, record.WorkflowId, record.RunId, start)
            {
                Status = record.Status,
                StartTime = record.StartTime,
                ExecutionTime = record.ExecutionTime,
                CloseTime = record.CloseTime,
                AwaitingFirstTask = record.AwaitingFirstTask,
                CancelRequested = record.CancelRequested,
                LastCompletedWorkflowTaskStartedId = record.LastCompletedWorkflowTaskStartedId,
                WorkflowTaskSequence = record.WorkflowTaskSequence,
                SignalCount = record.SignalCount,
            };
            // The events stay in the store until something needs them (a worker's replay, a history page).
            var restoredRun = run;
            run.History.RestoreUnloaded(history, () => store.ReadHistory(restoredRun.RunId), () => TouchHistory(restoredRun));
            run.HistorySizeBytes = history.Bytes;
            run.StartRequestIds.UnionWith(record.StartRequestIds);
            run.AppliedRequestIds.UnionWith(record.AppliedRequestIds);
            run.Memo.MergeFrom(record.Memo);
            run.UpsertSearchAttributes(SearchAttributes.Parser.ParseFrom(record.SearchAttributes));
            run.Buffered.AddRange(record.Buffered.Select(b => HistoryEvent.Parser.ParseFrom(b)));
            foreach (var child in record.Children)
            {
                run.Children[child.InitiatedEventId] = new ChildState(child.InitiatedEventId, child.Namespace, child.WorkflowId, child.WorkflowType, child.Policy)
                {
                    RunId = child.RunId,
                    StartedEventId = child.StartedEventId,
                };
            }
            foreach (var update in record.Updates)
            {
                var state = new UpdateState(update.Id, Request.Parser.ParseFrom(update.Request), ++updateAdmissions);
                if (update.AcceptedEventId > 0)
                {
                    state.Accept(update.AcceptedEventId);
                }
                if (update.Outcome != null)
                {
                    state.Complete(Outcome.Parser.ParseFrom(update.Outcome));
                }
                run.Updates[update.Id] = state;
            }
            if (!ns.Workflows.TryGetValue(run.WorkflowId, out var runs))
            {
                runs = [];
                ns.Workflows[run.WorkflowId] = runs;
            }
            runs.Add(run);
            runsById[run.RunId] = run;
            restored.Add((run, record));
        }
        foreach (var (run, record) in restored.Where(r => r.Item1.IsRunning))
        {
            Resume(run, record);
        }
        if (restored.Count > 0)
        {
            logger.LogInformation(
                "Restored {Runs} runs ({Running} running) from the store", restored.Count, restored.Count(r => r.Item1.IsRunning));
        }
    }

    private void Resume(WorkflowRun run, RunRecord record)
    {
        ArmRunTimers(run);
        foreach (var timer in record.Timers)
        {
            var timerId = timer.TimerId;
            run.Timers[timerId] = new TimerState(timerId, timer.StartedEventId, Clock.Schedule(timer.Due, () => OnTimerFired(run, timerId)));
        }
        foreach (var stored in record.Activities)
        {
            ResumeActivity(run, stored);
        }
        if (record.WorkflowTask is { Speculative: false } task)
        {
            // Whatever arrived while the task was out is history now; the task is offered again.
            FlushBuffered(run);
            if (task.InHistory)
            {
                var scheduled = run.History[(int)task.ScheduledEventId - 1];
                var state = new WorkflowTaskState(scheduled, task.Attempt, ++run.WorkflowTaskSequence, inHistory: true, speculative: false, run.History.Count)
                {
                    // Stickiness is not kept across a restart: the task goes to the normal queue with full history.
                    DispatchQueue = run.Start.TaskQueue.Name,
                };
                run.WorkflowTask = state;
                Queue(run.Namespace, run.Start.TaskQueue.Name, activity: false).Enqueue(new WorkflowTaskRef(run, state));
            }
            else
            {
                ScheduleWorkflowTask(run, task.Attempt);
            }
        }
        else if (run.Buffered.Count > 0)
        {
            FlushBuffered(run);
            ScheduleWorkflowTask(run, 1);
        }
        Commit(run);
    }

    private void ResumeActivity(WorkflowRun run, ActivityRecord stored)
    {
        var attributes = run.History[(int)stored.ScheduledEventId - 1].ActivityTaskScheduledEventAttributes;
        var activity = new ActivityState(stored.ScheduledEventId, attributes, stored.FirstScheduledTime)
        {
            Attempt = stored.Attempt,
            AttemptScheduledTime = stored.AttemptScheduledTime,
            InBackoff = stored.InBackoff,
            RetryAt = stored.RetryAt,
            StartedEvent = stored.StartedEvent is { } started ? HistoryEvent.Parser.ParseFrom(started) : null,
            StartedTime = stored.StartedTime,
            Identity = stored.Identity,
            HeartbeatDetails = stored.HeartbeatDetails is { } details ? Payloads.Parser.ParseFrom(details) : null,
            LastHeartbeatTime = stored.LastHeartbeatTime,
            LastFailure = stored.LastFailure is { } failure ? Failure.Parser.ParseFrom(failure) : null,
            CancelRequested = stored.CancelRequested,
            CancelRequestedEventId = stored.CancelRequestedEventId,
        };
        run.Activities[activity.ScheduledEventId] = activity;
        var scheduleToClose = FromDuration(attributes.ScheduleToCloseTimeout);
        if (scheduleToClose > TimeSpan.Zero)
        {
            activity.ScheduleToCloseTimer = Clock.Schedule(
                activity.FirstScheduledTime + scheduleToClose,
                () => OnActivityTimedOut(run, activity, activity.Attempt, TimeoutType.ScheduleToClose));
        }
        if (activity.InBackoff && activity.RetryAt != null)
        {
            ArmRetryTimer(run, activity);
        }
        else if (activity.Started)
        {
            var attempt = activity.Attempt;
            var startToClose = FromDuration(attributes.StartToCloseTimeout);
            if (startToClose > TimeSpan.Zero)
            {
                activity.StartToCloseTimer = Clock.Schedule(
                    activity.StartedTime!.Value + startToClose, () => OnActivityTimedOut(run, activity, attempt, TimeoutType.StartToClose));
            }
            ArmHeartbeatTimer(run, activity, activity.LastHeartbeatTime ?? activity.StartedTime!.Value);
        }
        else
        {
            DispatchActivityAttempt(run, activity);
        }
    }
}
