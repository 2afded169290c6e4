using System.Diagnostics;
using System.Globalization;

namespace MaintenanceWorkflows.Bench;

/// <summary>Runs an operation N times at a given concurrency and reports throughput and latency percentiles.</summary>
public sealed record Measurement(string Name, int Count, TimeSpan Elapsed, TimeSpan P50, TimeSpan P99, TimeSpan Max)
{
    public double PerSecond => Count / Elapsed.TotalSeconds;

    public static async Task<Measurement> RunAsync(string name, int count, int concurrency, Func<int, Task> operation)
    {
        var latencies = new double[count];
        var next = -1;
        var total = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                var start = Stopwatch.GetTimestamp();
                await operation(i);
                latencies[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            }
        }));
        total.Stop();
        Array.Sort(latencies);
        return new Measurement(
            name, count, total.Elapsed, Percentile(latencies, 0.50), Percentile(latencies, 0.99), TimeSpan.FromMilliseconds(latencies[^1]));
    }

    public override string ToString() => string.Format(
        CultureInfo.InvariantCulture,
        "{0,-34} {1,7} ops  {2,9:F1} ops/s  p50 {3,8:F2} ms  p99 {4,8:F2} ms  max {5,8:F2} ms",
        Name, Count, PerSecond, P50.TotalMilliseconds, P99.TotalMilliseconds, Max.TotalMilliseconds);

    private static TimeSpan Percentile(double[] sorted, double p) =>
        TimeSpan.FromMilliseconds(sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)]);
}
