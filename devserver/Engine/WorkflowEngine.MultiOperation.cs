using Google.Protobuf.WellKnownTypes;
using MaintenanceWorkflows.DevServer.Grpc;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.ErrorDetails.V1;
using Temporalio.Api.Failure.V1;
using Temporalio.Api.Update.V1;
using Temporalio.Api.WorkflowService.V1;
using Temporalio.Exceptions;

namespace MaintenanceWorkflows.DevServer.Engine;

/// <summary>
/// ExecuteMultiOperation as Temporal supports it: update-with-start, i.e. exactly a StartWorkflow then an
/// UpdateWorkflow for the same workflow id, applied together (the update reaches the run the start created
/// or, with USE_EXISTING, the running one). A failure names the operation at fault and marks the other
/// aborted, in a MultiOperationExecutionFailure detail.
/// </summary>
public sealed partial class WorkflowEngine
{
    public async Task<ExecuteMultiOperationResponse> ExecuteMultiOperationAsync(ExecuteMultiOperationRequest req, CallContext ctx)
    {
        var (start, update) = ValidateMultiOperation(req);
        var updateId = update.Request.Meta.UpdateId;
        var stage = RequestedStage(update.WaitPolicy);
        WorkflowRun run;
        UpdateState admitted;
        bool started;
        using (Locked())
        {
            try
            {
                (run, started) = StartLocked(new StartArgs(start), signal: null);
            }
            catch (GrpcException ex)
            {
                throw MultiOperationFailure(ex, failedIndex: 0);
            }
            if (!run.Updates.TryGetValue(updateId, out var existing))
            {
                existing = new UpdateState(updateId, update.Request, ++updateAdmissions);
                run.Updates[updateId] = existing;
                ScheduleTaskForWaitingUpdates(run);
                Commit(run);
            }
            admitted = existing;
        }
        var (reached, outcome) = await AwaitUpdateStageAsync(admitted, stage, ctx);
        var response = new ExecuteMultiOperationResponse();
        response.Responses.Add(new ExecuteMultiOperationResponse.Types.Response
        {
            StartWorkflow = new StartWorkflowExecutionResponse { RunId = run.RunId, Started = started },
        });
        response.Responses.Add(new ExecuteMultiOperationResponse.Types.Response
        {
            UpdateWorkflow = new UpdateWorkflowExecutionResponse
            {
                UpdateRef = new UpdateRef { WorkflowExecution = run.Execution, UpdateId = updateId },
                Stage = reached,
                Outcome = outcome,
            },
        });
        return response;
    }

    private static (StartWorkflowExecutionRequest Start, UpdateWorkflowExecutionRequest Update) ValidateMultiOperation(ExecuteMultiOperationRequest req)
    {
        if (req.Operations.Count != 2 ||
            req.Operations[0].OperationCase != ExecuteMultiOperationRequest.Types.Operation.OperationOneofCase.StartWorkflow ||
            req.Operations[1].OperationCase != ExecuteMultiOperationRequest.Types.Operation.OperationOneofCase.UpdateWorkflow)
        {
            throw GrpcException.InvalidArgument(
                "operations must be exactly a StartWorkflow followed by an UpdateWorkflow (update-with-start is the only multi-operation)");
        }
        var start = req.Operations[0].StartWorkflow;
        var update = req.Operations[1].UpdateWorkflow;
        GrpcException Invalid(int index, string message) => MultiOperationFailure(GrpcException.InvalidArgument(message), index);
        if (start.Namespace != req.Namespace || update.Namespace != req.Namespace)
        {
            throw Invalid(0, "every operation must use the request's namespace");
        }
        if (start.WorkflowIdConflictPolicy == WorkflowIdConflictPolicy.Unspecified)
        {
            throw Invalid(0, "workflow_id_conflict_policy is required for update-with-start: USE_EXISTING or FAIL");
        }
        if (start.WorkflowStartDelay != null || !string.IsNullOrEmpty(start.CronSchedule))
        {
            throw Invalid(0, "update-with-start cannot use a start delay or a cron schedule: the update needs a running workflow");
        }
        if (update.WorkflowExecution?.WorkflowId != start.WorkflowId)
        {
            throw Invalid(1, "the update's workflow_execution.workflow_id must be the start's workflow_id");
        }
        if (!string.IsNullOrEmpty(update.WorkflowExecution.RunId) || !string.IsNullOrEmpty(update.FirstExecutionRunId))
        {
            throw Invalid(1, "the update of an update-with-start must not name a run id");
        }
        if (string.IsNullOrEmpty(update.Request?.Meta?.UpdateId))
        {
            throw Invalid(1, "request.meta.update_id is required: give every update a unique id");
        }
        if (string.IsNullOrEmpty(update.Request.Input?.Name))
        {
            throw Invalid(1, "request.input.name is required: name the update handler to call");
        }
        return (start, update);
    }

    /// <summary>Temporal's shape: one status per operation, the failing one with its error, the other aborted.</summary>
    private static GrpcException MultiOperationFailure(GrpcException cause, int failedIndex)
    {
        var failure = new MultiOperationExecutionFailure();
        for (var i = 0; i < 2; i++)
        {
            var status = new MultiOperationExecutionFailure.Types.OperationStatus();
            if (i == failedIndex)
            {
                status.Code = (int)cause.Code;
                status.Message = cause.Message;
                if (cause.Detail != null)
                {
                    status.Details.Add(Any.Pack(cause.Detail));
                }
            }
            else
            {
                status.Code = (int)RpcException.StatusCode.Aborted;
                status.Message = "Operation was aborted.";
                status.Details.Add(Any.Pack(new MultiOperationExecutionAborted()));
            }
            failure.Statuses.Add(status);
        }
        return new GrpcException(
            RpcException.StatusCode.Aborted, $"Update-with-start could not be executed: {cause.Message}", failure);
    }
}
