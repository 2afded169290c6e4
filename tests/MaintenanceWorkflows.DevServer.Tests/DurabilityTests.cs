using System.Diagnostics;
using System.Text.RegularExpressions;
using MaintenanceWorkflows.DevServer.Tests.Workflows;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.History.V1;
using Temporalio.Client;
using Temporalio.Worker;

namespace MaintenanceWorkflows.DevServer.Tests;

public sealed partial class DurabilityTests : IDisposable
{
    private readonly string database = Path.Combine(Path.GetTempPath(), $"devserver-{Guid.NewGuid():N}.db");

    [Fact]
    public async Task KilledServer_RestartedOnSameDatabase_EveryWorkflowCompletesWithoutLostOrDuplicateEvents()
    {
        using var first = await DevServerProcess.StartAsync(database, port: 0);
        var port = first.Port;
        var client = await TemporalClient.ConnectAsync(new($"127.0.0.1:{port}"));
        await client.OperatorService.AddSearchAttributesAsync(new()
        {
            Namespace = "default",
            SearchAttributes = { ["DurableTag"] = IndexedValueType.Keyword },
        });
        var queue = Unique.Queue("durable");
        var activities = new DurableActivities();
        using var worker = new TemporalWorker(
            client,
            new TemporalWorkerOptions(queue).AddWorkflow<DurableWorkflow>().AddWorkflow<SleepWorkflow>().AddAllActivities(activities));
        await worker.ExecuteAsync(async () =>
        {
            var held = await client.StartWorkflowAsync(
                (DurableWorkflow wf) => wf.RunAsync(new DurableInput(TimeSpan.FromSeconds(2))),
                new(Unique.Id("durable"), queue)
                {
                    TypedSearchAttributes = new Temporalio.Common.SearchAttributeCollection.Builder()
                        .Set(Temporalio.Common.SearchAttributeKey.CreateKeyword("DurableTag"), "before-kill").ToSearchAttributeCollection(),
                });
            var sleeper = await client.StartWorkflowAsync(
                (SleepWorkflow wf) => wf.RunAsync(new SleepInput(TimeSpan.FromSeconds(1))), new(Unique.Id("durable-sleep"), queue));
            await activities.StartedFor(held.Id).Task.WaitAsync(TimeSpan.FromSeconds(30));
            await held.SignalAsync(wf => wf.SignalAsync("before-kill"));

            // An activity is running in the worker, a timer and a sleeping workflow are pending: kill -9.
            first.Kill();
            using var second = await DevServerProcess.StartAsync(database, port);

            await held.SignalAsync(wf => wf.SignalAsync("after-restart"));
            activities.Release.TrySetResult();
            Assert.True((await sleeper.GetResultAsync()).After >= (await sleeper.DescribeAsync()).StartTime.AddSeconds(1));
            await WaitForEventAsync(held, EventType.ActivityTaskScheduled, count: 2);
            await held.SignalAsync(wf => wf.SignalAsync("finish"));
            var result = await held.GetResultAsync();
            Assert.Equal("held by attempt 1", result.Held);
            Assert.Equal("quick", result.Quick);
            Assert.Equal(["before-kill", "after-restart", "finish"], result.Signals);

            var events = (await held.FetchHistoryAsync()).Events;
            Assert.Equal(Enumerable.Range(1, events.Count).Select(i => (long)i), events.Select(e => e.EventId));
            Assert.Equal(2, events.Count(e => e.EventType == EventType.ActivityTaskScheduled));
            Assert.Equal(2, events.Count(e => e.EventType == EventType.ActivityTaskCompleted));
            Assert.Single(events, e => e.EventType == EventType.TimerStarted);
            Assert.Single(events, e => e.EventType == EventType.TimerFired);
            Assert.Equal(3, events.Count(e => e.EventType == EventType.WorkflowExecutionSignaled));
            Assert.Equal(EventType.WorkflowExecutionCompleted, events.Last().EventType);

            // Namespaces, search attributes and visibility came back too.
            var listed = await client.ListWorkflowsAsync($"DurableTag = 'before-kill'").SingleAsync();
            Assert.Equal(held.Id, listed.Id);
        });
    }

