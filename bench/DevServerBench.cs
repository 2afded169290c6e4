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
        "[--workflows N (1000)] [--rpcs N (5000)] [--concurrency N (32)] [--db (durable SQLite store in a temp file)]";

    public static async Task<int> RunAsync(string[] args)
    {
        int workflows = 1000, rpcs = 5000, concurrency = 32;
        var durable = false;
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
            return await RunAsync(workflows, rpcs, concurrency, database);
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

    private static async Task<int> RunAsync(int workflows, int rpcs, int concurrency, string? database)
    {
        await using var server = await TemporalDevServer.StartAsync(new DevServerOptions { DatabasePath = database });
        var client = await TemporalClient.ConnectAsync(new(server.Target));
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
            $"devserver bench: server {server.Target}, {Environment.ProcessorCount} cores, concurrency {concurrency}, " +
            $"state {(database != null ? "SQLite (WAL, one transaction per operation)" : "in memory")}");
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

            var floor = await Measurement.RunAsync("no-op RPC (GetSystemInfo)", rpcs, concurrency, _ => client.WorkflowService.GetSystemInfoAsync(new()));
            var flows = await Measurement.RunAsync("workflow with one activity", workflows, concurrency, i => RunWorkflow("wf", i));
            Console.WriteLine(floor);
            Console.WriteLine(flows);
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
}
