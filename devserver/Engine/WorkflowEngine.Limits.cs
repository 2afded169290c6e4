using Google.Protobuf;
using MaintenanceWorkflows.DevServer.Grpc;
using Microsoft.Extensions.Logging;
using Temporalio.Api.Command.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.Failure.V1;

namespace MaintenanceWorkflows.DevServer.Engine;

/// <summary>
/// Temporal's size and count limits (<see cref="ServerLimits"/>), with Temporal's answers: a client call
/// with an oversized blob is refused; a workflow task whose command carries one terminates the run (the
/// workflow could never make progress); an oversized activity result fails the activity; a history over
/// its count or size limit terminates the run.
/// </summary>
public sealed partial class WorkflowEngine
{
    private const string BlobTooLarge = "Blob data size exceeds limit.";

    /// <summary>Refuses a client request whose payload is over limit.blobSize.error (memo: limit.memoSize.error).</summary>
    private void RequireBlobWithinLimit(string field, IMessage? blob, bool memo = false)
    {
        if (blob == null)
        {
            return;
        }
        var size = blob.CalculateSize();
        var limit = memo ? Limits.MemoSizeError : Limits.BlobSizeError;
        if (size > limit)
        {
            throw GrpcException.InvalidArgument(
                $"{(memo ? "Memo size exceeds limit." : BlobTooLarge)} {field} is {size} bytes; the limit is {limit} " +
                $"({(memo ? "limit.memoSize.error" : "limit.blobSize.error")}): pass a reference to the data instead");
        }
        WarnIfLarge(field, size);
    }

    private void WarnIfLarge(string field, long size)
    {
        if (size > Limits.BlobSizeWarn)
        {
            logger.LogWarning(
                "{Field} is {Size} bytes, over the warning limit {Limit} (limit.blobSize.warn); the error limit is {Error}",
                field, size, Limits.BlobSizeWarn, Limits.BlobSizeError);
        }
    }

    /// <summary>The first command carrying a payload over limit.blobSize.error, with Temporal's cause and wording.</summary>
    private (WorkflowTaskFailedCause Cause, string Message)? OversizedCommand(IList<Command> commands)
    {
        foreach (var command in commands)
        {
            var (cause, field, blob) = command.CommandType switch
            {
                CommandType.ScheduleActivityTask => (WorkflowTaskFailedCause.BadScheduleActivityAttributes,
                    "ScheduleActivityTaskCommandAttributes.Input", (IMessage?)command.ScheduleActivityTaskCommandAttributes?.Input),
                CommandType.CompleteWorkflowExecution => (WorkflowTaskFailedCause.BadCompleteWorkflowExecutionAttributes,
                    "CompleteWorkflowExecutionCommandAttributes.Result", command.CompleteWorkflowExecutionCommandAttributes?.Result),
                CommandType.FailWorkflowExecution => (WorkflowTaskFailedCause.BadFailWorkflowExecutionAttributes,
                    "FailWorkflowExecutionCommandAttributes.Failure", command.FailWorkflowExecutionCommandAttributes?.Failure),
                CommandType.CancelWorkflowExecution => (WorkflowTaskFailedCause.BadCancelWorkflowExecutionAttributes,
                    "CancelWorkflowExecutionCommandAttributes.Details", command.CancelWorkflowExecutionCommandAttributes?.Details),
                CommandType.ContinueAsNewWorkflowExecution => (WorkflowTaskFailedCause.BadContinueAsNewAttributes,
                    "ContinueAsNewWorkflowExecutionCommandAttributes.Input", command.ContinueAsNewWorkflowExecutionCommandAttributes?.Input),
                CommandType.StartChildWorkflowExecution => (WorkflowTaskFailedCause.BadStartChildExecutionAttributes,
                    "StartChildWorkflowExecutionCommandAttributes.Input", command.StartChildWorkflowExecutionCommandAttributes?.Input),
                CommandType.SignalExternalWorkflowExecution => (WorkflowTaskFailedCause.BadSignalWorkflowExecutionAttributes,
                    "SignalExternalWorkflowExecutionCommandAttributes.Input", command.SignalExternalWorkflowExecutionCommandAttributes?.Input),
                CommandType.RecordMarker => (WorkflowTaskFailedCause.BadRecordMarkerAttributes,
                    "RecordMarkerCommandAttributes.Details", MarkerDetails(command.RecordMarkerCommandAttributes)),
                CommandType.ModifyWorkflowProperties => (WorkflowTaskFailedCause.BadModifyWorkflowPropertiesAttributes,
                    "ModifyWorkflowPropertiesCommandAttributes.UpsertedMemo", command.ModifyWorkflowPropertiesCommandAttributes?.UpsertedMemo),
                _ => (WorkflowTaskFailedCause.Unspecified, string.Empty, null),
            };
            if (blob == null)
            {
                continue;
            }
            var size = blob.CalculateSize();
            if (size > Limits.BlobSizeError)
            {
                return (cause, $"{field} exceeds size limit.");
            }
            WarnIfLarge(field, size);
        }
        return null;
    }

