using Google.Protobuf.Collections;
using Google.Protobuf.WellKnownTypes;
using MaintenanceWorkflows.DevServer.Grpc;
using Temporalio.Api.Command.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.Failure.V1;
using Temporalio.Api.History.V1;
using Temporalio.Api.Protocol.V1;
using Temporalio.Api.Update.V1;
using Temporalio.Api.WorkflowService.V1;
using Temporalio.Exceptions;

namespace MaintenanceWorkflows.DevServer.Engine;

/// <summary>
/// Workflow updates over the message protocol: requests ride on a workflow task as protocol messages,
/// the worker answers with Acceptance / Rejection / Response messages (and PROTOCOL_MESSAGE commands
/// that place acceptances and responses among its other commands).
/// </summary>
public sealed partial class WorkflowEngine
{
    /// <summary>
    /// Longest an update call waits for its stage before answering with the stage reached, so the
    /// client asks again (Temporal's long-poll interval for updates).
    /// </summary>
    private static readonly TimeSpan UpdateLongPoll = TimeSpan.FromSeconds(20);

    private const string UnprocessedUpdateMessage =
        "Workflow Update is rejected because it wasn't processed by worker. Probably, Workflow Update is not supported by the worker.";

    private const string WorkflowClosedBeforeUpdateCompleted =
        "Workflow Update failed because the Workflow completed before the Update completed.";

    /// <summary>The application failure type Temporal gives an accepted update whose workflow closed first.</summary>
    private const string AcceptedUpdateCompletedWorkflowType = "AcceptedUpdateCompletedWorkflow";

    /// <summary>The application failure type Temporal gives an update the worker neither accepted nor rejected.</summary>
    private const string UnprocessedUpdateType = "UnprocessedUpdate";

    private long updateAdmissions;

    public async Task<UpdateWorkflowExecutionResponse> UpdateAsync(UpdateWorkflowExecutionRequest req, CallContext ctx)
    {
        var updateId = req.Request?.Meta?.UpdateId;
        if (string.IsNullOrEmpty(updateId))
        {
            throw GrpcException.InvalidArgument("request.meta.update_id is required: give every update a unique id");
        }
        if (string.IsNullOrEmpty(req.Request!.Input?.Name))
        {
            throw GrpcException.InvalidArgument("request.input.name is required: name the update handler to call");
        }
        var stage = RequestedStage(req.WaitPolicy);
        WorkflowRun run;
        UpdateState update;
        using (Locked())
        {
            run = FindRun(req.Namespace, req.WorkflowExecution);
            if (!string.IsNullOrEmpty(req.FirstExecutionRunId) && req.FirstExecutionRunId != run.Start.FirstExecutionRunId)
            {
                throw GrpcException.NotFound(
                    $"workflow '{run.WorkflowId}' has no run chain starting with run id '{req.FirstExecutionRunId}'");
            }
            if (!run.Updates.TryGetValue(updateId, out var existing))
            {
                if (!run.IsRunning)
                {
                    throw WorkflowCompleted();
                }
                existing = new UpdateState(updateId, req.Request, ++updateAdmissions);
                run.Updates[updateId] = existing;
                ScheduleTaskForWaitingUpdates(run);
                Commit(run);
            }
            update = existing;
        }
        var (reached, outcome) = await AwaitUpdateStageAsync(update, stage, ctx);
        return new UpdateWorkflowExecutionResponse
        {
            UpdateRef = new UpdateRef { WorkflowExecution = run.Execution, UpdateId = update.Id },
            Stage = reached,
            Outcome = outcome,
        };
    }

    public async Task<PollWorkflowExecutionUpdateResponse> PollUpdateAsync(PollWorkflowExecutionUpdateRequest req, CallContext ctx)
    {
        var updateId = req.UpdateRef?.UpdateId;
        if (string.IsNullOrEmpty(updateId))
        {
            throw GrpcException.InvalidArgument("update_ref.update_id is required");
        }
        var stage = RequestedStage(req.WaitPolicy);
        WorkflowRun run;
        UpdateState update;
        using (Locked())
        {
            run = FindRun(req.Namespace, req.UpdateRef!.WorkflowExecution);
            if (!run.Updates.TryGetValue(updateId, out var found))
            {
                throw GrpcException.NotFound(
                    $"update '{updateId}' not found in workflow '{run.WorkflowId}' (run '{run.RunId}'): it was never sent, was rejected, or never reached the workflow");
            }
            update = found;
        }
        var (reached, outcome) = await AwaitUpdateStageAsync(update, stage, ctx);
        return new PollWorkflowExecutionUpdateResponse
        {
            UpdateRef = new UpdateRef { WorkflowExecution = run.Execution, UpdateId = update.Id },
            Stage = reached,
            Outcome = outcome,
        };
    }

