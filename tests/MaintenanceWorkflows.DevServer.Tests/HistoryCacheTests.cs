using MaintenanceWorkflows.DevServer.Tests.Workflows;
using Temporalio.Api.Enums.V1;
using Temporalio.Client;
using Temporalio.Worker;

namespace MaintenanceWorkflows.DevServer.Tests;

/// <summary>
/// Issue 14 (memory of sleeping workflows): with a durable store the devserver keeps at most
/// --history-cache-mb of history in memory and reads the rest back from the database when a worker or a
/// client needs it. Run here with a cache of 0 bytes, so every history leaves memory after every change.
/// </summary>
public sealed class HistoryCacheTests : IAsyncLifetime
{
    private readonly string database = Path.Combine(Path.GetTempPath(), $"devserver-cache-{Guid.NewGuid():N}.db");

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        foreach (var file in new[] { database, database + "-wal", database + "-shm" })
        {
            File.Delete(file);
        }
        return Task.CompletedTask;
    }

    [Fact]
    public async Task NoHistoryCache_WorkflowsWithActivitiesTimersAndSignals_RunFromHistoriesReadBackFromTheDatabase()
    {
        await using var server = await TemporalDevServer.StartAsync(new DevServerOptions
        {
            DatabasePath = database,
            Limits = new() { HistoryCacheBytes = 0 },
        });
        var client = await TemporalClient.ConnectAsync(new(server.Target));
        var queue = Unique.Queue("cache");
        var activities = new DurableActivities();
        // No sticky cache in the worker either: every workflow task carries the full history, read back each time.
        using var worker = new TemporalWorker(client, new TemporalWorkerOptions(queue) { MaxCachedWorkflows = 0 }
            .AddWorkflow<DurableWorkflow>().AddAllActivities(activities));
        await worker.ExecuteAsync(async () =>
        {
            var handles = new List<WorkflowHandle<DurableWorkflow, DurableResult>>();
            for (var i = 0; i < 3; i++)
            {
                var handle = await client.StartWorkflowAsync(
                    (DurableWorkflow wf) => wf.RunAsync(new DurableInput(TimeSpan.FromMilliseconds(200))), new(Unique.Id("cache"), queue));
                handles.Add(handle);
                await activities.StartedFor(handle.Id).Task.WaitAsync(TimeSpan.FromSeconds(30));
                await handle.SignalAsync(wf => wf.SignalAsync("while-held"));
            }

            // Every run waits on its activity: none keeps its events in memory.
            await Poll.UntilAsync(
                () => server.Engine.HistoriesInMemory,
                h => h.Runs == 0,
                TimeSpan.FromSeconds(30),
                h => $"{h.Runs} histories ({h.Bytes} bytes) still in memory with a 0-byte cache");

            activities.Release.TrySetResult();
            foreach (var handle in handles)
            {
                await WaitForEventAsync(handle, EventType.ActivityTaskScheduled, count: 2);
                await handle.SignalAsync(wf => wf.SignalAsync("finish"));
                var result = await handle.GetResultAsync();
                Assert.Equal("held by attempt 1", result.Held);
                Assert.Equal("quick", result.Quick);
                Assert.Equal(["while-held", "finish"], result.Signals);

                var events = (await handle.FetchHistoryAsync()).Events;
                Assert.Equal(Enumerable.Range(1, events.Count).Select(i => (long)i), events.Select(e => e.EventId));
                Assert.Single(events, e => e.EventType == EventType.TimerFired);
                Assert.Equal(EventType.WorkflowExecutionCompleted, events.Last().EventType);
            }
            Assert.Equal(0, server.Engine.HistoriesInMemory.Runs);
        });
    }

    [Fact]
    public async Task DefaultHistoryCache_KeepsRecentHistoriesInMemory()
    {
        await using var server = await TemporalDevServer.StartAsync(new DevServerOptions { DatabasePath = database });
        var client = await TemporalClient.ConnectAsync(new(server.Target));
        var queue = Unique.Queue("cache-default");
        using var worker = new TemporalWorker(client, new TemporalWorkerOptions(queue).AddWorkflow<SleepWorkflow>());
        await worker.ExecuteAsync(async () =>
        {
            var handle = await client.StartWorkflowAsync(
                (SleepWorkflow wf) => wf.RunAsync(new SleepInput(TimeSpan.FromMilliseconds(10))), new(Unique.Id("cache-default"), queue));
            await handle.GetResultAsync();
        });

        // Well under the 128 MiB default: the history stayed in memory.
        Assert.Equal(1, server.Engine.HistoriesInMemory.Runs);
    }

    [Fact]
    public async Task InMemoryStore_NeverDropsAHistory_ItHasNoOtherCopy()
    {
        await using var server = await TemporalDevServer.StartAsync(new DevServerOptions { Limits = new() { HistoryCacheBytes = 0 } });
        var client = await TemporalClient.ConnectAsync(new(server.Target));
        var queue = Unique.Queue("cache-memory");
        using var worker = new TemporalWorker(client, new TemporalWorkerOptions(queue).AddWorkflow<SleepWorkflow>());
        await worker.ExecuteAsync(async () =>
        {
            var handle = await client.StartWorkflowAsync(
                (SleepWorkflow wf) => wf.RunAsync(new SleepInput(TimeSpan.FromMilliseconds(10))), new(Unique.Id("cache-memory"), queue));
            await handle.GetResultAsync();
            Assert.Equal(EventType.WorkflowExecutionCompleted, (await handle.FetchHistoryAsync()).Events.Last().EventType);
        });

        Assert.Equal(1, server.Engine.HistoriesInMemory.Runs);
    }

    [Fact]
    public async Task NoHistoryCache_RestartOnTheSameDatabase_RunsRestoredAndDroppedFinishFromTheFile()
    {
        string id;
        await using (var first = await TemporalDevServer.StartAsync(new DevServerOptions { DatabasePath = database, Limits = new() { HistoryCacheBytes = 0 } }))
        {
            var client = await TemporalClient.ConnectAsync(new(first.Target));
            var handle = await client.StartWorkflowAsync(
                (SleepWorkflow wf) => wf.RunAsync(new SleepInput(TimeSpan.FromSeconds(1))), new(Unique.Id("cache-restart"), Unique.Queue("cache-restart")));
            id = handle.Id;
        }

        await using var second = await TemporalDevServer.StartAsync(new DevServerOptions { DatabasePath = database, Limits = new() { HistoryCacheBytes = 0 } });
        Assert.Equal(0, second.Engine.HistoriesInMemory.Runs);
        var again = await TemporalClient.ConnectAsync(new(second.Target));
        var restored = again.GetWorkflowHandle<SleepWorkflow>(id);
        var queue = (await restored.DescribeAsync()).TaskQueue;
        using var worker = new TemporalWorker(again, new TemporalWorkerOptions(queue!).AddWorkflow<SleepWorkflow>());
        var result = await worker.ExecuteAsync(() => restored.GetResultAsync<SleepResult>());
        Assert.True(result.After >= result.Before.AddSeconds(1));
    }

    private static Task WaitForEventAsync(WorkflowHandle handle, EventType type, int count) =>
        Poll.UntilAsync(
            async () => (await handle.FetchHistoryAsync()).Events.Count(e => e.EventType == type),
            n => n >= count,
            TimeSpan.FromSeconds(30),
            n => $"{n} of {count} {type} events in {handle.Id}");
}
