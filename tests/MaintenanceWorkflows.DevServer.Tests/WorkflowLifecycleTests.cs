using MaintenanceWorkflows.DevServer.Tests.Workflows;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.WorkflowService.V1;
using Temporalio.Client;
using Temporalio.Common;
using Temporalio.Exceptions;
using Temporalio.Worker;

namespace MaintenanceWorkflows.DevServer.Tests;

[Collection(ServerCollection.Name)]
public sealed class WorkflowLifecycleTests
{
    private readonly ServerFixture fixture;

    public WorkflowLifecycleTests(ServerFixture fixture) => this.fixture = fixture;

    private TemporalClient Client => fixture.Client;

    [Fact]
    public async Task Start_IdOfRunningWorkflow_ThrowsAlreadyStartedWithRunId()
    {
        var id = Unique.Id("dup");
        var first = await Client.StartWorkflowAsync((CollectWorkflow wf) => wf.RunAsync(new CollectInput(1)), new(id, Unique.Queue("dup")));
        var ex = await Assert.ThrowsAsync<WorkflowAlreadyStartedException>(() =>
            Client.StartWorkflowAsync((CollectWorkflow wf) => wf.RunAsync(new CollectInput(1)), new(id, Unique.Queue("dup"))));
        Assert.Equal(first.ResultRunId, ex.RunId);
        await first.TerminateAsync();
    }

    [Fact]
    public async Task Start_SameRequestIdTwice_ReturnsSameRun()
    {
        var request = NewStartRequest(Unique.Id("idempotent"));
        var first = await Client.WorkflowService.StartWorkflowExecutionAsync(request);
        var second = await Client.WorkflowService.StartWorkflowExecutionAsync(request);
        Assert.Equal(first.RunId, second.RunId);
        Assert.True(first.Started);
        await Client.GetWorkflowHandle(request.WorkflowId).TerminateAsync();
    }

    [Fact]
    public async Task Start_IdReusedAfterClose_StartsNewRunUnlessRejected()
    {
        var id = Unique.Id("reuse");
        var first = await Client.StartWorkflowAsync((CollectWorkflow wf) => wf.RunAsync(new CollectInput(1)), new(id, Unique.Queue("reuse")));
        await first.TerminateAsync();
        var second = await Client.StartWorkflowAsync((CollectWorkflow wf) => wf.RunAsync(new CollectInput(1)), new(id, Unique.Queue("reuse")));
        Assert.NotEqual(first.ResultRunId, second.ResultRunId);
        await second.TerminateAsync();
        await Assert.ThrowsAsync<WorkflowAlreadyStartedException>(() => Client.StartWorkflowAsync(
            (CollectWorkflow wf) => wf.RunAsync(new CollectInput(1)),
            new(id, Unique.Queue("reuse")) { IdReusePolicy = WorkflowIdReusePolicy.RejectDuplicate }));
    }

    [Fact]
    public async Task Start_MissingTaskQueue_InvalidArgumentNamingField()
    {
        var request = NewStartRequest(Unique.Id("invalid"));
        request.TaskQueue = new();
        var ex = await Assert.ThrowsAsync<RpcException>(() => Client.WorkflowService.StartWorkflowExecutionAsync(request));
        Assert.Equal(RpcException.StatusCode.InvalidArgument, ex.Code);
        Assert.Contains("task_queue", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Describe_UnknownWorkflow_NotFound()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => Client.GetWorkflowHandle(Unique.Id("missing")).DescribeAsync());
        Assert.Equal(RpcException.StatusCode.NotFound, ex.Code);
    }

