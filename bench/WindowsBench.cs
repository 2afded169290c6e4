using System.Diagnostics;
using System.Globalization;
using MaintenanceWorkflows.DevServer;
using MaintenanceWorkflows.DevServer.Testing;
using MaintenanceWorkflows.Sandbox;
using MaintenanceWorkflows.Starter.Commands;
using MaintenanceWorkflows.Starter.Demo;
using MaintenanceWorkflows.Workflows;
using MaintenanceWorkflows.Workflows.Plans;
using Temporalio.Client;

namespace MaintenanceWorkflows.Bench;

/// <summary>
/// How many whole maintenance windows one in-process worker and the devserver carry at once, and how long
/// `starter demo` takes. Every window is the v40 promotion example (approval, checklist, notices on every
/// channel, pre-checks, the promotion, a 10-round soak) against its own sandbox Lambda function, on a
/// time-skipping devserver: the figures are the cost of the engine and the activities, not of waiting.
/// </summary>
public static class WindowsBench
{
    public const string Help = "concurrent maintenance windows on one worker + devserver, and the demo's wall time [--windows N,N (25,100)] [--demo-runs N (3)]";

    public static async Task<int> RunAsync(string[] args)
    {
        int[] sizes = [25, 100];
        var demoRuns = 3;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--windows" when i + 1 < args.Length:
                    sizes = args[++i].Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
                    break;
                case "--demo-runs" when i + 1 < args.Length:
                    demoRuns = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                default:
                    await Console.Error.WriteLineAsync($"error: bad option '{args[i]}'\n{Help}");
                    return 2;
            }
        }

        var examples = Path.Combine(RepoRoot(), "examples");
        Console.WriteLine($"windows bench: {Environment.ProcessorCount} cores, time-skipping devserver, sandbox targets on loopback");
        foreach (var size in sizes)
        {
            Console.WriteLine(await ConcurrentWindowsAsync(examples, size));
        }

        var walls = new List<double>();
        for (var run = 0; run < demoRuns; run++)
        {
            var result = await new DemoRunner(TextWriter.Null).RunAsync(new DemoOptions { ExamplesDirectory = examples, OutputDirectory = Path.Combine(Path.GetTempPath(), "demo-bench") });
            walls.Add(result.WallTime.TotalSeconds);
        }
        walls.Sort();
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"starter demo (2 windows, in-process)      runs {demoRuns}  wall min {walls[0]:F2} s  median {walls[walls.Count / 2]:F2} s  max {walls[^1]:F2} s"));
        return 0;
    }

    private static async Task<string> ConcurrentWindowsAsync(string examples, int windows)
    {
        await using var env = await DevServerWorkflowEnvironment.StartAsync(new DevServerOptions { TimeSkipping = true });
        await using var world = await SandboxWorld.StartAsync();
        var taskQueue = $"bench-{Guid.NewGuid():N}";
        using var worker = await InProcessWorker.StartAsync(InProcessWorker.SandboxConfiguration(world, env.Server.Target, taskQueue, Path.Combine(examples, "policy.yaml"), InProcessWorker.RandomSigningKey()));
        var now = new DateTimeOffset(await env.GetCurrentTimeAsync(), TimeSpan.Zero);
        var policy = PlanYaml.LoadPolicyFile(Path.Combine(examples, "policy.yaml"));
        var template = DemoRunner.Reschedule(PlanYaml.LoadPlanFile(Path.Combine(examples, DemoRunner.CompletingPlan), now), policy, now, null);

        GC.Collect();
        var memoryBefore = Process.GetCurrentProcess().WorkingSet64;
        var wall = Stopwatch.StartNew();
        // Schedule and approve every window while server time stands still, then let it run: the
        // environment's own client unlocks time per awaited result, which does not nest, so a plain client waits.
        var handles = await Task.WhenAll(Enumerable.Range(0, windows).Select(i => ScheduleOneAsync(env, world, policy, template, taskQueue, i)));
        var client = await TemporalClient.ConnectAsync(new(env.Server.Target));
        env.Server.UnlockTimeSkipping();
        var latencies = await Task.WhenAll(handles.Select(h => AwaitOneAsync(client, h.Id, wall)));
        env.Server.LockTimeSkipping();
        wall.Stop();
        var peak = Process.GetCurrentProcess().PeakWorkingSet64;
        Array.Sort(latencies);
        return string.Create(
            CultureInfo.InvariantCulture,
            $"{windows,4} concurrent windows, one worker  {windows / wall.Elapsed.TotalMinutes,8:F1} windows/min  wall {wall.Elapsed.TotalSeconds,6:F1} s  " +
            $"done by p50 {latencies[latencies.Length / 2],6:F2} s  p99 {latencies[Math.Min(latencies.Length - 1, (int)Math.Ceiling(0.99 * latencies.Length) - 1)],6:F2} s  " +
            $"working set {memoryBefore / 1048576.0:F0} -> peak {peak / 1048576.0:F0} MiB");
    }

    private static async Task<WorkflowHandle> ScheduleOneAsync(DevServerWorkflowEnvironment env, SandboxWorld world, MaintenancePolicy policy, MaintenancePlan template, string taskQueue, int index)
    {
        // Each window promotes its own function, so their alias parity checks do not collide. Left out: the
        // checks that read the shared status service's version, and the SES quota check (every window emails
        // its approvers, so past 200 windows the sandbox quota would rightly postpone the rest).
        var function = $"{SandboxWorld.FunctionName}-{index}";
        var lambda = world.Lambda.AddFunction(function, world.Function.LatestCodeSha256, [.. world.Function.Versions.Select(v => v.CodeSha256)]);
        lambda.AddAlias(SandboxWorld.ProdAlias, SandboxWorld.InitialProdVersion);
        var checks = template.Checks
            .Where(c => c is not HttpJsonCheck { Expect.Count: > 0 } and not EmailQuotaCheck)
            .Select(c => c switch
            {
                LambdaAliasCheck a => a with { Function = function },
                LambdaInvokeCheck v => v with { Function = function },
                _ => c,
            })
            .ToList();
        var plan = template with
        {
            Id = $"{template.Id}-{index}",
            Steps = template.Steps.Select(s => s is LambdaPromoteStep p ? p with { Function = function } : s).ToList(),
            Checks = checks,
            Checklist = template.Checklist.Where(i => i.Check is null || checks.Any(c => c.Id == i.Check)).ToList(),
        };
        var handle = await ScheduleCommand.StartAsync(env.Client, taskQueue, plan, "bench");
        await RequesterConfirmation.ConfirmAsync(handle, plan, policy, world.Ses, TimeSpan.FromMinutes(2));
        var josh = policy.Approvals.Approvers.First(a => a.Id == "T-JOSH").Email!;
        var code = await ApprovalEmail.WaitForCodeAsync(world.Ses, handle.Id, josh, "approve", TimeSpan.FromMinutes(2));
        await handle.SignalAsync(WindowHandlers.Approve, [new ApprovalSignal { Approver = "T-JOSH", Code = code }]);
        foreach (var item in plan.Checklist.Where(i => !i.IsAutomated && i.Phase == ChecklistPhase.Before))
        {
            await handle.SignalAsync(WindowHandlers.Acknowledge, [new Acknowledgement { Item = item.Id, By = "sre-oncall" }]);
        }
        return handle;
    }

    private static async Task<double> AwaitOneAsync(TemporalClient client, string windowId, Stopwatch wall)
    {
        var report = await client.GetWorkflowHandle(windowId).GetResultAsync<MaintenanceReport>();
        if (report.Outcome != WindowPhase.Completed)
        {
            throw new InvalidOperationException($"{windowId} ended {report.Outcome}: {report.Summary}");
        }
        return wall.Elapsed.TotalSeconds;
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
}