    [Fact]
    public async Task Restart_AfterCleanStop_HistoryAndCompletedResultsKept()
    {
        string id;
        using (var first = await DevServerProcess.StartAsync(database, port: 0))
        {
            var client = await TemporalClient.ConnectAsync(new(first.Target));
            var queue = Unique.Queue("durable-clean");
            using var worker = new TemporalWorker(client, new TemporalWorkerOptions(queue).AddWorkflow<SleepWorkflow>());
            id = await worker.ExecuteAsync(async () =>
            {
                var handle = await client.StartWorkflowAsync(
                    (SleepWorkflow wf) => wf.RunAsync(new SleepInput(TimeSpan.FromMilliseconds(10))), new(Unique.Id("durable-clean"), queue));
                await handle.GetResultAsync();
                return handle.Id;
            });
            first.Stop();
        }
        using var second = await DevServerProcess.StartAsync(database, port: 0);
        var again = await TemporalClient.ConnectAsync(new(second.Target));
        var description = await again.GetWorkflowHandle(id).DescribeAsync();
        Assert.Equal(WorkflowExecutionStatus.Completed, description.Status);
        Assert.Equal(EventType.WorkflowExecutionCompleted, (await again.GetWorkflowHandle(id).FetchHistoryAsync()).Events.Last().EventType);
    }

    public void Dispose()
    {
        foreach (var file in new[] { database, database + "-wal", database + "-shm" })
        {
            File.Delete(file);
        }
    }

    private static async Task WaitForEventAsync(WorkflowHandle handle, EventType type, int count)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            var seen = 0;
            await foreach (HistoryEvent evt in handle.FetchHistoryEventsAsync(new() { Rpc = new() { CancellationToken = deadline.Token } }))
            {
                seen += evt.EventType == type ? 1 : 0;
            }
            if (seen >= count)
            {
                return;
            }
            await foreach (var _ in handle.FetchHistoryEventsAsync(new() { WaitNewEvent = true, Rpc = new() { CancellationToken = deadline.Token } }))
            {
                break;
            }
        }
    }

    /// <summary>The devserver as a separate process (the built <c>devserver</c> program), so a test can kill it.</summary>
    private sealed partial class DevServerProcess : IDisposable
    {
        private readonly Process process;

        private DevServerProcess(Process process, int port)
        {
            this.process = process;
            Port = port;
        }

        public int Port { get; }

        public string Target => $"127.0.0.1:{Port}";

        public static async Task<DevServerProcess> StartAsync(string database, int port)
        {
            var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "MaintenanceWorkflows.DevServer.dll"), "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--db", database })
            {
                info.ArgumentList.Add(arg);
            }
            var process = Process.Start(info) ?? throw new InvalidOperationException("could not start the devserver process");
            var errors = process.StandardError.ReadToEndAsync();
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            try
            {
                while (true)
                {
                    var line = await process.StandardOutput.ReadLineAsync(deadline.Token)
                        ?? throw new InvalidOperationException($"devserver exited before listening: {await errors}");
                    if (Address().Match(line) is { Success: true } match)
                    {
                        // Keep draining output so the child never blocks on a full pipe.
                        _ = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
                        return new DevServerProcess(process, int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
                    }
                }
            }
            catch
            {
                process.Kill(entireProcessTree: true);
                process.Dispose();
                throw;
            }
        }

        /// <summary>SIGKILL: no shutdown code runs.</summary>
        public void Kill()
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }

        /// <summary>SIGTERM: the server shuts down cleanly.</summary>
        public void Stop()
        {
            using (var terminate = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                terminate.WaitForExit();
            }
            if (!process.WaitForExit(TimeSpan.FromSeconds(20)))
            {
                throw new InvalidOperationException("devserver did not stop on SIGTERM");
            }
        }

        public void Dispose()
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
            }
            process.Dispose();
        }

        [GeneratedRegex(@"listening on 127\.0\.0\.1:(\d+)")]
        private static partial Regex Address();
    }
}
