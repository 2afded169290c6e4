using MaintenanceWorkflows.DevServer.Tests.Workflows;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.WorkflowService.V1;
using Temporalio.Client;
using Temporalio.Exceptions;
using Temporalio.Worker;

namespace MaintenanceWorkflows.DevServer.Tests;

/// <summary>
/// Issue 14: the cluster and task-queue RPCs the `temporal` CLI and SDK users call over gRPC (the web UI calls
/// the same handlers through /api/v1): GetClusterInfo, DescribeTaskQueue, GetSearchAttributes.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class ClusterAnswerTests
{
    private readonly ServerFixture fixture;

    public ClusterAnswerTests(ServerFixture fixture) => this.fixture = fixture;

    private TemporalClient Client => fixture.Client;

    [Fact]
    public async Task GetClusterInfo_OverGrpc_NamesTheServerAndItsStore()
    {
        var info = await Client.WorkflowService.GetClusterInfoAsync(new GetClusterInfoRequest());

        var system = await Client.WorkflowService.GetSystemInfoAsync(new GetSystemInfoRequest());
        Assert.Equal(system.ServerVersion, info.ServerVersion);
        Assert.Equal("memory", info.PersistenceStore);
        Assert.Equal(1, info.HistoryShardCount);
    }

    [Fact]
    public async Task DescribeTaskQueue_WhileAWorkerPolls_ListsThatWorkerPerQueueType()
    {
        var queue = Unique.Queue("describe");
        var identity = Unique.Id("poller");
        using var worker = new TemporalWorker(
            Client, new TemporalWorkerOptions(queue) { Identity = identity }.AddWorkflow<UpdateWithStartWorkflow>());
        await worker.ExecuteAsync(async () =>
        {
            var workflowPollers = await Poll.UntilAsync(
                () => DescribeAsync(queue, TaskQueueType.Workflow),
                r => r.Pollers.Any(p => p.Identity == identity),
                TimeSpan.FromSeconds(30),
                r => $"pollers seen: [{string.Join(", ", r.Pollers.Select(p => p.Identity))}]");
            Assert.NotNull(Assert.Single(workflowPollers.Pollers, p => p.Identity == identity).LastAccessTime);
        });

        // A queue nobody polled has no pollers; that is an answer, not an error.
        Assert.Empty((await DescribeAsync(Unique.Queue("never-polled"), TaskQueueType.Activity)).Pollers);
    }

    [Fact]
    public async Task DescribeTaskQueue_UnknownNamespaceOrNoQueue_IsRefusedNamingIt()
    {
        var unknown = await Assert.ThrowsAsync<RpcException>(() => Client.WorkflowService.DescribeTaskQueueAsync(new DescribeTaskQueueRequest
        {
            Namespace = "no-such-namespace",
            TaskQueue = new() { Name = "q" },
        }));
        Assert.Equal(RpcException.StatusCode.NotFound, unknown.Code);
        Assert.Contains("no-such-namespace", unknown.Message, StringComparison.Ordinal);

        var unnamed = await Assert.ThrowsAsync<RpcException>(() => Client.WorkflowService.DescribeTaskQueueAsync(new DescribeTaskQueueRequest
        {
            Namespace = Client.Options.Namespace,
        }));
        Assert.Equal(RpcException.StatusCode.InvalidArgument, unnamed.Code);
        Assert.Contains("task_queue.name", unnamed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetSearchAttributes_OverGrpc_ListsSystemAndRegisteredAttributes()
    {
        var answer = await Client.WorkflowService.GetSearchAttributesAsync(new GetSearchAttributesRequest());

        Assert.Equal(IndexedValueType.Keyword, answer.Keys["WorkflowType"]);
        Assert.Equal(IndexedValueType.Keyword, answer.Keys[PropertiesWorkflow.Phase.Name]);
    }

    private Task<DescribeTaskQueueResponse> DescribeAsync(string queue, TaskQueueType type) =>
        Client.WorkflowService.DescribeTaskQueueAsync(new DescribeTaskQueueRequest
        {
            Namespace = Client.Options.Namespace,
            TaskQueue = new() { Name = queue },
            TaskQueueType = type,
        });
}
