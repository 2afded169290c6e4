using System.Diagnostics;
using System.Globalization;
using MaintenanceWorkflows.DevServer;
using MaintenanceWorkflows.DevServer.Testing;
using MaintenanceWorkflows.Sandbox;
using MaintenanceWorkflows.Starter.Commands;
using MaintenanceWorkflows.Starter.Demo;
using MaintenanceWorkflows.Starter.Postmortem;
using MaintenanceWorkflows.Workflows;
using MaintenanceWorkflows.Workflows.Plans;
using Temporalio.Common;

namespace MaintenanceWorkflows.Bench;

/// <summary>
/// Cost of `starter postmortem` on the largest window we carry (50 steps, 24-hour soak): parsing the history,
/// rendering postmortem.md and drawing timeline.png. The history comes from a real run on the time-skipping
/// devserver with the sandbox targets, or from a file.
/// </summary>
public static class PostmortemBench
{
    public const string Help = "parse + analyse a 50-step/24h-soak window history, render postmortem.md, draw timeline.png [--count N (20)] [--history FILE]";

    public static async Task<int> RunAsync(string[] args)
    {
        var count = 20;
        string? historyPath = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--count" when i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0:
                    count = value;
                    i++;
                    break;
                case "--history" when i + 1 < args.Length:
                    historyPath = args[++i];
                    break;
                default:
                    await Console.Error.WriteLineAsync($"error: bad option '{args[i]}'\n{Help}");
                    return 2;
            }
        }

        var generate = Stopwatch.StartNew();
        var history = historyPath is null ? await LargestWindowHistoryAsync() : PostmortemWriter.Load(historyPath, "maint-bench");
        generate.Stop();
        var json = history.ToJson();
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"postmortem bench: {Environment.ProcessorCount} cores; history {history.Id}: {history.Events.Count} events, {json.Length / 1024.0:0} KiB JSON ({(historyPath is null ? "generated" : "loaded")} in {generate.Elapsed.TotalSeconds:0.0} s)"));

        var directory = Directory.CreateTempSubdirectory("postmortem-bench-").FullName;
        try
        {
            var analysis = PostmortemAnalysis.Analyze(HistoryParser.Parse(history.Id, history));
            var measurements = new[]
            {
                await Measurement.RunAsync("load history JSON", count, 1, _ => Task.FromResult(WorkflowHistory.FromJson(history.Id, json))),
                await Measurement.RunAsync("parse + analyse history", count, 1, _ => Task.FromResult(PostmortemAnalysis.Analyze(HistoryParser.Parse(history.Id, history)))),
                await Measurement.RunAsync("render postmortem.md", count, 1, _ => Task.FromResult(PostmortemRenderer.Render(analysis, DateTimeOffset.UtcNow))),
                await Measurement.RunAsync("draw timeline.png", count, 1, i => Task.FromResult(TimelineChart.Save(analysis, Path.Combine(directory, $"timeline-{i}.png")))),
                await Measurement.RunAsync("whole postmortem (md + png + json)", count, 1, i => Task.FromResult(PostmortemWriter.Write(history, Path.Combine(directory, $"run-{i}"), DateTimeOffset.UtcNow, saveHistory: true))),
            };
            foreach (var m in measurements)
            {
                Console.WriteLine(m);
            }
            var markdown = PostmortemRenderer.Render(analysis, DateTimeOffset.UtcNow);
            Console.WriteLine($"postmortem.md: {markdown.Length / 1024.0:0} KiB, {markdown.Split('\n').Length} lines, {analysis.History.Timeline.Count} timeline entries; outcome {analysis.Outcome}");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
        return 0;
    }

    /// <summary>The window HistoryLimitTests promises to carry: the v40 promotion plus 49 wait steps and a 24-hour soak.</summary>
    private static async Task<WorkflowHistory> LargestWindowHistoryAsync()
    {
        await using var env = await DevServerWorkflowEnvironment.StartAsync(new DevServerOptions { TimeSkipping = true });
        await using var world = await SandboxWorld.StartAsync();
        var taskQueue = $"postmortem-bench-{Guid.NewGuid():N}";
        // The worker enforces a policy file: the example without the routine cadence, length limit and blackouts.
        var yaml = (await File.ReadAllTextAsync(Path.Combine("examples", "policy.yaml")))
            .Replace("    requiresCadence: true\n", string.Empty, StringComparison.Ordinal)
            .Replace("    maxDuration: 2h\n", string.Empty, StringComparison.Ordinal);
        yaml = yaml[..yaml.IndexOf("\nblackouts:", StringComparison.Ordinal)] + "\nblackouts: []\n" + yaml[yaml.IndexOf("\nincidentLevels:", StringComparison.Ordinal)..];
        var policyPath = Path.Combine(Path.GetTempPath(), $"bench-policy-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(policyPath, yaml);
        var policy = PlanYaml.ParsePolicy(yaml, policyPath).GetValueOrThrow();
        using var worker = await InProcessWorker.StartAsync(InProcessWorker.SandboxConfiguration(world, env.Server.Target, taskQueue, policyPath, InProcessWorker.RandomSigningKey()));
        try
        {
            var now = new DateTimeOffset(await env.GetCurrentTimeAsync(), TimeSpan.Zero);
            var plan = PlanYaml.LoadPlanFile(Path.Combine("examples", "lambda-v40-promotion.yaml"), now);
            var start = CalendarRules.EarliestLegalStart(plan, policy, now) ?? throw new InvalidOperationException("no legal start for the bench window");
            var waits = Enumerable.Range(1, 49).Select(i => (PlanStep)new WaitStep { Id = $"pause-{i}", Title = $"Pause {i}", Duration = TimeSpan.FromMinutes(1) });
            plan = plan with
            {
                Id = $"bench-{Guid.NewGuid():N}"[..14],
                Steps = [.. plan.Steps, .. waits],
                Window = plan.Window with { Start = start, End = start + TimeSpan.FromHours(26) },
                Verification = new VerificationSettings { Soak = TimeSpan.FromHours(24), Interval = TimeSpan.FromMinutes(1) },
            };
            var handle = await ScheduleCommand.StartAsync(env.Client, taskQueue, plan, "bench");
            await RequesterConfirmation.ConfirmAsync(handle, plan, policy, world.Ses, TimeSpan.FromMinutes(2));
            var josh = policy.Approvals.Approvers.First(a => a.Id == "T-JOSH").Email!;
            var code = await ApprovalEmail.WaitForCodeAsync(world.Ses, handle.Id, josh, "approve", TimeSpan.FromMinutes(2));
            await handle.SignalAsync(WindowHandlers.Approve, [new ApprovalSignal { Approver = "T-JOSH", Code = code, Comment = "bench" }]);
            foreach (var item in plan.Checklist.Where(i => !i.IsAutomated && i.Phase == ChecklistPhase.Before))
            {
                await handle.SignalAsync(WindowHandlers.Acknowledge, [new Acknowledgement { Item = item.Id, By = "ops-lead" }]);
            }
            var report = await handle.GetResultAsync();
            if (report.Outcome != WindowPhase.Completed)
            {
                throw new InvalidOperationException($"the bench window did not complete: {report.Summary}");
            }
            return await handle.FetchHistoryAsync();
        }
        finally
        {
            await worker.StopAsync();
        }
    }
}
