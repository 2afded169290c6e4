using MaintenanceWorkflows.DevServer.Tests.Workflows;
using Temporalio.Client;
using Temporalio.Worker;

namespace MaintenanceWorkflows.DevServer.Tests;

[Collection(ServerCollection.Name)]
public sealed class ConcurrencyTests
{
    private readonly ServerFixture fixture;

    public ConcurrencyTests(ServerFixture fixture) => this.fixture = fixture;

    [Fact]
    public async Task ManyWorkflows_ThreeWorkersOneQueue_EachActivityRunsExactlyOnce()
    {
        const int Count = 60;
        var queue = Unique.Queue("many");
        var activities = new[] { new TestActivities(), new TestActivities(), new TestActivities() };
        // Separate connections: like separate worker processes, which is what competing workers are.
        var workers = new List<TemporalWorker>();
        foreach (var a in activities)
        {
            var client = await TemporalClient.ConnectAsync(new(fixture.Server.Target));
            workers.Add(new TemporalWorker(client, new TemporalWorkerOptions(queue).AddWorkflow<ActivityCallWorkflow>().AddAllActivities(a)));
        }
        using var stop = new CancellationTokenSource();
        var running = workers.Select(w => w.ExecuteAsync(stop.Token)).ToList();
        try
        {
            var ids = Enumerable.Range(0, Count).Select(i => Unique.Id($"many-{i}")).ToList();
            var results = await Task.WhenAll(ids.Select(async id =>
            {
                var call = new ActivityCall("echo", id, StartToClose: TimeSpan.FromSeconds(30));
                var handle = await fixture.Client.StartWorkflowAsync((ActivityCallWorkflow wf) => wf.RunAsync(call), new(id, queue));
                return (id, result: await handle.GetResultAsync());
            }));
            Assert.All(results, r => Assert.Equal(r.id, r.result.Value));
            var executions = activities.SelectMany(a => a.Attempts).ToList();
            Assert.Equal(Count, executions.Count);
            Assert.All(executions, e => Assert.Equal(1, e.Attempt));
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(running.Select(async t =>
            {
                try
                {
                    await t;
                }
                catch (OperationCanceledException)
                {
                    // The workers stop because the test asked them to.
                }
            }));
            workers.ForEach(w => w.Dispose());
        }
    }

    [Fact]
    public async Task WorkerShutDownMidActivity_SecondWorkerPicksUpTheRetry()
    {
        var queue = Unique.Queue("handoff");
        var first = new TestActivities();
        var call = new ActivityCall(
            "hang", "x", StartToClose: TimeSpan.FromSeconds(30), Heartbeat: TimeSpan.FromSeconds(1), InitialInterval: TimeSpan.FromMilliseconds(50));
        var handle = await fixture.Client.StartWorkflowAsync((ActivityCallWorkflow wf) => wf.RunAsync(call), new(Unique.Id("handoff"), queue));
        using (var stopFirst = new CancellationTokenSource())
        {
            using var worker = new TemporalWorker(
                fixture.Client, new TemporalWorkerOptions(queue).AddWorkflow<ActivityCallWorkflow>().AddAllActivities(first));
            var running = worker.ExecuteAsync(stopFirst.Token);
            await first.Started.Task.WaitAsync(TimeSpan.FromSeconds(20));
            await stopFirst.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
        }
        using var second = new TemporalWorker(
            fixture.Client, new TemporalWorkerOptions(queue).AddWorkflow<ActivityCallWorkflow>().AddAllActivities(new HandoffActivities()));
        var result = await second.ExecuteAsync(() => handle.GetResultAsync());
        Assert.StartsWith("finished by the second worker on attempt ", result.Value, StringComparison.Ordinal);
        Assert.Single(first.Attempts);
    }
}
