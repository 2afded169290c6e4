using System.Collections;
using Temporalio.Api.History.V1;

namespace MaintenanceWorkflows.DevServer.Engine;

/// <summary>
/// The events of one run, in order. With a durable store the engine may drop a run's events from memory once
/// they are all written (<see cref="Unload"/>), keeping only the count and the last event, and
/// reads them back from the store the next time anything needs them. That bounds the server's memory by the
/// histories in use rather than by every history it holds, as Temporal's own history cache does: a maintenance
/// window sleeping for days costs its run record, not its events.
/// </summary>
public sealed class HistoryLog : IReadOnlyList<HistoryEvent>
{
    private List<HistoryEvent>? events = [];
    private HistoryEvent? last;
    private int count;
    private Func<IReadOnlyList<HistoryEvent>>? reload;
    private Action? reloaded;

    public int Count => count;

    /// <summary>Gets a value indicating whether the events are in memory.</summary>
    public bool IsLoaded => events != null;

    private List<HistoryEvent> Events
    {
        get
        {
            if (events == null)
            {
                var read = reload!();
                if (read.Count != count)
                {
                    throw new InvalidOperationException(
                        $"the store gave back {read.Count} events of a history that had {count}; the database was changed underneath the server");
                }
                events = [.. read];
                if (last != null)
                {
                    // The same event as read back: keep the one object others may hold.
                    events[^1] = last;
                }
                var notify = reloaded;
                reload = null;
                reloaded = null;
                notify?.Invoke();
            }
            return events;
        }
    }

    /// <summary>The last event stays in memory (a closed run's close event is read often); others load the history.</summary>
    public HistoryEvent this[int index] => index == count - 1 && last != null ? last : Events[index];

    public void Add(HistoryEvent evt)
    {
        ArgumentNullException.ThrowIfNull(evt);
        Events.Add(evt);
        last = evt;
        count++;
    }

    public List<HistoryEvent> GetRange(int index, int length) => Events.GetRange(index, length);

    /// <summary>
    /// Drops the events from memory; <paramref name="readBack"/> returns them (all of them, in order) when next
    /// needed, and <paramref name="onReload"/> is told when that happened.
    /// </summary>
    public void Unload(Func<IReadOnlyList<HistoryEvent>> readBack, Action onReload)
    {
        ArgumentNullException.ThrowIfNull(readBack);
        ArgumentNullException.ThrowIfNull(onReload);
        events = null;
        reload = readBack;
        reloaded = onReload;
    }

    /// <summary>
    /// Starts an empty log as the stored history <paramref name="stored"/>, left in the store: its events are read
    /// with <paramref name="readBack"/> when first needed.
    /// </summary>
    public void RestoreUnloaded(StoredHistory stored, Func<IReadOnlyList<HistoryEvent>> readBack, Action onReload)
    {
        ArgumentNullException.ThrowIfNull(stored);
        if (count != 0)
        {
            throw new InvalidOperationException("only an empty history can be restored");
        }
        count = stored.Count;
        last = stored.Last;
        Unload(readBack, onReload);
    }

    public IEnumerator<HistoryEvent> GetEnumerator() => Events.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
