using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using MaintenanceWorkflows.Sandbox;
using MaintenanceWorkflows.Starter.Commands;
using MaintenanceWorkflows.Starter.Demo;
using MaintenanceWorkflows.Workflows.Plans;
using Temporalio.Client;

namespace MaintenanceWorkflows.Bench;

/// <summary>
/// Many scheduled maintenance windows waiting for their start: the devserver runs as its own process with
/// a SQLite store (--db), one in-process worker carries every window. Reports how long scheduling took,
/// how long until both processes went quiet, and each process's memory.
/// </summary>
public static partial class SleepingBench
{
    public const string Help =
        "scheduled windows waiting for their start on one worker + a devserver process with --db: time to schedule and " +
        "each process's memory [--windows N (10000)] [--concurrency N (32)] [--cache N (worker's Temporal:MaxCachedWorkflows, 10000)]";

    public static async Task<int> RunAsync(string[] args)
    {
        int windows = 10_000, concurrency = 32, cache = MaintenanceWorkflows.Worker.TemporalSettings.DefaultMaxCachedWorkflows;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--windows" when i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var w) && w > 0:
                    windows = w;
                    i++;
                    break;
                case "--concurrency" when i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var c) && c > 0:
                    concurrency = c;
                    i++;
                    break;
                case "--cache" when i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var k):
                    cache = k;
                    i++;
                    break;
                default:
                    await Console.Error.WriteLineAsync($"error: bad option '{args[i]}'\n{Help}");
                    return 2;
            }
        }
        var database = Path.Combine(Path.GetTempPath(), $"sleeping-bench-{Guid.NewGuid():N}.db");
        using var server = StartDevServer(database, out var target);
        try
        {
            await RunAsync(windows, concurrency, cache, server, target, database);
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
            foreach (var file in new[] { database, database + "-wal", database + "-shm" })
            {
                File.Delete(file);
            }
        }
        return 0;
    }

    private static async Task RunAsync(int windows, int concurrency, int cache, Process server, string target, string database)
    {
        await using var world = await SandboxWorld.StartAsync();
        var taskQueue = $"sleeping-{Guid.NewGuid():N}";
        var examples = Path.Combine(RepoRoot(), "examples");
        var configuration = InProcessWorker.SandboxConfiguration(
            world, target, taskQueue, Path.Combine(examples, "policy.yaml"), InProcessWorker.RandomSigningKey());
        configuration["Temporal:MaxCachedWorkflows"] = cache.ToString(CultureInfo.InvariantCulture);
        using var worker = await InProcessWorker.StartAsync(configuration);
        var client = await TemporalClient.ConnectAsync(new(target));
        var policy = PlanYaml.LoadPolicyFile(Path.Combine(examples, "policy.yaml"));
        var now = DateTimeOffset.UtcNow;
        // A month out: every window waits for its start for the whole run.
        var template = DemoRunner.Reschedule(PlanYaml.LoadPlanFile(Path.Combine(examples, DemoRunner.CompletingPlan), now), policy, now, now.AddDays(30));
        // No email-quota check (10,000 windows would probe one emulated SES account); checklist items it ticks go too,
        // or the worker's policy refuses the plan and every window ends at once instead of sleeping.
        var kept = template.Checks.Where(c => c is not EmailQuotaCheck).ToList();
        template = template with
        {
            Checks = kept,
            Checklist = template.Checklist.Where(item => item.Check == null || kept.Any(c => c.Id == item.Check)).ToList(),
        };
        Console.WriteLine(
            $"sleeping bench: {Environment.ProcessorCount} cores, {windows} windows starting {template.Window.Start:u}, " +
            $"devserver process {server.Id} with --db, worker in this process (workflow cache: {cache} runs)");

        var wall = Stopwatch.StartNew();
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            for (var i = Interlocked.Increment(ref next); i < windows; i = Interlocked.Increment(ref next))
            {
                var plan = template with { Id = $"{template.Id}-sleep-{i}" };
                await ScheduleCommand.StartAsync(client, taskQueue, plan, "bench");
            }
        }));
        var scheduled = wall.Elapsed;
        var settled = await SettleAsync(server, wall);
        var running = await client.CountWorkflowsAsync($"TaskQueue = '{taskQueue}' AND ExecutionStatus = 'Running'");
        var ended = await client.CountWorkflowsAsync($"TaskQueue = '{taskQueue}' AND ExecutionStatus != 'Running'");
        await foreach (var run in client.ListWorkflowsAsync($"TaskQueue = '{taskQueue}' AND ExecutionStatus != 'Running'", new() { Limit = 1 }))
        {
            // A window that ended is not sleeping: say why, so a broken bench run is not read as a result.
            var history = await client.GetWorkflowHandle(run.Id, run.RunId).FetchHistoryAsync();
            var close = history.Events.Last();
            Console.WriteLine($"an ended window ({run.Id}): {run.Status}, last event {close.EventType}: " +
                (close.WorkflowExecutionFailedEventAttributes?.Failure?.Message ?? close.WorkflowExecutionTerminatedEventAttributes?.Reason ??
                 Truncate(close.WorkflowExecutionCompletedEventAttributes?.Result?.Payloads_.FirstOrDefault()?.Data.ToStringUtf8())));
        }
        server.Refresh();
        var (serverRss, serverPeak) = Rss(server.Id);
        var (workerRss, workerPeak) = Rss(Environment.ProcessId);
        var databaseBytes = new[] { database, database + "-wal" }.Where(File.Exists).Sum(f => new FileInfo(f).Length);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"scheduled {windows} windows in {scheduled.TotalSeconds:F1} s ({windows / scheduled.TotalSeconds:F0}/s, concurrency {concurrency}); " +
            $"both processes quiet after {settled.TotalSeconds:F1} s; {running.Count} runs waiting, {ended.Count} ended"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"devserver (--db): RSS {serverRss / 1048576.0:F0} MiB, peak {serverPeak / 1048576.0:F0} MiB, database {databaseBytes / 1048576.0:F1} MiB"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"worker + bench client: RSS {workerRss / 1048576.0:F0} MiB, peak {workerPeak / 1048576.0:F0} MiB, managed heap {GC.GetTotalMemory(forceFullCollection: true) / 1048576.0:F0} MiB"));

        // SLEEPING_BENCH_HOLD=N keeps both processes up N more seconds, e.g. to take a dotnet-gcdump of the devserver.
        if (int.TryParse(Environment.GetEnvironmentVariable("SLEEPING_BENCH_HOLD"), NumberStyles.None, CultureInfo.InvariantCulture, out var hold) && hold > 0)
        {
            Console.WriteLine($"holding {hold} s: devserver pid {server.Id}, worker pid {Environment.ProcessId}");
            await Task.Delay(TimeSpan.FromSeconds(hold));
        }

        // A second devserver on a copy of the database: how long a restart takes to be back with every window, and its memory.
        var copy = database + ".restart";
        File.Copy(database, copy);
        if (File.Exists(database + "-wal"))
        {
            File.Copy(database + "-wal", copy + "-wal");
        }
        var restart = Stopwatch.StartNew();
        using var restarted = StartDevServer(copy, out var restartedTarget);
        var back = await TemporalClient.ConnectAsync(new(restartedTarget));
        var waiting = await back.CountWorkflowsAsync($"TaskQueue = '{taskQueue}' AND ExecutionStatus = 'Running'");
        var ready = restart.Elapsed;
        restarted.Refresh();
        var (restartRss, restartPeak) = Rss(restarted.Id);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"devserver restarted on a copy of that database: {waiting.Count} runs waiting, answering after {ready.TotalSeconds:F1} s; " +
            $"RSS {restartRss / 1048576.0:F0} MiB, peak {restartPeak / 1048576.0:F0} MiB"));
        restarted.Kill(entireProcessTree: true);
        await restarted.WaitForExitAsync();
        foreach (var file in new[] { copy, copy + "-wal", copy + "-shm" })
        {
            File.Delete(file);
        }
    }

    /// <summary>Waits until the devserver used under 2% of a core for 3 s (its windows are all parked), at most 10 minutes.</summary>
    private static async Task<TimeSpan> SettleAsync(Process server, Stopwatch wall)
    {
        var quiet = 0;
        var last = server.TotalProcessorTime;
        while (quiet < 3 && wall.Elapsed < TimeSpan.FromMinutes(10))
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            server.Refresh();
            var used = server.TotalProcessorTime - last;
            last = server.TotalProcessorTime;
            quiet = used < TimeSpan.FromMilliseconds(20) ? quiet + 1 : 0;
        }
        return wall.Elapsed;
    }

    private static string Truncate(string? text) =>
        text == null ? "-" : text.Length <= 300 ? text : string.Concat(text.AsSpan(0, 300), "…");

    private static (long Rss, long Peak) Rss(int pid)
    {
        long Field(string name) => File.ReadLines($"/proc/{pid}/status")
            .Where(l => l.StartsWith(name, StringComparison.Ordinal))
            .Select(l => long.Parse(Digits().Match(l).Value, CultureInfo.InvariantCulture) * 1024)
            .FirstOrDefault();
        return (Field("VmRSS:"), Field("VmHWM:"));
    }

    private static Process StartDevServer(string database, out string target)
    {
        var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "MaintenanceWorkflows.DevServer.dll"), "--port", "0", "--headless", "--db", database })
        {
            info.ArgumentList.Add(arg);
        }
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start the devserver");
        _ = process.StandardError.ReadToEndAsync();
        while (process.StandardOutput.ReadLine() is { } line)
        {
            if (Listening().Match(line) is { Success: true } match)
            {
                target = match.Groups[1].Value;
                _ = process.StandardOutput.ReadToEndAsync();
                return process;
            }
        }
        throw new InvalidOperationException("the devserver exited before listening");
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "MaintenanceWorkflows.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("run the bench from inside the repository");
    }

    [GeneratedRegex(@"listening on (\S+:\d+)")]
    private static partial Regex Listening();

    [GeneratedRegex(@"\d+")]
    private static partial Regex Digits();
}
