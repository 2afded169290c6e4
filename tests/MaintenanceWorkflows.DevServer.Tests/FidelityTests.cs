using MaintenanceWorkflows.DevServer.Tests.Workflows;
using Temporalio.Api.Enums.V1;
using Temporalio.Client;
using Temporalio.Exceptions;
using Temporalio.Worker;

namespace MaintenanceWorkflows.DevServer.Tests;

/// <summary>
/// Behaviour the Temporal SDK's own test suite checks against a real server (issue 14's numbered items),
/// checked here through the SDK against the devserver.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class FidelityTests
{
    private readonly ServerFixture fixture;

    public FidelityTests(ServerFixture fixture) => this.fixture = fixture;

    private TemporalClient Client => fixture.Client;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AcceptedUpdate_WorkflowClosesFirst_FailsWithAcceptedUpdateCompletedWorkflow(bool workflowFails)
    {
        var queue = Unique.Queue("abandoned-update");
        using var worker = new TemporalWorker(Client, new TemporalWorkerOptions(queue).AddWorkflow<AbandonedUpdateWorkflow>());
        await worker.ExecuteAsync(async () =>
        {
            var handle = await Client.StartWorkflowAsync(
                (AbandonedUpdateWorkflow wf) => wf.RunAsync(workflowFails), new(Unique.Id("abandoned-update"), queue));
            var ex = await Assert.ThrowsAsync<WorkflowUpdateFailedException>(() => handle.ExecuteUpdateAsync(wf => wf.NeverFinishesAsync()));
            var failure = Assert.IsType<ApplicationFailureException>(ex.InnerException);
            Assert.Equal("AcceptedUpdateCompletedWorkflow", failure.ErrorType);
            Assert.Equal("Workflow Update failed because the Workflow completed before the Update completed.", failure.Message);
        });
    }

    [Fact]
    public async Task UpdateNotYetAccepted_WorkflowTerminated_AbortedByClosingWorkflow()
    {
        // No SDK worker: this test polls the queue itself, so it knows the update reached a workflow task.
        var queue = Unique.Queue("update-terminated");
        var id = Unique.Id("update-terminated");
        var handle = await Client.StartWorkflowAsync("NoSuchWorker", [], new(id, queue));
        var update = handle.StartUpdateAsync("Pending", [], new(WorkflowUpdateStage.Accepted) { Id = "the-update" });
        var delivered = false;
        while (!delivered)
        {
            var task = await Client.WorkflowService.PollWorkflowTaskQueueAsync(new()
            {
                Namespace = Client.Options.Namespace,
                TaskQueue = new() { Name = queue },
                Identity = "test-poller",
            });
            delivered = task.Messages.Any(m => m.ProtocolInstanceId == "the-update");
            if (!delivered && !task.TaskToken.IsEmpty)
            {
                await Client.WorkflowService.RespondWorkflowTaskCompletedAsync(new()
                {
                    Namespace = Client.Options.Namespace,
                    TaskToken = task.TaskToken,
                    Identity = "test-poller",
                });
            }
        }
        await handle.TerminateAsync("closing with an update in flight");
        var ex = await Assert.ThrowsAsync<RpcException>(() => update);
        Assert.Equal(RpcException.StatusCode.NotFound, ex.Code);
        Assert.Equal("workflow update was aborted by closing workflow", ex.Message);
    }

    [Fact]
    public async Task Cancel_CompletedWorkflow_DoesNothingWhileTerminateIsRefused()
    {
        var queue = Unique.Queue("cancel-completed");
        using var worker = new TemporalWorker(Client, new TemporalWorkerOptions(queue).AddWorkflow<PriorityWorkflow>());
        await worker.ExecuteAsync(async () =>
        {
            var handle = await Client.StartWorkflowAsync((PriorityWorkflow wf) => wf.RunAsync(false), new(Unique.Id("cancel-completed"), queue));
            await handle.GetResultAsync();
            var before = (await handle.FetchHistoryAsync()).Events.Count;

            await handle.CancelAsync();

            Assert.Equal(before, (await handle.FetchHistoryAsync()).Events.Count);
            var ex = await Assert.ThrowsAsync<RpcException>(() => handle.TerminateAsync());
            Assert.Equal(RpcException.StatusCode.NotFound, ex.Code);
        });
    }

    [Fact]
    public async Task Start_PriorityAndSummary_ReachWorkflowInfoHistoryAndDescribe()
    {
        var queue = Unique.Queue("priority");
        using var worker = new TemporalWorker(Client, new TemporalWorkerOptions(queue).AddWorkflow<PriorityWorkflow>());
        await worker.ExecuteAsync(async () =>
        {
            var handle = await Client.StartWorkflowAsync(
                (PriorityWorkflow wf) => wf.RunAsync(true),
                new(Unique.Id("priority"), queue)
                {
                    Priority = new(1, "tenant-xyz", 3.2f),
                    StaticSummary = "parent summary",
                    StaticDetails = "parent details",
                });
            var report = await handle.GetResultAsync();
            Assert.Equal(new PriorityReport(1, "tenant-xyz", 3.2f, report.ChildId), report);

            var started = (await handle.FetchHistoryAsync()).Events.First().WorkflowExecutionStartedEventAttributes;
            Assert.Equal(1, started.Priority.PriorityKey);
            Assert.Equal("tenant-xyz", started.Priority.FairnessKey);
            var description = await handle.DescribeAsync();
            Assert.Equal("parent summary", await description.GetStaticSummaryAsync());
            Assert.Equal("parent details", await description.GetStaticDetailsAsync());
            Assert.Equal(1, (await RawDescribeAsync(handle)).WorkflowExecutionInfo.Priority.PriorityKey);

            var child = Client.GetWorkflowHandle(report.ChildId!);
            Assert.Equal(new PriorityReport(4, "high", 2.5f, null), await child.GetResultAsync<PriorityReport>());
            var childDescription = await child.DescribeAsync();
            Assert.Equal("child summary", await childDescription.GetStaticSummaryAsync());
            Assert.Equal("child details", await childDescription.GetStaticDetailsAsync());
        });
    }

    [Fact]
    public async Task HistoryInfo_PastSuggestThreshold_ContinueAsNewSuggestedWithGrowingSize()
    {
        await using var server = await TemporalDevServer.StartAsync(new()
        {
            Limits = new ServerLimits().WithDynamicConfig("limit.historyCount.suggestContinueAsNew=50"),
        });
        var client = await TemporalClient.ConnectAsync(new(server.Target));
        var queue = Unique.Queue("history-info");
        using var worker = new TemporalWorker(
            client, new TemporalWorkerOptions(queue).AddWorkflow<HistoryInfoWorkflow>().AddAllActivities(new BlobActivities()));
        var report = await worker.ExecuteAsync(() => client.ExecuteWorkflowAsync(
            (HistoryInfoWorkflow wf) => wf.RunAsync(50), new(Unique.Id("history-info"), queue)));

        Assert.Equal(3, report.First.Length);
        Assert.True(report.First.Size > 100, $"first task saw {report.First.Size} bytes of history");
        Assert.False(report.First.ContinueAsNewSuggested);
        Assert.True(report.AfterTimers.Length > 50, $"second task saw {report.AfterTimers.Length} events");
        Assert.True(report.AfterTimers.Size > report.First.Size);
        Assert.True(report.AfterTimers.ContinueAsNewSuggested);
    }

    [Fact]
    public async Task HistoryInfo_DefaultThresholds_NotSuggestedForShortHistory()
    {
        var queue = Unique.Queue("history-default");
        using var worker = new TemporalWorker(
            Client, new TemporalWorkerOptions(queue).AddWorkflow<HistoryInfoWorkflow>().AddAllActivities(new BlobActivities()));
        var report = await worker.ExecuteAsync(() => Client.ExecuteWorkflowAsync(
            (HistoryInfoWorkflow wf) => wf.RunAsync(60), new(Unique.Id("history-default"), queue)));
        Assert.False(report.AfterTimers.ContinueAsNewSuggested);
    }

    [Fact]
    public async Task ServerRejectsWorkflowTask_Repeatedly_RetriesBackOffAndHistoryKeepsOneFailure()
    {
        var queue = Unique.Queue("rejected-task");
        using var worker = new TemporalWorker(Client, new TemporalWorkerOptions(queue).AddWorkflow<UnacceptableTaskWorkflow>());
        await worker.ExecuteAsync(async () =>
        {
            var handle = await Client.StartWorkflowAsync((UnacceptableTaskWorkflow wf) => wf.RunAsync(), new(Unique.Id("rejected-task"), queue));
            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            Temporalio.Api.Workflow.V1.PendingWorkflowTaskInfo? pending = null;
            while (pending is not { Attempt: >= 3 })
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), bound.Token);
                pending = (await RawDescribeAsync(handle)).PendingWorkflowTask;
            }
            var pause = pending.ScheduledTime.ToDateTime() - pending.OriginalScheduledTime.ToDateTime();
            Assert.True(pause >= TimeSpan.FromSeconds(1), $"attempt {pending.Attempt} is offered after {pause}");

            var failures = (await handle.FetchHistoryAsync()).Events.Where(e => e.EventType == EventType.WorkflowTaskFailed).ToList();
            var failed = Assert.Single(failures);
            Assert.Equal(WorkflowTaskFailedCause.BadSearchAttributes, failed.WorkflowTaskFailedEventAttributes.Cause);
            Assert.Contains("no mapping defined for search attribute", failed.WorkflowTaskFailedEventAttributes.Failure.Message, StringComparison.Ordinal);
            await handle.TerminateAsync();
        });
    }

    [Theory]
    [InlineData(1, 0)]
    [InlineData(2, 0)]
    [InlineData(3, 1)]
    [InlineData(4, 2)]
    [InlineData(12, 512)]
    [InlineData(50, 600)]
    public void WorkflowTaskRetryBackoff_ByAttempt_DoublesFromTheThirdUpToTenMinutes(int attempt, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), Engine.WorkflowEngine.WorkflowTaskRetryBackoff(attempt));

    private Task<Temporalio.Api.WorkflowService.V1.DescribeWorkflowExecutionResponse> RawDescribeAsync(WorkflowHandle handle) =>
        Client.WorkflowService.DescribeWorkflowExecutionAsync(new()
        {
            Namespace = Client.Options.Namespace,
            Execution = new() { WorkflowId = handle.Id },
        });
}
