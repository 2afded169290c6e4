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

    [Fact]
    public async Task RegisterNamespace_NewName_IsUsableAtOnce_AndASecondRegistrationIsRefused()
    {
        var name = Unique.Id("registered").Replace("_", "-", StringComparison.Ordinal);
        await Client.WorkflowService.RegisterNamespaceAsync(new RegisterNamespaceRequest { Namespace = name });

        var described = await Client.WorkflowService.DescribeNamespaceAsync(new DescribeNamespaceRequest { Namespace = name });
        Assert.Equal(name, described.NamespaceInfo.Name);
        var listed = await Client.WorkflowService.ListNamespacesAsync(new ListNamespacesRequest());
        Assert.Contains(listed.Namespaces, n => n.NamespaceInfo.Name == name);

        // A client of the new namespace runs a workflow there.
        var there = await TemporalClient.ConnectAsync(new(fixture.Server.Target) { Namespace = name });
        var queue = Unique.Queue("registered");
        using var worker = new TemporalWorker(there, new TemporalWorkerOptions(queue).AddWorkflow<SleepWorkflow>());
        await worker.ExecuteAsync(() => there.ExecuteWorkflowAsync(
            (SleepWorkflow wf) => wf.RunAsync(new SleepInput(TimeSpan.FromMilliseconds(1))), new(Unique.Id("registered"), queue)));

        var again = await Assert.ThrowsAsync<RpcException>(() =>
            Client.WorkflowService.RegisterNamespaceAsync(new RegisterNamespaceRequest { Namespace = name }));
        Assert.Equal(RpcException.StatusCode.AlreadyExists, again.Code);
        Assert.Contains("already exists", again.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("semi;colon")]
    public async Task RegisterNamespace_BadName_IsRefusedSayingWhatIsAllowed(string name)
    {
        var refused = await Assert.ThrowsAsync<RpcException>(() =>
            Client.WorkflowService.RegisterNamespaceAsync(new RegisterNamespaceRequest { Namespace = name }));

        Assert.Equal(RpcException.StatusCode.InvalidArgument, refused.Code);
        Assert.Contains("namespace", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RegisterNamespace_OversizedName_IsRefusedWithTheLimitAndWithoutEchoingItAll()
    {
        // 300 characters: over the limit, yet small enough for the namespace header the SDK also sends.
        var name = new string('n', 300);
        var refused = await Assert.ThrowsAsync<RpcException>(() =>
            Client.WorkflowService.RegisterNamespaceAsync(new RegisterNamespaceRequest { Namespace = name }));

        Assert.True(refused.Code == RpcException.StatusCode.InvalidArgument, $"{refused.Code}: {refused.Message}");
        Assert.Contains("at most 255", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(name, refused.Message, StringComparison.Ordinal);
    }

    private Task<DescribeTaskQueueResponse> DescribeAsync(string queue, TaskQueueType type) =>
        Client.WorkflowService.DescribeTaskQueueAsync(new DescribeTaskQueueRequest
        {
            Namespace = Client.Options.Namespace,
            TaskQueue = new() { Name = queue },
            TaskQueueType = type,
        });
}
