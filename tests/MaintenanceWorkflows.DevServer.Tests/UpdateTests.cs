using MaintenanceWorkflows.DevServer.Tests.Workflows;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.History.V1;
using Temporalio.Api.WorkflowService.V1;
using Temporalio.Client;
using Temporalio.Converters;
using Temporalio.Exceptions;
using Temporalio.Worker;

namespace MaintenanceWorkflows.DevServer.Tests;

[Collection(ServerCollection.Name)]
public sealed class UpdateTests
{
    private readonly ServerFixture fixture;

    public UpdateTests(ServerFixture fixture) => this.fixture = fixture;

    private TemporalClient Client => fixture.Client;

    [Fact]
    public async Task ExecuteUpdate_ValidEntry_ReturnsResultAndRecordsAcceptedThenCompleted()
    {
        var queue = Unique.Queue("update");
        using var worker = NewWorker(queue);
        await worker.ExecuteAsync(async () =>
        {
            var handle = await StartLedgerAsync(queue);
            var receipt = await handle.ExecuteUpdateAsync(wf => wf.AddAsync(new LedgerEntry("a")));
            Assert.Equal(new LedgerReceipt(1, "a"), receipt);
            await handle.ExecuteUpdateAsync(wf => wf.CloseAsync());
            Assert.Equal(["a"], (await handle.GetResultAsync()).Entries);

            var events = (await handle.FetchHistoryAsync()).Events;
            var accepted = events.First(e => e.EventType == EventType.WorkflowExecutionUpdateAccepted);
            Assert.Equal("Add", accepted.WorkflowExecutionUpdateAcceptedEventAttributes.AcceptedRequest.Input.Name);
            var completed = events.First(e => e.EventType == EventType.WorkflowExecutionUpdateCompleted);
            Assert.Equal(accepted.EventId, completed.WorkflowExecutionUpdateCompletedEventAttributes.AcceptedEventId);
            Assert.Equal(
                accepted.WorkflowExecutionUpdateAcceptedEventAttributes.ProtocolInstanceId,
                completed.WorkflowExecutionUpdateCompletedEventAttributes.Meta.UpdateId);
            AssertContiguous(events);
        });
    }

    [Fact]
    public async Task StartUpdate_WaitForAccepted_ReturnsBeforeHandlerFinishes()
    {
        var queue = Unique.Queue("update-accepted");
        using var worker = NewWorker(queue);
        await worker.ExecuteAsync(async () =>
        {
            var handle = await StartLedgerAsync(queue);
            var update = await handle.StartUpdateAsync(
                wf => wf.AddWhenReleasedAsync(new LedgerEntry("late")), new(WorkflowUpdateStage.Accepted));
            var events = (await handle.FetchHistoryAsync()).Events;
            Assert.Contains(events, e => e.EventType == EventType.WorkflowExecutionUpdateAccepted);
            Assert.DoesNotContain(events, e => e.EventType == EventType.WorkflowExecutionUpdateCompleted);

            await handle.SignalAsync(wf => wf.ReleaseAsync());
            Assert.Equal(new LedgerReceipt(1, "late"), await update.GetResultAsync());
            await handle.ExecuteUpdateAsync(wf => wf.CloseAsync());
            await handle.GetResultAsync();
        });
    }

    [Fact]
    public async Task ExecuteUpdate_ValidatorRejects_ThrowsApplicationFailureAndWritesNoEvent()
    {
        var queue = Unique.Queue("update-rejected");
        using var worker = NewWorker(queue);
        await worker.ExecuteAsync(async () =>
        {
            var handle = await StartLedgerAsync(queue);
            await handle.ExecuteUpdateAsync(wf => wf.AddAsync(new LedgerEntry("a")));
            var before = (await handle.FetchHistoryAsync()).Events.Select(e => e.EventType).ToList();

            var ex = await Assert.ThrowsAsync<WorkflowUpdateFailedException>(
                () => handle.ExecuteUpdateAsync(wf => wf.AddAsync(new LedgerEntry(string.Empty))));
            var failure = Assert.IsType<ApplicationFailureException>(ex.InnerException);
            Assert.Equal("EmptyValue", failure.ErrorType);
            Assert.Contains("value must not be empty", failure.Message, StringComparison.Ordinal);
            Assert.Equal(before, (await handle.FetchHistoryAsync()).Events.Select(e => e.EventType));

            // The worker rolled back past the discarded task and carries on.
            Assert.Equal(new LedgerReceipt(2, "b"), await handle.ExecuteUpdateAsync(wf => wf.AddAsync(new LedgerEntry("b"))));
            await handle.ExecuteUpdateAsync(wf => wf.CloseAsync());
            Assert.Equal(["a", "b"], (await handle.GetResultAsync()).Entries);
            AssertContiguous((await handle.FetchHistoryAsync()).Events);
        });
    }

