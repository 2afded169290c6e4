using MaintenanceWorkflows.DevServer.Tests.Workflows;
using Temporalio.Api.Enums.V1;
using Temporalio.Client;
using Temporalio.Exceptions;
using Temporalio.Worker;

namespace MaintenanceWorkflows.DevServer.Tests;

[Collection(ServerCollection.Name)]
public sealed class QueryTests
{
    private readonly ServerFixture fixture;

    public QueryTests(ServerFixture fixture) => this.fixture = fixture;

    private TemporalClient Client => fixture.Client;

    [Fact]
    public async Task Query_IdleWorkflow_AnsweredByLegacyQueryTask()
    {
        var queue = Unique.Queue("query-idle");
        using var worker = new TemporalWorker(Client, new TemporalWorkerOptions(queue).AddWorkflow<CollectWorkflow>());
        await worker.ExecuteAsync(async () =>
        {
            var handle = await Client.StartWorkflowAsync((CollectWorkflow wf) => wf.RunAsync(new CollectInput(3)), new(Unique.Id("query-idle"), queue));
            await handle.SignalAsync(wf => wf.AddAsync(new SignalInput("a")));
            await WaitForCountAsync(handle, 1);
            await handle.SignalAsync(wf => wf.AddAsync(new SignalInput("b")));
            await WaitForCountAsync(handle, 2);
            await handle.TerminateAsync();
        });
    }

    [Fact]
    public async Task Query_WhileWorkflowTaskPending_AttachedToThatTask()
    {
        var queue = Unique.Queue("query-attached");
        var handle = await Client.StartWorkflowAsync((CollectWorkflow wf) => wf.RunAsync(new CollectInput(1)), new(Unique.Id("query-attached"), queue));
        // No worker yet: the first workflow task is scheduled, so the query must ride on it.
        var query = handle.QueryAsync(wf => wf.Count);
        Assert.False(query.IsCompleted);
        using var worker = new TemporalWorker(Client, new TemporalWorkerOptions(queue).AddWorkflow<CollectWorkflow>());
        await worker.ExecuteAsync(async () =>
        {
            Assert.Equal(0, await query.WaitAsync(TimeSpan.FromSeconds(20)));
            await handle.TerminateAsync();
        });
    }

    [Fact]
    public async Task Query_ClosedWorkflow_AnsweredFromFullHistory()
    {
        var queue = Unique.Queue("query-closed");
        using var worker = new TemporalWorker(Client, new TemporalWorkerOptions(queue).AddWorkflow<CollectWorkflow>());
        await worker.ExecuteAsync(async () =>
        {
            var handle = await Client.StartWorkflowAsync((CollectWorkflow wf) => wf.RunAsync(new CollectInput(2)), new(Unique.Id("query-closed"), queue));
            await handle.SignalAsync(wf => wf.AddAsync(new SignalInput("a")));
            await handle.SignalAsync(wf => wf.AddAsync(new SignalInput("b")));
            await handle.GetResultAsync();
            Assert.Equal(2, await handle.QueryAsync(wf => wf.Count));
            var rejected = await Assert.ThrowsAsync<WorkflowQueryRejectedException>(() => handle.QueryAsync(
                wf => wf.Count, new() { RejectCondition = QueryRejectCondition.NotOpen }));
            Assert.Equal(WorkflowExecutionStatus.Completed, rejected.WorkflowStatus);
        });
    }

    [Fact]
    public async Task Query_UnknownQueryType_ThrowsQueryFailed()
    {
        var queue = Unique.Queue("query-unknown");
        using var worker = new TemporalWorker(Client, new TemporalWorkerOptions(queue).AddWorkflow<CollectWorkflow>());
        await worker.ExecuteAsync(async () =>
        {
            var handle = await Client.StartWorkflowAsync((CollectWorkflow wf) => wf.RunAsync(new CollectInput(1)), new(Unique.Id("query-unknown"), queue));
            await WaitForCountAsync(handle, 0);
            await Assert.ThrowsAsync<WorkflowQueryFailedException>(() => handle.QueryAsync<int>("no-such-query", []));
            await handle.TerminateAsync();
        });
    }

    private static Task WaitForCountAsync(WorkflowHandle<CollectWorkflow, CollectResult> handle, int count) =>
        Poll.UntilAsync(() => handle.QueryAsync(wf => wf.Count), n => n == count, TimeSpan.FromSeconds(20), n => $"{n} values, not {count}");
}