    private static IMessage? MarkerDetails(RecordMarkerCommandAttributes? marker)
    {
        if (marker == null || marker.Details.Count == 0)
        {
            return null;
        }
        var all = new Temporalio.Api.Common.V1.Payloads();
        foreach (var payloads in marker.Details.Values)
        {
            all.Payloads_.Add(payloads.Payloads_);
        }
        return all;
    }

    /// <summary>
    /// A completion carrying an oversized payload: the task is recorded as failed with the cause and the run
    /// is terminated, as Temporal does (retrying the same task could never succeed).
    /// </summary>
    private void TerminateForOversizedCommand(
        WorkflowRun run, WorkflowTaskState task, WorkflowTaskFailedCause cause, string message, string identity)
    {
        logger.LogWarning("Workflow {WorkflowId}/{RunId} terminated: {Cause}: {Message}", run.WorkflowId, run.RunId, cause, message);
        var startedEvent = AppendStartedTask(run, task);
        var failed = NewEvent(EventType.WorkflowTaskFailed);
        failed.WorkflowTaskFailedEventAttributes = new()
        {
            ScheduledEventId = task.ScheduledEventId,
            StartedEventId = startedEvent.EventId,
            Cause = cause,
            Failure = new Failure { Message = message, ServerFailureInfo = new() { NonRetryable = true } },
            Identity = identity,
        };
        Append(run, failed);
        task.Timeout?.Cancel();
        run.WorkflowTask = null;
        FlushBuffered(run);
        var terminated = NewEvent(EventType.WorkflowExecutionTerminated);
        terminated.WorkflowExecutionTerminatedEventAttributes = new()
        {
            Reason = $"{cause}: {message}",
            Identity = "history-service",
        };
        CloseWith(run, WorkflowExecutionStatus.Terminated, next: null, _ => terminated);
    }

    /// <summary>Terminates a run whose history passed limit.historyCount.error or limit.historySize.error.</summary>
    private void EnforceHistoryLimits(WorkflowRun run)
    {
        if (!run.IsRunning)
        {
            return;
        }
        string reason;
        if (run.History.Count >= Limits.HistoryCountError)
        {
            reason = "Workflow history count exceeds limit.";
        }
        else if (run.HistorySizeBytes >= Limits.HistorySizeError)
        {
            reason = "Workflow history size exceeds limit.";
        }
        else
        {
            return;
        }
        logger.LogWarning(
            "Workflow {WorkflowId}/{RunId} terminated: {Reason} ({Count} events, {Size} bytes)",
            run.WorkflowId, run.RunId, reason, run.History.Count, run.HistorySizeBytes);
        var terminated = NewEvent(EventType.WorkflowExecutionTerminated);
        terminated.WorkflowExecutionTerminatedEventAttributes = new() { Reason = reason, Identity = "history-service" };
        ForceClose(run, terminated, WorkflowExecutionStatus.Terminated);
    }
}