    [Fact]
    public async Task ExecuteUpdate_HandlerThrows_ThrowsHandlerFailureAndRecordsIt()
    {
        var queue = Unique.Queue("update-failed");
        using var worker = NewWorker(queue);
        await worker.ExecuteAsync(async () =>
        {
            var handle = await StartLedgerAsync(queue);
            var ex = await Assert.ThrowsAsync<WorkflowUpdateFailedException>(
                () => handle.ExecuteUpdateAsync(wf => wf.FailAsync(new LedgerEntry("x"))));
            var failure = Assert.IsType<ApplicationFailureException>(ex.InnerException);
            Assert.Equal("HandlerFailed", failure.ErrorType);
            var completed = (await handle.FetchHistoryAsync()).Events.Single(e => e.EventType == EventType.WorkflowExecutionUpdateCompleted);
            Assert.Contains("handler failed on 'x'", completed.WorkflowExecutionUpdateCompletedEventAttributes.Outcome.Failure.Message, StringComparison.Ordinal);
            await handle.TerminateAsync();
        });
    }

    [Fact]
    public async Task ExecuteUpdate_HandlerRunsActivity_ReturnsActivityResult()
    {
        var queue = Unique.Queue("update-activity");
        using var worker = NewWorker(queue);
        await worker.ExecuteAsync(async () =>
        {
            var handle = await StartLedgerAsync(queue);
            var receipt = await handle.ExecuteUpdateAsync(wf => wf.AddGreetingAsync(new LedgerEntry("ops")));
            Assert.Equal(new LedgerReceipt(1, "Hello, ops!"), receipt);
            var types = (await handle.FetchHistoryAsync()).Events.Select(e => e.EventType).ToList();
            Assert.True(
                types.IndexOf(EventType.WorkflowExecutionUpdateAccepted) < types.IndexOf(EventType.ActivityTaskScheduled) &&
                types.IndexOf(EventType.ActivityTaskCompleted) < types.IndexOf(EventType.WorkflowExecutionUpdateCompleted),
                string.Join(", ", types));
            await handle.ExecuteUpdateAsync(wf => wf.CloseAsync());
            Assert.Equal(["Hello, ops!"], (await handle.GetResultAsync()).Entries);
        });
    }

    [Fact]
    public async Task Update_SentWhileWorkflowTaskInFlight_DeliveredOnNextTaskAndDeduplicatedById()
    {
        var queue = Unique.Queue("update-inflight");
        var handle = await StartLedgerAsync(queue);
        var task = await Client.WorkflowService.PollWorkflowTaskQueueAsync(NewPoll(queue));
        Assert.Empty(task.Messages);

        // The update arrives while the first task is out; its caller gives up waiting, the update stays admitted.
        var updateId = Guid.NewGuid().ToString();
        var request = new UpdateWorkflowExecutionRequest
        {
            Namespace = "default",
            WorkflowExecution = new() { WorkflowId = handle.Id },
            WaitPolicy = new() { LifecycleStage = UpdateWorkflowExecutionLifecycleStage.Accepted },
            Request = new()
            {
                Meta = new() { UpdateId = updateId, Identity = "test" },
                Input = new() { Name = "Add", Args = new() { Payloads_ = { DataConverter.Default.PayloadConverter.ToPayload(new LedgerEntry("x")) } } },
            },
        };
        var timedOut = await Assert.ThrowsAsync<RpcException>(() => Client.WorkflowService.UpdateWorkflowExecutionAsync(
            request, new RpcOptions { Timeout = TimeSpan.FromMilliseconds(500), Retry = false }));
        // The client ends the call at its own deadline (Cancelled) unless the server's DeadlineExceeded arrives first.
        Assert.Contains(timedOut.Code, new[] { RpcException.StatusCode.DeadlineExceeded, RpcException.StatusCode.Cancelled });

        // The first task issues no command; completing it by hand leaves the update for the next task.
        await Client.WorkflowService.RespondWorkflowTaskCompletedAsync(new() { Namespace = "default", TaskToken = task.TaskToken, Identity = "test" });
        using var worker = NewWorker(queue);
        await worker.ExecuteAsync(async () =>
        {
            var first = await handle.ExecuteUpdateAsync(wf => wf.AddAsync(new LedgerEntry("x")), new(updateId));
            var again = await handle.ExecuteUpdateAsync(wf => wf.AddAsync(new LedgerEntry("x")), new(updateId));
            Assert.Equal(new LedgerReceipt(1, "x"), first);
            Assert.Equal(first, again);
            Assert.Equal(1, await handle.QueryAsync(wf => wf.Count));
            var events = (await handle.FetchHistoryAsync()).Events;
            Assert.Single(events, e => e.EventType == EventType.WorkflowExecutionUpdateAccepted);
            await handle.TerminateAsync();
        });
    }

