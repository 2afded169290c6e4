using System.Buffers.Binary;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using MaintenanceWorkflows.DevServer.Grpc;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.ErrorDetails.V1;
using Temporalio.Api.History.V1;
using Temporalio.Api.Query.V1;
using Temporalio.Api.Workflow.V1;
using Temporalio.Api.WorkflowService.V1;
using Temporalio.Exceptions;

namespace MaintenanceWorkflows.DevServer.Engine;

public sealed partial class WorkflowEngine
{
    private const int DefaultHistoryPageSize = 1000;

    public async Task<QueryWorkflowResponse> QueryAsync(QueryWorkflowRequest req, CallContext ctx)
    {
        if (string.IsNullOrEmpty(req.Query?.QueryType))
        {
            throw GrpcException.InvalidArgument("query.query_type is required");
        }
        PendingQuery query;
        using (Locked())
        {
            var run = FindRun(req.Namespace, req.Execution);
            if (!run.IsRunning &&
                (req.QueryRejectCondition == QueryRejectCondition.NotOpen ||
                 (req.QueryRejectCondition == QueryRejectCondition.NotCompletedCleanly &&
                  run.Status != WorkflowExecutionStatus.Completed)))
            {
                return new QueryWorkflowResponse { QueryRejected = new QueryRejected { Status = run.Status } };
            }
            if (run.LastCompletedWorkflowTaskStartedId == 0 && (!run.IsRunning || run.WorkflowTask == null))
            {
                throw new GrpcException(
                    RpcException.StatusCode.FailedPrecondition,
                    "workflow has not completed its first workflow task yet, so it cannot answer queries",
                    new WorkflowNotReadyFailure());
            }
            query = new PendingQuery(run, req.Query);
            queriesById[query.Id] = query;
            run.Queries.Add(query);
            // Idle or closed: a legacy query task now. Otherwise it rides on the next workflow task.
            if (!run.IsRunning || run.WorkflowTask == null)
            {
                DispatchLegacyQueries(run);
            }
        }
        try
        {
            return await query.Result.Task.WaitAsync(ctx.Timeout ?? CallContext.DefaultLongPoll, ctx.CancellationToken);
        }
        catch (TimeoutException)
        {
            throw new GrpcException(RpcException.StatusCode.DeadlineExceeded, "query was not answered before the deadline: is a worker polling the workflow's task queue?");
        }
        finally
        {
            using (Locked())
            {
                queriesById.Remove(query.Id);
                query.Run.Queries.Remove(query);
            }
        }
    }

    /// <summary>Hands every waiting query of an idle or closed run out as its own legacy query task.</summary>
    private void DispatchLegacyQueries(WorkflowRun run)
    {
        if (run.IsRunning && run.WorkflowTask != null)
        {
            return;
        }
        foreach (var query in run.Queries.Where(q => !q.Legacy))
        {
            query.Legacy = true;
            Queue(run.Namespace, run.Start.TaskQueue.Name, activity: false).Enqueue(new QueryTaskRef(run, query));
        }
    }

    private PollWorkflowTaskQueueResponse? TryStartLegacyQuery(QueryTaskRef queryRef, CallContext ctx)
    {
        var (run, query) = (queryRef.Run, queryRef.Query);
        if (query.Result.Task.IsCompleted || !queriesById.ContainsKey(query.Id))
        {
            return null;
        }
        var response = new PollWorkflowTaskQueueResponse
        {
            TaskToken = TaskToken.ForQuery(query),
            WorkflowExecution = run.Execution,
            WorkflowType = run.Start.WorkflowType,
            PreviousStartedEventId = run.LastCompletedWorkflowTaskStartedId,
            StartedEventId = 0,
            Attempt = 1,
            History = new(),
            Query = query.Query,
            WorkflowExecutionTaskQueue = run.Start.TaskQueue,
        };
        response.History.Events.AddRange(run.History);
        ctx.OnUndelivered(() =>
        {
            using (Locked())
            {
                if (!query.Result.Task.IsCompleted && queriesById.ContainsKey(query.Id))
                {
                    Queue(run.Namespace, run.Start.TaskQueue.Name, activity: false).Enqueue(queryRef);
                }
            }
        });
        return response;
    }

    public void RespondQueryTaskCompleted(RespondQueryTaskCompletedRequest req)
    {
        var queryId = TaskToken.DecodeQuery(req.TaskToken);
        using (Locked())
        {
            if (!queriesById.TryGetValue(queryId, out var query))
            {
                throw GrpcException.NotFound("query not found: its caller gave up waiting or it was already answered");
            }
            CompleteQuery(query, req.CompletedType, req.QueryResult, req.ErrorMessage, req.Failure);
        }
    }

