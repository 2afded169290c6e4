using MaintenanceWorkflows.DevServer.Grpc;
using Temporalio.Api.Failure.V1;
using Temporalio.Api.WorkflowService.V1;

namespace MaintenanceWorkflows.DevServer.Engine;

/// <summary>
/// PauseActivity / UnpauseActivity / ResetActivity, as Temporal does them: a paused activity is not
/// dispatched and a failed attempt waits for the unpause instead of retrying; a running attempt learns of
/// a pause or reset from its next heartbeat reply (the SDK cancels it with that reason); a reset starts
/// over from attempt 1 at once.
/// </summary>
public sealed partial class WorkflowEngine
{
    public PauseActivityResponse PauseActivity(PauseActivityRequest req)
    {
        using (Locked())
        {
            var run = FindRun(req.Namespace, req.Execution);
            RequireRunning(run);
            foreach (var activity in MatchActivities(run, req.ActivityCase == PauseActivityRequest.ActivityOneofCase.Id ? req.Id : null,
                req.ActivityCase == PauseActivityRequest.ActivityOneofCase.Type ? req.Type : null, all: false))
            {
                if (activity.Paused)
                {
                    continue;
                }
                activity.Paused = true;
                activity.ScheduleToStartTimer?.Cancel();
                if (!activity.Started)
                {
                    // Queued or waiting out a retry: the next attempt waits for the unpause (and holds no time).
                    activity.RetryTimer?.Cancel();
                    activity.RetryAt = null;
                    activity.InBackoff = true;
                }
            }
            Commit(run);
            return new PauseActivityResponse();
        }
    }

    public UnpauseActivityResponse UnpauseActivity(UnpauseActivityRequest req)
    {
        using (Locked())
        {
            var run = FindRun(req.Namespace, req.Execution);
            RequireRunning(run);
            foreach (var activity in MatchActivities(
                run,
                req.ActivityCase == UnpauseActivityRequest.ActivityOneofCase.Id ? req.Id : null,
                req.ActivityCase == UnpauseActivityRequest.ActivityOneofCase.Type ? req.Type : null,
                all: req.ActivityCase == UnpauseActivityRequest.ActivityOneofCase.UnpauseAll && req.UnpauseAll))
            {
                if (req.ResetAttempts && !activity.Started)
                {
                    activity.Attempt = 1;
                }
                if (req.ResetHeartbeat)
                {
                    activity.HeartbeatDetails = null;
                }
                Unpause(run, activity);
            }
            Commit(run);
            return new UnpauseActivityResponse();
        }
    }

    public ResetActivityResponse ResetActivity(ResetActivityRequest req)
    {
        using (Locked())
        {
            var run = FindRun(req.Namespace, req.Execution);
            RequireRunning(run);
            foreach (var activity in MatchActivities(
                run,
                req.ActivityCase == ResetActivityRequest.ActivityOneofCase.Id ? req.Id : null,
                req.ActivityCase == ResetActivityRequest.ActivityOneofCase.Type ? req.Type : null,
                all: req.ActivityCase == ResetActivityRequest.ActivityOneofCase.MatchAll && req.MatchAll))
            {
                if (req.ResetHeartbeat)
                {
                    activity.HeartbeatDetails = null;
                }
                if (activity.Started)
                {
                    // The running attempt hears of it on its next heartbeat; its end starts attempt 1.
                    activity.ResetRequested = true;
                }
                else
                {
                    // Queued or in backoff: attempt 1 goes out now (a paused one when it is unpaused).
                    activity.Attempt = 1;
                    activity.RetryTimer?.Cancel();
                    activity.ScheduleToStartTimer?.Cancel();
                    activity.RetryAt = null;
                    if (activity.Paused)
                    {
                        activity.InBackoff = true;
                    }
                    else
                    {
                        activity.AttemptScheduledTime = Clock.UtcNow;
                        DispatchActivityAttempt(run, activity);
                    }
                }
                if (!req.KeepPaused)
                {
                    Unpause(run, activity);
                }
            }
            Commit(run);
            return new ResetActivityResponse();
        }
    }

    private void Unpause(WorkflowRun run, ActivityState activity)
    {
        if (!activity.Paused)
        {
            return;
        }
        activity.Paused = false;
        if (!activity.Started && activity.RetryAt == null)
        {
            // Waiting for this unpause (a failed attempt, or never dispatched): the next attempt goes out now.
            activity.AttemptScheduledTime = Clock.UtcNow;
            DispatchActivityAttempt(run, activity);
        }
    }

    private static List<ActivityState> MatchActivities(WorkflowRun run, string? id, string? type, bool all)
    {
        if (!all && string.IsNullOrEmpty(id) && string.IsNullOrEmpty(type))
        {
            throw GrpcException.InvalidArgument("name the activity: give its id or its type");
        }
        var matches = run.Activities.Values
            .Where(a => all || (id != null ? a.ActivityId == id : a.Attributes.ActivityType.Name == type))
            .ToList();
        return matches.Count > 0 || all
            ? matches
            : throw GrpcException.NotFound(
                $"workflow '{run.WorkflowId}' has no pending activity with {(id != null ? $"id '{id}'" : $"type '{type}'")}");
    }

    /// <summary>
    /// The end of a failed attempt of a paused or reset activity, if it is one: a reset starts attempt 1 at
    /// once (unless paused), a pause keeps the next attempt until the unpause. Returns false for any other.
    /// </summary>
    private bool RetryPausedOrReset(WorkflowRun run, ActivityState activity, Failure failure)
    {
        if (!activity.Paused && !activity.ResetRequested)
        {
            return false;
        }
        activity.CancelAttemptTimers();
        activity.LastFailure = failure;
        activity.StartedEvent = null;
        activity.StartedTime = null;
        activity.Attempt = activity.ResetRequested ? 1 : activity.Attempt + 1;
        activity.ResetRequested = false;
        activity.AttemptScheduledTime = Clock.UtcNow;
        if (activity.Paused)
        {
            activity.InBackoff = true;
            activity.RetryAt = null;
        }
        else
        {
            DispatchActivityAttempt(run, activity);
        }
        return true;
    }
}
