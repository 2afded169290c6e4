using Temporalio.Api.Enums.V1;
using Temporalio.Api.History.V1;

namespace MaintenanceWorkflows.DevServer.Engine;

/// <summary>
/// The persistence seam. The engine reports every change with its lock held (<see cref="RunChanged"/>
/// at the end of each change to a run) and calls <see cref="Flush"/> when it leaves the lock, before
/// the RPC that caused the changes is answered: a durable store writes them there, in one transaction.
/// </summary>
public interface IWorkflowStore
{
    /// <summary>What an earlier process left (nothing for a fresh or in-memory store).</summary>
    StoredState Load();

    void NamespacesChanged(IReadOnlyCollection<(string Name, string Id)> namespaces);

    void RunChanged(WorkflowRun run);

    /// <summary>A namespace's custom search attributes changed.</summary>
    void SearchAttributesChanged(string ns, IReadOnlyDictionary<string, IndexedValueType> custom);

    /// <summary>Makes everything reported since the last flush durable.</summary>
    void Flush();

    /// <summary>
    /// Gets a value indicating whether the store can give a run's events back (<see cref="ReadHistory"/>), so the
    /// engine may drop written histories from memory.
    /// </summary>
    bool KeepsHistories { get; }

    /// <summary>Whether everything <paramref name="run"/> holds is written (nothing waits for the next flush).</summary>
    bool IsWritten(WorkflowRun run);

    /// <summary>Every event of a run, in order, as written.</summary>
    IReadOnlyList<HistoryEvent> ReadHistory(string runId);
}

/// <summary>Everything a store holds, as loaded at start-up.</summary>
public sealed record StoredState(
    IReadOnlyList<(string Name, string Id)> Namespaces,
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, IndexedValueType>> SearchAttributes,
    IReadOnlyList<(Persistence.RunRecord Record, StoredHistory History)> Runs)
{
    public static StoredState Empty { get; } = new([], new Dictionary<string, IReadOnlyDictionary<string, IndexedValueType>>(), []);
}

/// <summary>
/// What a store says of one run's history at start-up: how many events, their encoded size, and the first and
/// last event; the rest is read with <see cref="IWorkflowStore.ReadHistory"/> when needed.
/// </summary>
public sealed record StoredHistory(int Count, long Bytes, HistoryEvent? First, HistoryEvent? Last)
{
    public static StoredHistory None { get; } = new(0, 0, null, null);
}

/// <summary>The default: the engine's own dictionaries are the store.</summary>
public sealed class InMemoryWorkflowStore : IWorkflowStore
{
    public StoredState Load() => StoredState.Empty;

    public void NamespacesChanged(IReadOnlyCollection<(string Name, string Id)> namespaces)
    {
        // Nothing to write: state lives in the engine's memory for the process lifetime.
    }

    public void RunChanged(WorkflowRun run)
    {
        // Nothing to write, as above.
    }

    public void SearchAttributesChanged(string ns, IReadOnlyDictionary<string, IndexedValueType> custom)
    {
        // Nothing to write, as above.
    }

    public void Flush()
    {
        // Nothing to write, as above.
    }

    /// <summary>Gets a value indicating whether histories can be read back: no, memory is the only copy.</summary>
    public bool KeepsHistories => false;

    public bool IsWritten(WorkflowRun run) => false;

    public IReadOnlyList<HistoryEvent> ReadHistory(string runId) =>
        throw new NotSupportedException("the in-memory store keeps no copy of a history to read back");
}
