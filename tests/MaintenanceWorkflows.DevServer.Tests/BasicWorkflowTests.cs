using MaintenanceWorkflows.DevServer.Tests.Workflows;
using Temporalio.Client;
using Temporalio.Worker;

namespace MaintenanceWorkflows.DevServer.Tests;

[Collection(ServerCollection.Name)]
public sealed class BasicWorkflowTests
{
    private readonly ServerFixture fixture;

    public BasicWorkflowTests(ServerFixture fixture) => this.fixture = fixture;

    [Fact]
    public async Task ExecuteWorkflow_ActivityTimerSignalQuery_CompletesWithResult()
    {
        var queue = Unique.Queue("greeting");
        using var worker = new TemporalWorker(
            fixture.Client,
            new TemporalWorkerOptions(queue).AddWorkflow<GreetingWorkflow>().AddAllActivities(new BasicActivities()));
        await worker.ExecuteAsync(async () =>
        {
            var handle = await fixture.Client.StartWorkflowAsync(
                (GreetingWorkflow wf) => wf.RunAsync(new GreetingInput("ops", TimeSpan.FromMilliseconds(200))),
                new(Unique.Id("greeting"), queue));
            await WaitForStageAsync(handle, "waiting");
            await handle.SignalAsync(wf => wf.AddAsync(new SignalInput("one")));
            await handle.SignalAsync(wf => wf.FinishAsync(new SignalInput("two")));
            var result = await handle.GetResultAsync();
            Assert.Equal("Hello, ops!", result.Greeting);
            Assert.Equal(["one", "two"], result.Signals);
            Assert.True(result.FinishedAt - result.StartedAt >= TimeSpan.FromMilliseconds(200));
            Assert.Equal("done", await handle.QueryAsync(wf => wf.Stage));
        });
    }

    internal static Task WaitForStageAsync(WorkflowHandle<GreetingWorkflow, GreetingResult> handle, string stage) =>
        Poll.UntilAsync(() => handle.QueryAsync(wf => wf.Stage), s => s == stage, TimeSpan.FromSeconds(20), s => $"stage {s}, not {stage}");
}
