using MaintenanceWorkflows.DevServer.Grpc;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.Update.V1;

namespace MaintenanceWorkflows.DevServer.Engine;

/// <summary>
/// One workflow update. Admitted updates live only here (a rejection must leave no trace in history);
/// acceptance and completion are recorded as history events and mirrored here for callers and dedupe.
/// </summary>
public sealed class UpdateState
{
    public UpdateState(string id, Request request, long admissionOrder)
    {
        Id = id;
        Request = request;
        AdmissionOrder = admissionOrder;
    }

    /// <summary>Requests reach the worker in the order they were admitted.</summary>
    public long AdmissionOrder { get; }

    public string Id { get; }

    public Request Request { get; }

    public string RequestMessageId => $"{Id}/request";

    public UpdateWorkflowExecutionLifecycleStage Stage { get; private set; } = UpdateWorkflowExecutionLifecycleStage.Admitted;

    /// <summary>The workflow task the request is riding on, until the worker answers.</summary>
    public WorkflowTaskState? DeliveredOn { get; set; }

    public long AcceptedEventId { get; private set; }

    /// <summary>Success, handler failure or rejection; set once the update reached the completed stage.</summary>
    public Outcome? Outcome { get; private set; }

    /// <summary>Set instead of an outcome when the update can never be processed (its workflow closed first).</summary>
    public GrpcException? Error { get; private set; }

    /// <summary>Completes once the update was accepted, rejected, completed or abandoned.</summary>
    public TaskCompletionSource AcceptedOrDone { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once the update has an outcome or was abandoned.</summary>
    public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Accept(long acceptedEventId)
    {
        Stage = UpdateWorkflowExecutionLifecycleStage.Accepted;
        AcceptedEventId = acceptedEventId;
        DeliveredOn = null;
        AcceptedOrDone.TrySetResult();
    }

    public void Complete(Outcome outcome)
    {
        Stage = UpdateWorkflowExecutionLifecycleStage.Completed;
        Outcome = outcome;
        DeliveredOn = null;
        AcceptedOrDone.TrySetResult();
        Done.TrySetResult();
    }

    public void Abandon(GrpcException error)
    {
        Error = error;
        DeliveredOn = null;
        AcceptedOrDone.TrySetResult();
        Done.TrySetResult();
    }
}
