namespace MaintenanceWorkflows.Tests.Shared;

/// <summary>
/// The one way tests wait for a state another thread, process or worker reaches: ask again until the answer
/// is the awaited one, or fail with what was last seen. The interval is a polling pace, not a timing
/// assumption; the wait ends on the observed state.
/// </summary>
public static class Poll
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(20);

    /// <summary>
    /// Calls <paramref name="probe"/> until <paramref name="done"/> accepts its answer and returns that answer;
    /// after <paramref name="within"/> throws <see cref="TimeoutException"/> with <paramref name="failure"/> of the last answer.
    /// </summary>
    public static async Task<T> UntilAsync<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan within, Func<T, string> failure)
    {
        ArgumentNullException.ThrowIfNull(probe);
        ArgumentNullException.ThrowIfNull(done);
        ArgumentNullException.ThrowIfNull(failure);
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            var answer = await probe();
            if (done(answer))
            {
                return answer;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException(failure(answer));
            }

            await Task.Delay(Interval);
        }
    }

    /// <summary><see cref="UntilAsync{T}(Func{Task{T}}, Func{T, bool}, TimeSpan, Func{T, string})"/> for a probe that answers at once.</summary>
    public static Task<T> UntilAsync<T>(Func<T> probe, Func<T, bool> done, TimeSpan within, Func<T, string> failure)
    {
        ArgumentNullException.ThrowIfNull(probe);
        return UntilAsync(() => Task.FromResult(probe()), done, within, failure);
    }

    /// <summary>Waits until <paramref name="probe"/> gives a value (not null) and returns it.</summary>
    public static async Task<T> ForValueAsync<T>(Func<T?> probe, TimeSpan within, string failure)
        where T : struct =>
        (await UntilAsync(probe, v => v.HasValue, within, _ => failure)).GetValueOrDefault();
}
