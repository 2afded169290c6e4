using System.Diagnostics;
using System.Globalization;
using MaintenanceWorkflows.DevServer;
using MaintenanceWorkflows.DevServer.Testing;
using MaintenanceWorkflows.Sandbox;
using MaintenanceWorkflows.Sandbox.Fleet;
using MaintenanceWorkflows.Starter.Commands;
using MaintenanceWorkflows.Starter.Demo;
using MaintenanceWorkflows.Starter.Postmortem;
using MaintenanceWorkflows.Workflows;
using MaintenanceWorkflows.Workflows.Plans;
using MaintenanceWorkflows.Workflows.Rollout;
using Temporalio.Client;

namespace MaintenanceWorkflows.Bench;

/// <summary>
/// One window whose rollout patches N sandbox hosts (HTTP patch per host, its rollback registered, an HTTP
/// health check per host) in waves of 10 %, 25 % and 100 %, on one in-process worker and the time-skipping
/// devserver: wall time, hosts per second, the largest single history and the events of all of them, and the
/// process's peak working set (devserver, worker and sandbox share the process).
/// </summary>
public static class RolloutBench
{
    public const string Help = "one window rolling out to N hosts in waves [--hosts N,N (100,1000)]";

    public static async Task<int> RunAsync(string[] args)
    {
        int[] sizes = [100, 1000];
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--hosts" when i + 1 < args.Length:
                    sizes = args[++i].Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
                    break;
                default:
                    await Console.Error.WriteLineAsync($"error: bad option '{args[i]}'\n{Help}");
                    return 2;
            }
        }
        Console.WriteLine($"rollout bench: {Environment.ProcessorCount} cores, time-skipping devserver, one worker, sandbox fleet on loopback");
        foreach (var size in sizes)
        {
            Console.WriteLine(await RolloutAsync(size));
        }
        return 0;
    }

    private static async Task<string> RolloutAsync(int hosts)
    {
        var examples = Path.Combine(RepoRoot(), "examples");
        await using var env = await DevServerWorkflowEnvironment.StartAsync(new DevServerOptions { TimeSkipping = true });
        await using var world = await SandboxWorld.StartAsync();
        var taskQueue = $"bench-{Guid.NewGuid():N}";
        using var worker = await InProcessWorker.StartAsync(InProcessWorker.SandboxConfiguration(world, env.Server.Target, taskQueue, Path.Combine(examples, "policy.yaml"), InProcessWorker.RandomSigningKey()));
        var now = new DateTimeOffset(await env.GetCurrentTimeAsync(), TimeSpan.Zero);
        var policy = PlanYaml.LoadPolicyFile(Path.Combine(examples, "policy.yaml"));
        var template = DemoRunner.Reschedule(PlanYaml.LoadPlanFile(Path.Combine(examples, "agent-update-waves.yaml"), now), policy, now, null);
        var width = hosts.ToString(CultureInfo.InvariantCulture).Length;
        var waves = new RolloutStrategy { Waves = [new HostCount { Percent = 10 }, new HostCount { Percent = 25 }, new HostCount { Percent = 100 }], MaxFailedHosts = new HostCount { Percent = 2 } };
        var rollout = LocalFleet.HttpRollout($"h-{{{new string('0', width - 1)}1..{hosts}}}", waves) with { Title = $"Patch {hosts} hosts" };
        var plan = template with { Id = $"rollout-bench-{hosts}", Steps = [rollout], Checks = [] };

        GC.Collect();
        var memoryBefore = Process.GetCurrentProcess().WorkingSet64;
        var handle = await ScheduleCommand.StartAsync(env.Client, taskQueue, plan, "bench");
        await RequesterConfirmation.ConfirmAsync(handle, plan, policy, world.Ses, TimeSpan.FromMinutes(2));
        var josh = policy.Approvals.Approvers.First(a => a.Id == "T-JOSH").Email!;
        var code = await ApprovalEmail.WaitForCodeAsync(world.Ses, handle.Id, josh, "approve", TimeSpan.FromMinutes(2));
        await handle.SignalAsync(WindowHandlers.Approve, [new ApprovalSignal { Approver = "T-JOSH", Code = code }]);
        var client = await TemporalClient.ConnectAsync(new(env.Server.Target));
        var wall = Stopwatch.StartNew();
        env.Server.UnlockTimeSkipping();
        var report = await client.GetWorkflowHandle(handle.Id).GetResultAsync<MaintenanceReport>();
        env.Server.LockTimeSkipping();
        wall.Stop();
        var peak = Process.GetCurrentProcess().PeakWorkingSet64;
        if (report.Outcome != WindowPhase.Completed)
        {
            throw new InvalidOperationException($"{handle.Id} ended {report.Outcome}: {report.Summary}");
        }
        var patched = world.Fleet.Patched().Count;
        var histories = new List<(string Id, int Events)>();
        await foreach (var execution in client.ListWorkflowsAsync($"TaskQueue = '{taskQueue}'"))
        {
            histories.Add((execution.Id, execution.HistoryLength));
        }
        var largest = histories.MaxBy(h => h.Events);
        // The postmortem reads only the window's own history (the rollout's compact result is in it), so it stays small.
        var windowHistory = await client.GetWorkflowHandle(handle.Id).FetchHistoryAsync();
        var postmortemClock = Stopwatch.StartNew();
        var markdown = PostmortemRenderer.Render(PostmortemAnalysis.Analyze(HistoryParser.Parse(handle.Id, windowHistory)), DateTimeOffset.UtcNow);
        postmortemClock.Stop();
        return string.Create(
            CultureInfo.InvariantCulture,
            $"{hosts,6} hosts ({patched} patched)  wall {wall.Elapsed.TotalSeconds,7:F1} s  {hosts / wall.Elapsed.TotalSeconds,7:F1} hosts/s  " +
            $"workflows {histories.Count,4}  largest history {largest.Events,6} events ({Kind(largest.Id)})  total {histories.Sum(h => h.Events),8} events  " +
            $"working set {memoryBefore / 1048576.0:F0} -> peak {peak / 1048576.0:F0} MiB  " +
            $"postmortem {postmortemClock.Elapsed.TotalMilliseconds:F0} ms, {markdown.Length / 1024.0:F0} KiB, {markdown.Split('\n').Length} lines");
    }

    private static string Kind(string id) => id.Contains("-rollout-", StringComparison.Ordinal) ? (id.Contains("-c", StringComparison.Ordinal) && id.LastIndexOf("-c", StringComparison.Ordinal) > id.IndexOf("-rollout-", StringComparison.Ordinal) ? "a batch chunk" : "the rollout") : "the window";

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
}
