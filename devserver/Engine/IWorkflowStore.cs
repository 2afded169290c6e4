namespace MaintenanceWorkflows.DevServer.Engine;

/// <summary>
/// The persistence seam. The engine calls <see cref="RunChanged"/> with its lock held at the end of
/// every operation that changed a run (history, side records or both), before the RPC that caused
/// the change is answered, so a durable store can write the run there and survive a crash.
/// </summary>
public interface IWorkflowStore
{
    void RunChanged(WorkflowRun run);

    /// <summary>A namespace's custom search attributes changed (called with the engine lock held).</summary>
    void SearchAttributesChanged(string ns, IReadOnlyDictionary<string, Temporalio.Api.Enums.V1.IndexedValueType> custom);
}

/// <summary>The default: the engine's own dictionaries are the store.</summary>
public sealed class InMemoryWorkflowStore : IWorkflowStore
{
    public void RunChanged(WorkflowRun run)
    {
        // Nothing to write: state lives in the engine's memory for the process lifetime.
    }

    public void SearchAttributesChanged(string ns, IReadOnlyDictionary<string, Temporalio.Api.Enums.V1.IndexedValueType> custom)
    {
        // Nothing to write, as above.
    }
}