    private static UpdateWorkflowExecutionLifecycleStage RequestedStage(WaitPolicy? policy) =>
        policy?.LifecycleStage switch
        {
            null or UpdateWorkflowExecutionLifecycleStage.Unspecified or UpdateWorkflowExecutionLifecycleStage.Accepted =>
                UpdateWorkflowExecutionLifecycleStage.Accepted,
            UpdateWorkflowExecutionLifecycleStage.Completed => UpdateWorkflowExecutionLifecycleStage.Completed,
            var other => throw GrpcException.InvalidArgument(
                $"wait_policy.lifecycle_stage {other} is not supported: wait for ACCEPTED or COMPLETED"),
        };

    /// <summary>
    /// Waits until the update reaches <paramref name="stage"/>. A caller whose own deadline is within the
    /// update long poll gets DeadlineExceeded when it passes; otherwise the call is answered after the
    /// long poll with the stage reached so far, and the client asks again.
    /// </summary>
    private async Task<(UpdateWorkflowExecutionLifecycleStage Stage, Outcome? Outcome)> AwaitUpdateStageAsync(
        UpdateState update, UpdateWorkflowExecutionLifecycleStage stage, CallContext ctx)
    {
        var target = stage == UpdateWorkflowExecutionLifecycleStage.Completed ? update.Done.Task : update.AcceptedOrDone.Task;
        var callerDeadline = ctx.Timeout is { } timeout && timeout <= UpdateLongPoll;
        var wait = callerDeadline ? ctx.Timeout!.Value : UpdateLongPoll;
        if (!await WaitQuietlyAsync(target.WaitAsync(wait, ctx.CancellationToken)))
        {
            ctx.CancellationToken.ThrowIfCancellationRequested();
            if (callerDeadline)
            {
                throw new GrpcException(
                    RpcException.StatusCode.DeadlineExceeded,
                    $"update '{update.Id}' did not reach stage {stage} before the deadline: is a worker polling the workflow's task queue?");
            }
        }
        using (Locked())
        {
            if (update.Error is { } error)
            {
                throw new GrpcException(error.Code, error.Message, error.Detail);
            }
            return (update.Stage, update.Outcome);
        }
    }

    private static GrpcException WorkflowCompleted() => GrpcException.NotFound("workflow execution already completed");

    /// <summary>What Temporal answers for an update still waiting for the worker when its workflow closed.</summary>
    private static GrpcException AbortedByClosingWorkflow() => GrpcException.NotFound("workflow update was aborted by closing workflow");

    /// <summary>An update-only workflow task when updates wait and no task is outstanding (or about to be).</summary>
    private void ScheduleTaskForWaitingUpdates(WorkflowRun run)
    {
        if (run.IsRunning && run.WorkflowTask == null && !run.AwaitingFirstTask &&
            run.Updates.Values.Any(u => u.Stage == UpdateWorkflowExecutionLifecycleStage.Admitted && u.DeliveredOn == null))
        {
            ScheduleWorkflowTask(run, 1, speculative: true);
        }
    }

    /// <summary>Puts every admitted, not yet delivered update on the task being started, oldest first.</summary>
    private static void DeliverUpdates(WorkflowRun run, WorkflowTaskState task, PollWorkflowTaskQueueResponse response)
    {
        var waiting = run.Updates.Values
            .Where(u => u.Stage == UpdateWorkflowExecutionLifecycleStage.Admitted && u.DeliveredOn == null)
            .OrderBy(u => u.AdmissionOrder);
        foreach (var update in waiting)
        {
            response.Messages.Add(new Message
            {
                Id = update.RequestMessageId,
                ProtocolInstanceId = update.Id,
                // Processed after every event of the task, as Temporal sequences them.
                EventId = response.StartedEventId - 1,
                Body = Any.Pack(update.Request),
            });
            update.DeliveredOn = task;
            task.DeliveredUpdates.Add(update);
        }
    }

    /// <summary>The task carrying these updates failed or was not delivered: they wait for the next one.</summary>
    private static void ReturnDeliveredUpdates(WorkflowTaskState task)
    {
        foreach (var update in task.DeliveredUpdates.Where(u => u.DeliveredOn == task))
        {
            update.DeliveredOn = null;
        }
        task.DeliveredUpdates.Clear();
    }

    /// <summary>A speculative task that only rejected updates, with nothing else new, is dropped from history.</summary>
    private static bool IsDiscardable(WorkflowRun run, WorkflowTaskState task, RespondWorkflowTaskCompletedRequest req) =>
        task.Speculative && req.Commands.Count == 0 && run.Buffered.Count == 0 && !req.ForceCreateNewWorkflowTask &&
        run.History.Count == task.HistoryCountAtSchedule && req.Messages.All(m => m.Body.Is(Rejection.Descriptor));