    [Fact]
    public async Task ExecuteUpdate_ClosedWorkflow_NotFoundForNewIdOutcomeForKnownId()
    {
        var queue = Unique.Queue("update-closed");
        using var worker = NewWorker(queue);
        await worker.ExecuteAsync(async () =>
        {
            var handle = await StartLedgerAsync(queue);
            var updateId = Guid.NewGuid().ToString();
            await handle.ExecuteUpdateAsync(wf => wf.AddAsync(new LedgerEntry("a")), new(updateId));
            await handle.ExecuteUpdateAsync(wf => wf.CloseAsync());
            await handle.GetResultAsync();

            var ex = await Assert.ThrowsAsync<RpcException>(() => handle.ExecuteUpdateAsync(wf => wf.AddAsync(new LedgerEntry("b"))));
            Assert.Equal(RpcException.StatusCode.NotFound, ex.Code);
            Assert.Contains("already completed", ex.Message, StringComparison.Ordinal);
            Assert.Equal(new LedgerReceipt(1, "a"), await handle.ExecuteUpdateAsync(wf => wf.AddAsync(new LedgerEntry("a")), new(updateId)));
        });
    }

    [Fact]
    public async Task Update_WorkflowClosesBeforeHandlerFinishes_UpdateFailsWithServerFailure()
    {
        var queue = Unique.Queue("update-abandoned");
        using var worker = NewWorker(queue);
        await worker.ExecuteAsync(async () =>
        {
            var handle = await StartLedgerAsync(queue);
            var update = await handle.StartUpdateAsync(
                wf => wf.AddWhenReleasedAsync(new LedgerEntry("never")), new(WorkflowUpdateStage.Accepted));
            await handle.SignalAsync(wf => wf.CloseNowAsync());
            await handle.GetResultAsync();
            var ex = await Assert.ThrowsAsync<WorkflowUpdateFailedException>(() => update.GetResultAsync());
            Assert.Contains("Workflow completed before the Update completed", ex.InnerException?.Message, StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task PollUpdate_UnknownUpdateId_NotFound()
    {
        var handle = await StartLedgerAsync(Unique.Queue("update-unknown"));
        var ex = await Assert.ThrowsAsync<RpcException>(() => Client.WorkflowService.PollWorkflowExecutionUpdateAsync(new()
        {
            Namespace = "default",
            UpdateRef = new() { WorkflowExecution = new() { WorkflowId = handle.Id }, UpdateId = "no-such-update" },
            WaitPolicy = new() { LifecycleStage = UpdateWorkflowExecutionLifecycleStage.Completed },
        }));
        Assert.Equal(RpcException.StatusCode.NotFound, ex.Code);
        Assert.Contains("no-such-update", ex.Message, StringComparison.Ordinal);
        await handle.TerminateAsync();
    }

    private TemporalWorker NewWorker(string queue) => new(
        Client, new TemporalWorkerOptions(queue).AddWorkflow<LedgerWorkflow>().AddAllActivities(new BasicActivities()));

    private Task<WorkflowHandle<LedgerWorkflow, LedgerResult>> StartLedgerAsync(string queue) =>
        Client.StartWorkflowAsync((LedgerWorkflow wf) => wf.RunAsync(), new(Unique.Id("ledger"), queue));

    private static PollWorkflowTaskQueueRequest NewPoll(string queue) =>
        new() { Namespace = "default", TaskQueue = new() { Name = queue }, Identity = "test" };

    private static void AssertContiguous(IReadOnlyCollection<HistoryEvent> events) =>
        Assert.Equal(Enumerable.Range(1, events.Count).Select(i => (long)i), events.Select(e => e.EventId));
}
