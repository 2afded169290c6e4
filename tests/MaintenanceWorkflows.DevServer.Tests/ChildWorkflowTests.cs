using MaintenanceWorkflows.DevServer.Tests.Workflows;
using Temporalio.Api.Enums.V1;
using Temporalio.Client;
using Temporalio.Exceptions;
using Temporalio.Worker;
using Temporalio.Workflows;
using ParentClosePolicy = Temporalio.Workflows.ParentClosePolicy;

namespace MaintenanceWorkflows.DevServer.Tests;

[Collection(ServerCollection.Name)]
public sealed class ChildWorkflowTests
{
    private readonly ServerFixture fixture;

    public ChildWorkflowTests(ServerFixture fixture) => this.fixture = fixture;

    private TemporalClient Client => fixture.Client;

    [Fact]
    public async Task ChildWorkflow_Completes_ParentGetsResultAndChildKnowsParent()
    {
        await RunAsync("child-result", async (queue, childId, run) =>
        {
            var (parent, result) = await run(new FamilyInput("child-result", childId));
            Assert.Equal($"child {childId} of {parent.Id}", result);
            var types = (await parent.FetchHistoryAsync()).Events.Select(e => e.EventType).ToList();
            Assert.True(
                types.IndexOf(EventType.StartChildWorkflowExecutionInitiated) < types.IndexOf(EventType.ChildWorkflowExecutionStarted) &&
                types.IndexOf(EventType.ChildWorkflowExecutionStarted) < types.IndexOf(EventType.ChildWorkflowExecutionCompleted),
                string.Join(", ", types));
            var child = await Client.GetWorkflowHandle(childId).DescribeAsync();
            Assert.Equal(parent.Id, child.ParentId);
            Assert.Equal(WorkflowExecutionStatus.Completed, child.Status);
        });
    }

    [Fact]
    public async Task ChildWorkflow_Fails_ParentCatchesChildFailure()
    {
        await RunAsync("child-fail", async (_, childId, run) =>
            Assert.Equal("caught: child gave up", (await run(new FamilyInput("child-fail", childId))).Result));
    }

    [Fact]
    public async Task ChildWorkflow_IdAlreadyRunning_ParentSeesAlreadyStarted()
    {
        await RunAsync("child-duplicate", async (queue, childId, run) =>
        {
            var existing = await StartChildDirectlyAsync(childId, queue);
            Assert.Equal("already started", (await run(new FamilyInput("child-duplicate", childId))).Result);
            await existing.TerminateAsync();
        });
    }

    [Fact]
    public async Task ParentClosePolicy_Terminate_ChildTerminatedWhenParentCompletes()
    {
        await RunAsync("close-terminate", async (_, childId, run) =>
        {
            Assert.Equal("left", (await run(new FamilyInput("child-leave", childId, ParentClosePolicy.Terminate))).Result);
            Assert.Equal(WorkflowExecutionStatus.Terminated, (await Client.GetWorkflowHandle(childId).DescribeAsync()).Status);
        });
    }

    [Fact]
    public async Task ParentClosePolicy_RequestCancel_ChildCanceled()
    {
        await RunAsync("close-cancel", async (_, childId, run) =>
        {
            Assert.Equal("left", (await run(new FamilyInput("child-leave", childId, ParentClosePolicy.RequestCancel))).Result);
            var ex = await Assert.ThrowsAsync<WorkflowFailedException>(() => Client.GetWorkflowHandle(childId).GetResultAsync<string>());
            Assert.IsType<CanceledFailureException>(ex.InnerException);
        });
    }

    [Fact]
    public async Task ParentClosePolicy_Abandon_ChildKeepsRunning()
    {
        await RunAsync("close-abandon", async (_, childId, run) =>
        {
            Assert.Equal("left", (await run(new FamilyInput("child-leave", childId, ParentClosePolicy.Abandon))).Result);
            var child = Client.GetWorkflowHandle<FamilyChildWorkflow>(childId);
            Assert.Equal(WorkflowExecutionStatus.Running, (await child.DescribeAsync()).Status);
            await child.SignalAsync(c => c.PokeAsync());
            Assert.Equal("poked", await child.GetResultAsync<string>());
        });
    }

    [Fact]
    public async Task ChildWorkflow_CanceledByParent_ParentSeesCancellation()
    {
        await RunAsync("child-cancel", async (_, childId, run) =>
            Assert.Equal("child canceled", (await run(new FamilyInput("child-cancel", childId))).Result));
    }

    [Fact]
    public async Task SignalExternal_RunningTarget_DeliveredWithSender()
    {
        await RunAsync("signal", async (queue, childId, run) =>
        {
            var target = await StartChildDirectlyAsync(childId, queue);
            var (parent, result) = await run(new FamilyInput("signal", childId));
            Assert.Equal("signaled", result);
            Assert.Equal("poked", await target.GetResultAsync<string>());
            var signaled = (await target.FetchHistoryAsync()).Events.Single(e => e.EventType == EventType.WorkflowExecutionSignaled);
            Assert.Equal(parent.Id, signaled.WorkflowExecutionSignaledEventAttributes.ExternalWorkflowExecution.WorkflowId);
            Assert.Contains((await parent.FetchHistoryAsync()).Events, e => e.EventType == EventType.ExternalWorkflowExecutionSignaled);
        });
    }

    [Fact]
    public async Task SignalExternal_UnknownTarget_ParentSeesFailure()
    {
        await RunAsync("signal-missing", async (_, childId, run) =>
        {
            var (parent, result) = await run(new FamilyInput("signal-missing", childId));
            Assert.StartsWith("signal failed", result, StringComparison.Ordinal);
            Assert.Contains((await parent.FetchHistoryAsync()).Events, e => e.EventType == EventType.SignalExternalWorkflowExecutionFailed);
        });
    }

    [Fact]
    public async Task CancelExternal_RunningTarget_TargetCanceled()
    {
        await RunAsync("cancel-external", async (queue, childId, run) =>
        {
            var target = await StartChildDirectlyAsync(childId, queue);
            Assert.Equal("cancel requested", (await run(new FamilyInput("cancel-external", childId))).Result);
            var ex = await Assert.ThrowsAsync<WorkflowFailedException>(() => target.GetResultAsync<string>());
            Assert.IsType<CanceledFailureException>(ex.InnerException);
        });
    }

    private Task<WorkflowHandle> StartChildDirectlyAsync(string id, string queue) =>
        Client.StartWorkflowAsync((FamilyChildWorkflow c) => c.RunAsync("wait"), new(id, queue)).ContinueWith(t => (WorkflowHandle)t.Result, TaskScheduler.Default);

    private async Task RunAsync(
        string test,
        Func<string, string, Func<FamilyInput, Task<(WorkflowHandle<FamilyParentWorkflow, string> Parent, string Result)>>, Task> body)
    {
        var queue = Unique.Queue(test);
        using var worker = new TemporalWorker(
            Client, new TemporalWorkerOptions(queue).AddWorkflow<FamilyParentWorkflow>().AddWorkflow<FamilyChildWorkflow>());
        await worker.ExecuteAsync(() => body(queue, Unique.Id($"{test}-child"), async input =>
        {
            var parent = await Client.StartWorkflowAsync((FamilyParentWorkflow wf) => wf.RunAsync(input), new(Unique.Id(test), queue));
            return (parent, await parent.GetResultAsync());
        }));
    }
}