    /// <summary>
    /// Checks the completion's update messages against the run before anything is applied, in the
    /// order they will be applied, so a bad completion fails the task and changes nothing else.
    /// </summary>
    private static string? ValidateUpdateMessages(
        WorkflowRun run, IList<Command> commands, IList<Message> messages, out WorkflowTaskFailedCause cause)
    {
        cause = WorkflowTaskFailedCause.BadUpdateWorkflowExecutionMessage;
        var byId = new Dictionary<string, Message>(StringComparer.Ordinal);
        for (var i = 0; i < messages.Count; i++)
        {
            var message = messages[i];
            if (string.IsNullOrEmpty(message.Id) || !byId.TryAdd(message.Id, message))
            {
                return $"message {i} needs an id unique within the completion";
            }
            if (string.IsNullOrEmpty(message.ProtocolInstanceId))
            {
                return $"message '{message.Id}' needs protocol_instance_id (the update id)";
            }
            if (message.Body == null ||
                !(message.Body.Is(Acceptance.Descriptor) || message.Body.Is(Rejection.Descriptor) || message.Body.Is(Response.Descriptor)))
            {
                return $"message '{message.Id}' carries '{message.Body?.TypeUrl}', not an update Acceptance, Rejection or Response";
            }
        }
        for (var i = 0; i < commands.Count; i++)
        {
            if (commands[i].CommandType == CommandType.ProtocolMessage &&
                !byId.ContainsKey(commands[i].ProtocolMessageCommandAttributes.MessageId))
            {
                return $"command {i}: ProtocolMessage names message '{commands[i].ProtocolMessageCommandAttributes.MessageId}', which the completion does not carry";
            }
        }
        var accepted = run.Updates.Values
            .Where(u => u.Stage == UpdateWorkflowExecutionLifecycleStage.Accepted)
            .Select(u => u.Id)
            .ToHashSet(StringComparer.Ordinal);
        foreach (var message in InApplyOrder(commands, messages))
        {
            var id = message.ProtocolInstanceId;
            run.Updates.TryGetValue(id, out var update);
            if (message.Body.TryUnpack<Acceptance>(out var acceptance))
            {
                if (update == null && acceptance.AcceptedRequest == null)
                {
                    return $"message '{message.Id}' accepts update '{id}', which this workflow does not know";
                }
                if (accepted.Contains(id) || update?.Stage == UpdateWorkflowExecutionLifecycleStage.Completed)
                {
                    return $"message '{message.Id}' accepts update '{id}' a second time";
                }
                accepted.Add(id);
            }
            else if (message.Body.TryUnpack<Response>(out var response))
            {
                if (!accepted.Remove(id))
                {
                    return $"message '{message.Id}' completes update '{id}', which was not accepted first";
                }
                if (response.Outcome == null)
                {
                    return $"message '{message.Id}' completes update '{id}' without an outcome";
                }
            }
            else if (accepted.Contains(id))
            {
                return $"message '{message.Id}' rejects update '{id}', which was already accepted";
            }
        }
        cause = WorkflowTaskFailedCause.Unspecified;
        return null;
    }