    [Fact]
    public async Task Connect_UnknownNamespace_NotFoundAndOtherNamespaceWorks()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            Client.WorkflowService.DescribeNamespaceAsync(new() { Namespace = "no-such-namespace" }));
        Assert.Equal(RpcException.StatusCode.NotFound, ex.Code);
        Assert.Contains("--namespace no-such-namespace", ex.Message, StringComparison.Ordinal);
        var other = await Client.WorkflowService.DescribeNamespaceAsync(new() { Namespace = "other" });
        Assert.Equal(Temporalio.Api.Enums.V1.NamespaceState.Registered, other.NamespaceInfo.State);
    }

    [Fact]
    public async Task Start_ExecutionTimeout_WorkflowTimesOut()
    {
        var handle = await Client.StartWorkflowAsync(
            (CollectWorkflow wf) => wf.RunAsync(new CollectInput(1)),
            new(Unique.Id("exec-timeout"), Unique.Queue("exec-timeout")) { ExecutionTimeout = TimeSpan.FromMilliseconds(300) });
        var ex = await Assert.ThrowsAsync<WorkflowFailedException>(() => handle.GetResultAsync());
        Assert.IsType<TimeoutFailureException>(ex.InnerException);
        Assert.Equal(WorkflowExecutionStatus.TimedOut, (await handle.DescribeAsync()).Status);
    }

    [Fact]
    public async Task Start_RunTimeout_WorkflowTimesOut()
    {
        var handle = await Client.StartWorkflowAsync(
            (CollectWorkflow wf) => wf.RunAsync(new CollectInput(1)),
            new(Unique.Id("run-timeout"), Unique.Queue("run-timeout")) { RunTimeout = TimeSpan.FromMilliseconds(300) });
        var ex = await Assert.ThrowsAsync<WorkflowFailedException>(() => handle.GetResultAsync());
        Assert.IsType<TimeoutFailureException>(ex.InnerException);
    }

    [Fact]
    public async Task Start_MemoAndSearchAttributes_ReturnedByDescribe()
    {
        var handle = await Client.StartWorkflowAsync(
            (CollectWorkflow wf) => wf.RunAsync(new CollectInput(1)),
            new(Unique.Id("memo"), Unique.Queue("memo"))
            {
                Memo = new Dictionary<string, object> { ["team"] = "ops" },
                TypedSearchAttributes = new SearchAttributeCollection.Builder()
                    .Set(PropertiesWorkflow.Phase, "Notice").ToSearchAttributeCollection(),
            });
        var description = await handle.DescribeAsync();
        Assert.Equal("ops", await description.Memo["team"].ToValueAsync<string>());
        Assert.Equal("Notice", description.TypedSearchAttributes.Get(PropertiesWorkflow.Phase));
        await handle.TerminateAsync();
    }

    [Fact]
    public async Task Start_StartDelay_FirstTaskWaitsForDelay()
    {
        var queue = Unique.Queue("delay");
        using var worker = new TemporalWorker(Client, new TemporalWorkerOptions(queue).AddWorkflow<SleepWorkflow>());
        await worker.ExecuteAsync(async () =>
        {
            var handle = await Client.StartWorkflowAsync(
                (SleepWorkflow wf) => wf.RunAsync(new SleepInput(TimeSpan.FromMilliseconds(1))),
                new(Unique.Id("delay"), queue) { StartDelay = TimeSpan.FromMilliseconds(400) });
            var result = await handle.GetResultAsync();
            var description = await handle.DescribeAsync();
            Assert.Equal(description.StartTime + TimeSpan.FromMilliseconds(400), description.ExecutionTime);
            Assert.True(result.Before >= description.StartTime + TimeSpan.FromMilliseconds(400));
        });
    }

    [Fact]
    public async Task SignalWithStart_StartsThenSignalsExistingRun()
    {
        var queue = Unique.Queue("sws");
        var id = Unique.Id("sws");
        using var worker = new TemporalWorker(Client, new TemporalWorkerOptions(queue).AddWorkflow<CollectWorkflow>());
        await worker.ExecuteAsync(async () =>
        {
            var options = new WorkflowOptions(id, queue);
            options.SignalWithStart((CollectWorkflow wf) => wf.AddAsync(new SignalInput("a")));
            var first = await Client.StartWorkflowAsync((CollectWorkflow wf) => wf.RunAsync(new CollectInput(2)), options);
            var again = new WorkflowOptions(id, queue);
            again.SignalWithStart((CollectWorkflow wf) => wf.AddAsync(new SignalInput("b")));
            var second = await Client.StartWorkflowAsync((CollectWorkflow wf) => wf.RunAsync(new CollectInput(2)), again);
            Assert.Equal(first.ResultRunId, second.ResultRunId);
            Assert.Equal(["a", "b"], (await first.GetResultAsync()).Values);
        });
    }

    [Fact]
    public async Task Fail_WorkflowThrowsApplicationFailure_WorkflowFailed()
    {
        var queue = Unique.Queue("fail");
        using var worker = new TemporalWorker(Client, new TemporalWorkerOptions(queue).AddWorkflow<CollectWorkflow>());
        await worker.ExecuteAsync(async () =>
        {
            var handle = await Client.StartWorkflowAsync((CollectWorkflow wf) => wf.RunAsync(new CollectInput(1)), new(Unique.Id("fail"), queue));
            await handle.SignalAsync(wf => wf.AddAsync(new SignalInput("fail")));
            var ex = await Assert.ThrowsAsync<WorkflowFailedException>(() => handle.GetResultAsync());
            Assert.Equal("Asked", Assert.IsType<ApplicationFailureException>(ex.InnerException).ErrorType);
        });
    }

    [Fact]
    public async Task Cancel_WaitingWorkflow_WorkflowCanceled()
    {
        var queue = Unique.Queue("cancel");
        using var worker = new TemporalWorker(Client, new TemporalWorkerOptions(queue).AddWorkflow<CollectWorkflow>());
        await worker.ExecuteAsync(async () =>
        {
            var handle = await Client.StartWorkflowAsync((CollectWorkflow wf) => wf.RunAsync(new CollectInput(5)), new(Unique.Id("cancel"), queue));
            await handle.CancelAsync();
            var ex = await Assert.ThrowsAsync<WorkflowFailedException>(() => handle.GetResultAsync());
            Assert.IsType<CanceledFailureException>(ex.InnerException);
            Assert.Equal(WorkflowExecutionStatus.Canceled, (await handle.DescribeAsync()).Status);
        });
    }

    [Fact]
    public async Task Terminate_RunningWorkflow_TerminatedAndSignalsRejected()
    {
        var handle = await Client.StartWorkflowAsync(
            (CollectWorkflow wf) => wf.RunAsync(new CollectInput(5)), new(Unique.Id("terminate"), Unique.Queue("terminate")));
        await handle.TerminateAsync("no longer needed");
        var ex = await Assert.ThrowsAsync<WorkflowFailedException>(() => handle.GetResultAsync());
        Assert.IsType<TerminatedFailureException>(ex.InnerException);
        var signal = await Assert.ThrowsAsync<RpcException>(() => handle.SignalAsync(wf => wf.AddAsync(new SignalInput("late"))));
        Assert.Equal(RpcException.StatusCode.NotFound, signal.Code);
    }

    [Fact]
    public async Task CancelTimer_SignalCancelsTimer_TimerCanceledEventWritten()
    {
        var queue = Unique.Queue("timer-cancel");
        using var worker = new TemporalWorker(Client, new TemporalWorkerOptions(queue).AddWorkflow<TimerCancelWorkflow>());
        await worker.ExecuteAsync(async () =>
        {
            var handle = await Client.StartWorkflowAsync(
                (TimerCancelWorkflow wf) => wf.RunAsync(new TimerCancelInput(TimeSpan.FromHours(1))), new(Unique.Id("timer-cancel"), queue));
            await ActivityTests.WaitForEventAsync(handle, EventType.TimerStarted);
            await handle.SignalAsync(wf => wf.CancelTimerAsync());
            Assert.False((await handle.GetResultAsync()).TimerFired);
            var history = await handle.FetchHistoryAsync();
            Assert.Contains(history.Events, e => e.EventType == EventType.TimerCanceled);
            Assert.DoesNotContain(history.Events, e => e.EventType == EventType.TimerFired);
        });
    }

    [Fact]
    public async Task Properties_UpsertsAndPatchMarker_VisibleInDescribeAndHistory()
    {
        var queue = Unique.Queue("props");
        using var worker = new TemporalWorker(Client, new TemporalWorkerOptions(queue).AddWorkflow<PropertiesWorkflow>());
        await worker.ExecuteAsync(async () =>
        {
            var handle = await Client.StartWorkflowAsync(
                (PropertiesWorkflow wf) => wf.RunAsync(new PropertiesInput("Execution")), new(Unique.Id("props"), queue));
            await Poll.UntilAsync(() => handle.QueryAsync(wf => wf.Upserted), upserted => upserted, TimeSpan.FromSeconds(20), _ => "the workflow did not upsert");
            var description = await handle.DescribeAsync();
            Assert.Equal("Execution", description.TypedSearchAttributes.Get(PropertiesWorkflow.Phase));
            Assert.Equal("ops", await description.Memo["owner"].ToValueAsync<string>());
            await handle.SignalAsync(wf => wf.ReleaseAsync());
            Assert.True((await handle.GetResultAsync()).Patched);
            var history = await handle.FetchHistoryAsync();
            Assert.Contains(history.Events, e => e.EventType == EventType.MarkerRecorded);
            Assert.Contains(history.Events, e => e.EventType == EventType.UpsertWorkflowSearchAttributes);
            Assert.Contains(history.Events, e => e.EventType == EventType.WorkflowPropertiesModified);
        });
    }

    [Fact]
    public async Task WorkflowTaskFailure_BugFixedOnRetry_WorkflowRecovers()
    {
        var queue = Unique.Queue("wft-fail");
        using var worker = new TemporalWorker(Client, new TemporalWorkerOptions(queue).AddWorkflow<FlakyTaskWorkflow>());
        await worker.ExecuteAsync(async () =>
        {
            var handle = await Client.StartWorkflowAsync(
                (FlakyTaskWorkflow wf) => wf.RunAsync(new FlakyTaskInput(1)), new(Unique.Id("wft-fail"), queue));
            Assert.Equal(2, (await handle.GetResultAsync()).Attempts);
            var history = await handle.FetchHistoryAsync();
            var failed = Assert.Single(history.Events, e => e.EventType == EventType.WorkflowTaskFailed);
            Assert.Contains("workflow task bug", failed.WorkflowTaskFailedEventAttributes.Failure.Message, StringComparison.Ordinal);
            Assert.Equal(
                [1, 2],
                history.Events.Where(e => e.EventType == EventType.WorkflowTaskScheduled)
                    .Select(e => e.WorkflowTaskScheduledEventAttributes.Attempt));
        });
    }

    [Fact]
    public async Task WorkflowTaskFailure_KeepsFailing_OnlyFirstAttemptWrittenToHistory()
    {
        var queue = Unique.Queue("wft-transient");
        using var worker = new TemporalWorker(Client, new TemporalWorkerOptions(queue).AddWorkflow<FlakyTaskWorkflow>());
        await worker.ExecuteAsync(async () =>
        {
            // Attempts after the first are not reported by the worker: they end by timeout, hence the short task timeout.
            var handle = await Client.StartWorkflowAsync(
                (FlakyTaskWorkflow wf) => wf.RunAsync(new FlakyTaskInput(3)),
                new(Unique.Id("wft-transient"), queue) { TaskTimeout = TimeSpan.FromSeconds(1) });
            Assert.True((await handle.GetResultAsync()).Attempts >= 4);
            var events = (await handle.FetchHistoryAsync()).Events;
            Assert.Single(events, e => e.EventType is EventType.WorkflowTaskFailed or EventType.WorkflowTaskTimedOut);
            var attempts = events.Where(e => e.EventType == EventType.WorkflowTaskScheduled)
                .Select(e => e.WorkflowTaskScheduledEventAttributes.Attempt).ToList();
            Assert.Equal(2, attempts.Count);
            Assert.Equal(1, attempts[0]);
            Assert.True(attempts[1] >= 4, $"the completed attempt is {attempts[1]}");
            Assert.Equal(Enumerable.Range(1, events.Count).Select(i => (long)i), events.Select(e => e.EventId));
        });
    }

    [Fact]
    public async Task History_PagedWithSmallPages_ContiguousAndComplete()
    {
        var queue = Unique.Queue("paging");
        using var worker = new TemporalWorker(Client, new TemporalWorkerOptions(queue).AddWorkflow<CollectWorkflow>());
        var id = Unique.Id("paging");
        await worker.ExecuteAsync(async () =>
        {
            var handle = await Client.StartWorkflowAsync((CollectWorkflow wf) => wf.RunAsync(new CollectInput(3)), new(id, queue));
            foreach (var value in new[] { "a", "b", "c" })
            {
                await handle.SignalAsync(wf => wf.AddAsync(new SignalInput(value)));
            }
            await handle.GetResultAsync();
        });
        var events = new List<Temporalio.Api.History.V1.HistoryEvent>();
        var request = new GetWorkflowExecutionHistoryRequest { Namespace = "default", Execution = new() { WorkflowId = id }, MaximumPageSize = 2 };
        do
        {
            var page = await Client.WorkflowService.GetWorkflowExecutionHistoryAsync(request);
            Assert.True(page.History.Events.Count <= 2);
            events.AddRange(page.History.Events);
            request.NextPageToken = page.NextPageToken;
        }
        while (!request.NextPageToken.IsEmpty);
        Assert.Equal(Enumerable.Range(1, events.Count).Select(i => (long)i), events.Select(e => e.EventId));
        Assert.Equal(EventType.WorkflowExecutionStarted, events[0].EventType);
        Assert.Equal(EventType.WorkflowExecutionCompleted, events[^1].EventType);
        Assert.Equal(3, events.Count(e => e.EventType == EventType.WorkflowExecutionSignaled));
    }

    private static StartWorkflowExecutionRequest NewStartRequest(string id) => new()
    {
        Namespace = "default",
        WorkflowId = id,
        WorkflowType = new() { Name = "CollectWorkflow" },
        TaskQueue = new() { Name = Unique.Queue("raw") },
        RequestId = Guid.NewGuid().ToString(),
        Identity = "test",
    };
}
