namespace MaintenanceWorkflows.DevServer.Grpc;

/// <summary>What a handler knows about the call it serves: its deadline and its cancellation.</summary>
public sealed class CallContext
{
    /// <summary>Longest a long poll waits when the caller sent no deadline.</summary>
    public static readonly TimeSpan DefaultLongPoll = TimeSpan.FromSeconds(60);

    private Action? undelivered;

    public CallContext(TimeSpan? timeout, CancellationToken cancellationToken)
    {
        Timeout = timeout;
        CancellationToken = cancellationToken;
    }

    /// <summary>The caller's <c>grpc-timeout</c>, if it sent one.</summary>
    public TimeSpan? Timeout { get; }

    /// <summary>Signalled when the caller cancels the call or the connection drops.</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>
    /// How long a long poll may wait: answering (empty) before the caller's deadline keeps
    /// the SDK from treating the poll as failed.
    /// </summary>
    public TimeSpan LongPollWait
    {
        get
        {
            if (Timeout is not { } t)
            {
                return DefaultLongPoll;
            }
            var margin = t > TimeSpan.FromSeconds(4) ? TimeSpan.FromSeconds(1) : t / 4;
            var wait = t - margin;
            return wait > DefaultLongPoll ? DefaultLongPoll : wait;
        }
    }

    /// <summary>
    /// Registers what to do if the response could not be delivered (the caller cancelled while
    /// it was being produced), e.g. put a dispatched task back on its queue.
    /// </summary>
    public void OnUndelivered(Action action) => undelivered += action;

    internal void NotifyUndelivered()
    {
        var action = Interlocked.Exchange(ref undelivered, null);
        action?.Invoke();
    }
}