    public async Task<GetWorkflowExecutionHistoryResponse> GetHistoryAsync(GetWorkflowExecutionHistoryRequest req, CallContext ctx)
    {
        var deadline = DateTime.UtcNow + ctx.LongPollWait;
        var from = DecodePageToken(req.NextPageToken);
        var pageSize = req.MaximumPageSize > 0 ? req.MaximumPageSize : DefaultHistoryPageSize;
        while (true)
        {
            Task changed;
            using (Locked())
            {
                var run = FindRun(req.Namespace, req.Execution);
                if (req.HistoryEventFilterType == HistoryEventFilterType.CloseEvent)
                {
                    if (run.CloseEvent is { } close)
                    {
                        var closed = new GetWorkflowExecutionHistoryResponse { History = new() };
                        closed.History.Events.Add(close);
                        return closed;
                    }
                }
                else if (run.History.Count >= from)
                {
                    var events = run.History.Skip((int)from - 1).Take(pageSize).ToList();
                    var nextFrom = from + events.Count;
                    if (events.Count > 0 || !req.WaitNewEvent || !run.IsRunning)
                    {
                        var page = new GetWorkflowExecutionHistoryResponse { History = new() };
                        page.History.Events.AddRange(events);
                        if (nextFrom <= run.History.Count || (req.WaitNewEvent && run.IsRunning))
                        {
                            page.NextPageToken = EncodePageToken(nextFrom);
                        }
                        return page;
                    }
                }
                if (!req.WaitNewEvent || !run.IsRunning)
                {
                    return new GetWorkflowExecutionHistoryResponse { History = new() };
                }
                // A result waiter wakes only when the run closes, not on every event before that.
                changed = req.HistoryEventFilterType == HistoryEventFilterType.CloseEvent
                    ? run.Closed.Task
                    : (run.Changed ??= WorkflowRun.NewSignal()).Task;
            }
            var remaining = deadline - DateTime.UtcNow;
            if (remaining <= TimeSpan.Zero || !await WaitQuietlyAsync(changed.WaitAsync(remaining, ctx.CancellationToken)))
            {
                ctx.CancellationToken.ThrowIfCancellationRequested();
                // Long-poll timeout: no history at all tells the SDK to ask again.
                return new GetWorkflowExecutionHistoryResponse
                {
                    NextPageToken = req.HistoryEventFilterType == HistoryEventFilterType.CloseEvent
                        ? ByteString.Empty
                        : EncodePageToken(from),
                };
            }
        }
    }

    private static ByteString EncodePageToken(long nextEventId)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(bytes, nextEventId);
        return ByteString.CopyFrom(bytes);
    }

    private static long DecodePageToken(ByteString token)
    {
        if (token.IsEmpty)
        {
            return 1;
        }
        if (token.Length != 8)
        {
            throw GrpcException.InvalidArgument("next_page_token is malformed: pass the token exactly as the previous page returned it");
        }
        return Math.Max(1, BinaryPrimitives.ReadInt64BigEndian(token.Span));
    }

    public DescribeWorkflowExecutionResponse Describe(DescribeWorkflowExecutionRequest req)
    {
        using (Locked())
        {
            var run = FindRun(req.Namespace, req.Execution);
            var info = ExecutionInfo(run);
            var response = new DescribeWorkflowExecutionResponse
            {
                ExecutionConfig = new WorkflowExecutionConfig
                {
                    TaskQueue = run.Start.TaskQueue,
                    WorkflowExecutionTimeout = run.Start.WorkflowExecutionTimeout,
                    WorkflowRunTimeout = run.Start.WorkflowRunTimeout,
                    DefaultWorkflowTaskTimeout = run.Start.WorkflowTaskTimeout,
                    UserMetadata = run.History.Count > 0 ? run.History[0].UserMetadata : null,
                },
                WorkflowExecutionInfo = info,
            };
            foreach (var activity in run.Activities.Values)
            {
                var state = activity.CancelRequested ? PendingActivityState.CancelRequested
                    : activity.Paused ? (activity.Started ? PendingActivityState.PauseRequested : PendingActivityState.Paused)
                    : activity.Started ? PendingActivityState.Started : PendingActivityState.Scheduled;
                var scheduleToClose = FromDuration(activity.Attributes.ScheduleToCloseTimeout);
                response.PendingActivities.Add(new PendingActivityInfo
                {
                    ActivityId = activity.ActivityId,
                    ActivityType = activity.Attributes.ActivityType,
                    State = state,
                    HeartbeatDetails = activity.HeartbeatDetails,
                    LastHeartbeatTime = activity.LastHeartbeatTime is { } hb ? Timestamp.FromDateTime(hb) : null,
                    LastStartedTime = activity.StartedTime is { } st ? Timestamp.FromDateTime(st) : null,
                    Attempt = activity.Attempt,
                    MaximumAttempts = activity.Attributes.RetryPolicy.MaximumAttempts,
                    ScheduledTime = Timestamp.FromDateTime(activity.AttemptScheduledTime),
                    ExpirationTime = scheduleToClose > TimeSpan.Zero
                        ? Timestamp.FromDateTime(activity.FirstScheduledTime + scheduleToClose)
                        : null,
                    LastFailure = activity.LastFailure,
                    LastWorkerIdentity = activity.Identity,
                    Paused = activity.Paused,
                });
            }
            foreach (var child in run.Children.Values.Where(c => c.RunId != null))
            {
                response.PendingChildren.Add(new PendingChildExecutionInfo
                {
                    WorkflowId = child.WorkflowId,
                    RunId = child.RunId,
                    WorkflowTypeName = child.WorkflowType,
                    InitiatedId = child.InitiatedEventId,
                    ParentClosePolicy = child.Policy,
                });
            }
            if (run.WorkflowTask is { } task)
            {
                response.PendingWorkflowTask = new PendingWorkflowTaskInfo
                {
                    State = task.StartedEvent != null ? PendingWorkflowTaskState.Started : PendingWorkflowTaskState.Scheduled,
                    ScheduledTime = Timestamp.FromDateTime(task.AvailableAt),
                    OriginalScheduledTime = Timestamp.FromDateTime(task.ScheduledTime),
                    StartedTime = task.StartedEvent?.EventTime,
                    Attempt = task.Attempt,
                };
            }
            return response;
        }
    }
}