    /// <summary>Messages placed by PROTOCOL_MESSAGE commands, in command order, then the rest in arrival order.</summary>
    private static IEnumerable<Message> InApplyOrder(IList<Command> commands, IList<Message> messages)
    {
        var byId = messages.ToDictionary(m => m.Id, StringComparer.Ordinal);
        var placed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var command in commands.Where(c => c.CommandType == CommandType.ProtocolMessage))
        {
            var id = command.ProtocolMessageCommandAttributes.MessageId;
            if (placed.Add(id))
            {
                yield return byId[id];
            }
        }
        foreach (var message in messages.Where(m => !placed.Contains(m.Id)))
        {
            yield return message;
        }
    }

    /// <summary>
    /// Applies a validated completion: commands in order, each PROTOCOL_MESSAGE command at its place;
    /// messages no command placed (rejections) before a closing command, or after the rest; finally
    /// updates the worker ignored are rejected for it. Returns true when a new workflow task is needed.
    /// </summary>
    private bool ApplyCompletion(
        WorkflowRun run, WorkflowTaskState task, IList<Command> commands, RepeatedField<Message> messages, long completedEventId)
    {
        var byId = messages.ToDictionary(m => m.Id, StringComparer.Ordinal);
        var placed = commands
            .Where(c => c.CommandType == CommandType.ProtocolMessage)
            .Select(c => c.ProtocolMessageCommandAttributes.MessageId)
            .ToHashSet(StringComparer.Ordinal);
        var unplacedDone = false;
        void ApplyUnplaced()
        {
            foreach (var message in messages.Where(m => !placed.Contains(m.Id)))
            {
                ApplyUpdateMessage(run, message);
            }
            RejectUnprocessedUpdates(run, task);
            unplacedDone = true;
        }

        var needsNewTask = false;
        var applied = new HashSet<string>(StringComparer.Ordinal);
        foreach (var command in commands)
        {
            if (command.CommandType == CommandType.ProtocolMessage)
            {
                var messageId = command.ProtocolMessageCommandAttributes.MessageId;
                if (applied.Add(messageId))
                {
                    ApplyUpdateMessage(run, byId[messageId]);
                }
                continue;
            }
            if (IsCloseCommand(command.CommandType) && !unplacedDone)
            {
                ApplyUnplaced();
            }
            needsNewTask |= ApplyCommand(run, command, completedEventId);
        }
        if (!unplacedDone)
        {
            ApplyUnplaced();
        }
        return needsNewTask;
    }

    private void ApplyUpdateMessage(WorkflowRun run, Message message)
    {
        var id = message.ProtocolInstanceId;
        run.Updates.TryGetValue(id, out var update);
        if (message.Body.TryUnpack<Acceptance>(out var acceptance))
        {
            if (update == null)
            {
                // The worker echoes the request: accept an update this server no longer holds (e.g. after a restart).
                update = new UpdateState(id, acceptance.AcceptedRequest, ++updateAdmissions);
                run.Updates[id] = update;
            }
            var accepted = NewEvent(EventType.WorkflowExecutionUpdateAccepted);
            accepted.WorkflowExecutionUpdateAcceptedEventAttributes = new()
            {
                ProtocolInstanceId = id,
                AcceptedRequestMessageId = acceptance.AcceptedRequestMessageId,
                AcceptedRequestSequencingEventId = acceptance.AcceptedRequestSequencingEventId,
                AcceptedRequest = acceptance.AcceptedRequest ?? update.Request,
            };
            Append(run, accepted);
            update.Accept(accepted.EventId);
        }
        else if (message.Body.TryUnpack<Response>(out var response))
        {
            var completed = NewEvent(EventType.WorkflowExecutionUpdateCompleted);
            completed.WorkflowExecutionUpdateCompletedEventAttributes = new()
            {
                Meta = response.Meta ?? new Meta { UpdateId = id },
                AcceptedEventId = update!.AcceptedEventId,
                Outcome = response.Outcome,
            };
            Append(run, completed);
            update.Complete(response.Outcome);
        }
        else if (message.Body.TryUnpack<Rejection>(out var rejection) && update != null)
        {
            // Rejections leave no trace: the caller gets the failure, and the id may be used again.
            run.Updates.Remove(id);
            update.Complete(new Outcome { Failure = rejection.Failure ?? new Failure { Message = "update rejected" } });
        }
    }

    /// <summary>Updates delivered on this task that the worker neither accepted nor rejected are rejected for it.</summary>
    private static void RejectUnprocessedUpdates(WorkflowRun run, WorkflowTaskState task)
    {
        foreach (var update in task.DeliveredUpdates.Where(u => u.DeliveredOn == task && u.Stage == UpdateWorkflowExecutionLifecycleStage.Admitted))
        {
            run.Updates.Remove(update.Id);
            update.Complete(new Outcome
            {
                Failure = new Failure
                {
                    Message = UnprocessedUpdateMessage,
                    Source = "Server",
                    ApplicationFailureInfo = new() { Type = UnprocessedUpdateType, NonRetryable = true },
                },
            });
        }
        task.DeliveredUpdates.Clear();
    }

    /// <summary>
    /// The run closed: accepted updates end with Temporal's AcceptedUpdateCompletedWorkflow application
    /// failure (their callers expect an outcome); admitted ones with "aborted by closing workflow".
    /// </summary>
    private static void AbandonUpdates(WorkflowRun run)
    {
        foreach (var update in run.Updates.Values.ToList())
        {
            if (update.Done.Task.IsCompleted)
            {
                continue;
            }
            if (update.Stage == UpdateWorkflowExecutionLifecycleStage.Accepted)
            {
                update.Complete(new Outcome
                {
                    Failure = new Failure
                    {
                        Message = WorkflowClosedBeforeUpdateCompleted,
                        Source = "Server",
                        ApplicationFailureInfo = new() { Type = AcceptedUpdateCompletedWorkflowType, NonRetryable = true },
                    },
                });
            }
            else
            {
                run.Updates.Remove(update.Id);
                update.Abandon(AbortedByClosingWorkflow());
            }
        }
    }
}
