using System.Globalization;
using MaintenanceWorkflows.DevServer;
using Temporalio.Client;
using Temporalio.Worker;

namespace MaintenanceWorkflows.Bench;

/// <summary>
/// Throughput and latency of the embedded server: complete workflows with one activity, against
/// the floor of a no-op gRPC round trip (GetSystemInfo) on the same server and connection.
/// </summary>
public static class DevServerBench
{
    public const string Help =
        "workflows/s and start-to-result latency for a one-activity workflow vs a no-op RPC " +
        "[--workflows N (1000)] [--rpcs N (5000)] [--concurrency N (32)] [--db (durable SQLite store in a temp file)] " +
        "[--target HOST:PORT (a devserver already running, e.g. to profile it apart from the SDK)]";

    public static async Task<int> RunAsync(string[] args)
    {
        int workflows = 1000, rpcs = 5000, concurrency = 32;
        var durable = false;
        string? target = null;
        for (var i = 0; i < args.Length; i++)
        {
            int Value() => i + 1 < args.Length && int.TryParse(args[++i], NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v > 0
                ? v
                : throw new ArgumentException($"{args[i - 1]} needs a positive number");
            try
            {
                switch (args[i])
                {
                    case "--workflows": workflows = Value(); break;
                    case "--rpcs": rpcs = Value(); break;
                    case "--concurrency": concurrency = Value(); break;
                    case "--db": durable = true; break;
                    case "--target":
                        target = i + 1 < args.Length && args[i + 1].Contains(':', StringComparison.Ordinal)
                            ? args[++i]
                            : throw new ArgumentException("--target needs HOST:PORT of a running devserver");
                        break;
                    default: throw new ArgumentException($"unknown option '{args[i]}'");
                }
            }
            catch (ArgumentException ex)
            {
                await Console.Error.WriteLineAsync($"error: {ex.Message}\n{Help}");
                return 2;
            }
        }

        var database = durable ? Path.Combine(Path.GetTempPath(), $"devserver-bench-{Guid.NewGuid():N}.db") : null;
        try
        {
            if (target != null && durable)
            {
                await Console.Error.WriteLineAsync("error: --db starts its own server; with --target start that server with --db instead");
                return 2;
            }
            return await RunAsync(workflows, rpcs, concurrency, database, target);
        }
        finally
        {
            if (database != null)
            {
                foreach (var file in new[] { database, database + "-wal", database + "-shm" })
                {
                    File.Delete(file);
                }
            }
        }
    }

    private static async Task<int> RunAsync(int workflows, int rpcs, int concurrency, string? database, string? target)
    {
        await using var server = target == null ? await TemporalDevServer.StartAsync(new DevServerOptions { DatabasePath = database }) : null;
        target ??= server!.Target;
        var client = await TemporalClient.ConnectAsync(new(target));
        var queue = $"bench-{Guid.NewGuid():N}";
        using var worker = new TemporalWorker(
            client,
            new TemporalWorkerOptions(queue)
            {
                MaxConcurrentWorkflowTaskPolls = 8,
                MaxConcurrentActivityTaskPolls = 8,
            }.AddWorkflow<OneActivityWorkflow>().AddAllActivities(new BenchActivities()));
        var runId = Guid.NewGuid().ToString("N")[..8];
        Console.WriteLine(
            $"devserver bench: server {target} ({(server != null ? "in this process" : "another process")}), " +
            $"{Environment.ProcessorCount} cores, load average {LoadAverage()}, concurrency {concurrency}, " +
            $"state {(server == null ? "as that server keeps it" : database != null ? "SQLite (WAL, one transaction per operation)" : "in memory")}");
        await worker.ExecuteAsync(async () =>
        {
            async Task RunWorkflow(string prefix, int i)
            {
                var result = await client.ExecuteWorkflowAsync(
                    (OneActivityWorkflow wf) => wf.RunAsync(new BenchInput(i)),
                    new($"{prefix}-{runId}-{i}", queue));
                if (result.Number != i + 1)
                {
                    throw new InvalidOperationException($"workflow {i} returned {result.Number}");
                }
            }

            // Warm-up: JIT, connection, worker pollers.
            await Measurement.RunAsync("warm-up", Math.Min(200, workflows), concurrency, i => RunWorkflow("warm", i));
            await Measurement.RunAsync("warm-up", Math.Min(500, rpcs), concurrency, _ => client.WorkflowService.GetSystemInfoAsync(new()));

            var cpu = System.Diagnostics.Process.GetCurrentProcess();
            var cpuBefore = cpu.TotalProcessorTime;
            var floor = await Measurement.RunAsync("no-op RPC (GetSystemInfo)", rpcs, concurrency, _ => client.WorkflowService.GetSystemInfoAsync(new()));
            cpu.Refresh();
            var cpuMiddle = cpu.TotalProcessorTime;
            var flows = await Measurement.RunAsync("workflow with one activity", workflows, concurrency, i => RunWorkflow("wf", i));
            cpu.Refresh();
            var cpuAfter = cpu.TotalProcessorTime;
            Console.WriteLine(floor);
            Console.WriteLine(flows);
            // CPU per operation is steadier than throughput on a shared machine; it counts this process only
            // (client, worker and, embedded, the server).
            Console.WriteLine(string.Format(
                CultureInfo.InvariantCulture,
                "CPU of this process: {0:F3} ms per no-op RPC, {1:F2} ms per workflow; load average after {2}",
                (cpuMiddle - cpuBefore).TotalMilliseconds / rpcs,
                (cpuAfter - cpuMiddle).TotalMilliseconds / workflows,
                LoadAverage()));
            Console.WriteLine(string.Format(
                CultureInfo.InvariantCulture,
                "ratio workflow/no-op: p50 {0:F1}x, throughput {1:F1}x fewer per second",
                flows.P50 / floor.P50,
                floor.PerSecond / flows.PerSecond));
            if (database != null)
            {
                var bytes = new[] { database, database + "-wal" }.Where(File.Exists).Sum(f => new FileInfo(f).Length);
                Console.WriteLine(string.Format(
                    CultureInfo.InvariantCulture, "database: {0:F1} MiB for {1} workflows (file + WAL)", bytes / 1048576.0, workflows + Math.Min(200, workflows)));
            }
        });
        return 0;
    }

    /// <summary>The 1-minute load average (Linux), so a number measured on a busy machine says so.</summary>
    internal static string LoadAverage()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Split(' ')[0];
        }
        catch (IOException)
        {
            return "n/a";
        }
        catch (UnauthorizedAccessException)
        {
            return "n/a";
        }
    }
}
