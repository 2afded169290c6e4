using System.Diagnostics;
using System.Globalization;
using MaintenanceWorkflows.Activities;
using MaintenanceWorkflows.Activities.Aws;
using MaintenanceWorkflows.Activities.Commands;
using MaintenanceWorkflows.Activities.Http;
using MaintenanceWorkflows.Sandbox;
using MaintenanceWorkflows.Sandbox.Aws;
using MaintenanceWorkflows.Sandbox.BadInput;
using MaintenanceWorkflows.Starter.Commands;
using MaintenanceWorkflows.Workflows.Contracts;
using MaintenanceWorkflows.Workflows.Plans;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Temporalio.Exceptions;
using Temporalio.Testing;

namespace MaintenanceWorkflows.Bench;

/// <summary>
/// Issue 13's bounds, measured: time and allocation of every bad-input corpus case through `starter validate`,
/// peak memory of real `starter` processes on the worst inputs, a health check against a 400 MiB answer, and
/// how long a command with a detached child takes to come back from its timeout.
/// </summary>
public static class HardeningBench
{
    public const string Help = "bad-input corpus per-case time/allocation, starter peak RSS on worst inputs, 400 MiB check answer, detached-child timeout";

    private const string Now = "2027-02-01T12:00:00Z";

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length > 0)
        {
            await Console.Error.WriteLineAsync($"error: no options expected\n{Help}");
            return 2;
        }

        var root = FindRoot();
        var temp = Directory.CreateTempSubdirectory("hardening-bench-").FullName;
        try
        {
            await CorpusAsync(root, temp);
            await StarterProcessesAsync(root, temp);
            await OversizedAnswerAsync();
            await DetachedChildAsync();
        }
        finally
        {
            Directory.Delete(temp, recursive: true);
        }

        return 0;
    }

    private static async Task CorpusAsync(string root, string temp)
    {
        var cases = BadInputCorpus.Generate(Path.Combine(root, "examples"));
        var results = new List<(string Name, int Exit, TimeSpan Time, long Allocated)>();
        var file = Path.Combine(temp, "case.yaml");
        foreach (var item in cases)
        {
            await File.WriteAllBytesAsync(file, item.Bytes);
            var plan = item.IsPolicy ? Path.Combine(root, "examples", "lambda-v40-promotion.yaml") : file;
            var policy = item.IsPolicy ? file : Path.Combine(root, "examples", "policy.yaml");
            using var output = new StringWriter();
            using var error = new StringWriter();
            var allocated = GC.GetTotalAllocatedBytes(precise: false);
            var watch = Stopwatch.StartNew();
            var exit = await StarterCli.RunAsync(["validate", plan, "--policy", policy, "--now", Now], output, error);
            watch.Stop();
            results.Add((item.Name, exit, watch.Elapsed, GC.GetTotalAllocatedBytes(precise: false) - allocated));
        }

        var times = results.Select(r => r.Time.TotalMilliseconds).Order().ToList();
        var slowest = results.MaxBy(r => r.Time);
        var hungriest = results.MaxBy(r => r.Allocated);
        var byExit = string.Join(", ", results.GroupBy(r => r.Exit).OrderBy(g => g.Key).Select(g => $"exit {g.Key}: {g.Count()}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"bad-input corpus: {cases.Count} cases ({byExit}) through `starter validate` in-process, one at a time"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  time per case: median {times[times.Count / 2]:0.0} ms, p99 {times[(int)(times.Count * 0.99)]:0.0} ms, max {slowest.Time.TotalMilliseconds:0.0} ms ({slowest.Name})"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  allocated per case: max {hungriest.Allocated / 1048576.0:0.0} MiB ({hungriest.Name}); budget 5 s and 300 MB"));
    }

    /// <summary>Real processes, so peak RSS is the whole CLI's: polled from /proc while it runs (VmHWM is a high-water mark).</summary>
    private static async Task StarterProcessesAsync(string root, string temp)
    {
        var starter = Path.Combine(AppContext.BaseDirectory, "starter.dll");
        var deep = Path.Combine(temp, "deep.yaml");
        await File.WriteAllTextAsync(deep, "tags: " + new string('[', 100_000));
        var huge = Path.Combine(temp, "huge.yaml");
        await File.WriteAllTextAsync(huge, "title: \"" + new string('x', 900_000) + "\"\n");
        var policy = Path.Combine(root, "examples", "policy.yaml");
        string[][] runs =
        [
            ["validate", "/dev/zero", "--policy", policy],
            ["validate", deep, "--policy", policy],
            ["validate", huge, "--policy", policy],
            ["postmortem", "maint-x", "--history", "/dev/zero", "--out", Path.Combine(temp, "pm")],
            ["validate", Path.Combine(root, "examples", "lambda-v40-promotion.yaml"), "--policy", policy, "--now", Now],
        ];
        foreach (var run in runs)
        {
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            start.ArgumentList.Add(starter);
            foreach (var arg in run)
            {
                start.ArgumentList.Add(arg);
            }

            var watch = Stopwatch.StartNew();
            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            long peak = 0;
            while (!process.HasExited)
            {
                peak = Math.Max(peak, PeakRss(process.Id));
                await Task.Delay(5);
            }

            await process.WaitForExitAsync();
            watch.Stop();
            var message = (await stderr).Split('\n').Select(l => l.Trim()).LastOrDefault(l => l.Length > 0) ?? (await stdout).Split('\n')[0];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"starter {string.Join(' ', run.Take(2).Select(Path.GetFileName))}: exit {process.ExitCode} in {watch.Elapsed.TotalMilliseconds:0} ms, peak RSS {peak / 1048576.0:0} MiB: {Clip(message)}"));
        }
    }

    private static async Task OversizedAnswerAsync()
    {
        const long Size = 400L * 1024 * 1024;
        await using var server = await LoopbackServer.StartAsync(app => app.MapGet("/huge", async (HttpContext c) =>
        {
            var chunk = new byte[1024 * 1024];
            Array.Fill(chunk, (byte)'a');
            for (long sent = 0; sent < Size && !c.RequestAborted.IsCancellationRequested; sent += chunk.Length)
            {
                await c.Response.Body.WriteAsync(chunk, c.RequestAborted);
            }
        }));
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Targets:big:BaseUrl"] = server.BaseAddress.ToString() }).Build();
        var services = new ServiceCollection().AddLogging().AddSingleton<IAwsCredentialSource>(new StaticCredentialSource(StaticCredentialSource.Test));
        services.AddMaintenanceActivities(configuration);
        await using var provider = services.BuildServiceProvider();
        await using var scope = provider.CreateAsyncScope();
        var checks = scope.ServiceProvider.GetRequiredService<HttpCheckActivities>();

        GC.Collect();
        var before = Environment.WorkingSet;
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var watch = Stopwatch.StartNew();
        var result = await new ActivityEnvironment().RunAsync(() => checks.CheckEndpointAsync(new HttpJsonCheck { Id = "big", Title = "big", Target = "big", Path = "/huge", RequiredKeys = ["ok"], Timeout = TimeSpan.FromSeconds(60) }));
        watch.Stop();
        var grew = GC.GetTotalAllocatedBytes(precise: true) - allocated;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"400 MiB check answer: {result.Status} in {watch.Elapsed.TotalMilliseconds:0} ms, {grew / 1048576.0:0.0} MiB allocated, working set {before / 1048576.0:0} -> {Environment.WorkingSet / 1048576.0:0} MiB (process peak {Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0:0} MiB): {Clip(result.Message)}"));
    }

    private static async Task DetachedChildAsync()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Commands:detach:Executable"] = "/bin/sh",
            ["Commands:detach:Arguments:0"] = "-c",
            ["Commands:detach:Arguments:1"] = "echo started; (sleep 21 &); sleep 60",
            ["Commands:detach:Timeout"] = "00:00:02",
        }).Build();
        var services = new ServiceCollection().AddLogging().AddSingleton<IAwsCredentialSource>(new StaticCredentialSource(StaticCredentialSource.Test));
        services.AddMaintenanceActivities(configuration);
        await using var provider = services.BuildServiceProvider();
        await using var scope = provider.CreateAsyncScope();
        var commands = scope.ServiceProvider.GetRequiredService<CommandActivities>();
        var watch = Stopwatch.StartNew();
        string outcome;
        try
        {
            var result = await new ActivityEnvironment().RunAsync(() => commands.RunCommandAsync(new RunCommandInput("s", "detach", null)));
            outcome = $"exit {result.ExitCode}";
        }
        catch (ApplicationFailureException e)
        {
            outcome = e.ErrorType ?? "failed";
        }

        watch.Stop();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"sh -c 'echo started; (sleep 21 &); sleep 60' with a 2 s timeout: {outcome} after {watch.Elapsed.TotalSeconds:0.00} s"));
    }

    private static long PeakRss(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private static string Clip(string text) => text.Length <= 140 ? text : text[..140] + "…";

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "MaintenanceWorkflows.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("repository root (MaintenanceWorkflows.sln) not found above " + AppContext.BaseDirectory);
    }
}
