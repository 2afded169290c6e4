using Google.Protobuf.WellKnownTypes;
using MaintenanceWorkflows.DevServer.Tests.Workflows;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.History.V1;
using Temporalio.Api.TaskQueue.V1;
using Temporalio.Api.WorkflowService.V1;
using Temporalio.Client;
using Temporalio.Exceptions;
using Temporalio.Worker;

namespace MaintenanceWorkflows.DevServer.Tests;

/// <summary>
/// Sticky task queues as Temporal runs them: incremental history on the sticky queue, full history on
/// the normal queue after a reset, a schedule-to-start timeout, a worker shutdown or a failure. Hand-driven
/// RPCs where the test must see the history a worker is sent; a real SDK worker for the end-to-end path.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class StickyQueueTests
{
    private readonly ServerFixture fixture;

    public StickyQueueTests(ServerFixture fixture) => this.fixture = fixture;

    private TemporalClient Client => fixture.Client;

    private string Ns => Client.Options.Namespace;

    [Fact]
    public async Task StickyPoll_AfterStickyCompletion_GetsOnlyNewEvents_ResetSendsFullHistoryToNormalQueue()
    {
        var (queue, sticky) = (Unique.Queue("sticky"), Unique.Queue("sticky-worker"));
        var handle = await Client.StartWorkflowAsync("Hand", [], new(Unique.Id("sticky"), queue));
        var first = await PollAsync(queue);
        Assert.Equal(1, first.History.Events[0].EventId);
        await CompleteAsync(first, Sticky(queue, sticky, TimeSpan.FromSeconds(30)));

        await MarkStickyWorkerAliveAsync(sticky, queue);
        var stickyPoll = PollAsync(sticky, queue);
        await handle.SignalAsync("s", ["one"]);
        var second = await stickyPoll;
        // Only what came after the last completed task (started event 3): completed, signal, scheduled, started.
        Assert.Equal(3, second.PreviousStartedEventId);
        Assert.Equal(
            [EventType.WorkflowTaskCompleted, EventType.WorkflowExecutionSignaled, EventType.WorkflowTaskScheduled, EventType.WorkflowTaskStarted],
            second.History.Events.Select(e => e.EventType));
        Assert.Equal(4, second.History.Events[0].EventId);
        Assert.Equal(second.StartedEventId, second.History.Events[^1].EventId);
        var scheduledOn = second.History.Events[2].WorkflowTaskScheduledEventAttributes.TaskQueue;
        Assert.Equal((sticky, TaskQueueKind.Sticky, queue), (scheduledOn.Name, scheduledOn.Kind, scheduledOn.NormalName));
        await CompleteAsync(second, Sticky(queue, sticky, TimeSpan.FromSeconds(30)));

        await Client.WorkflowService.ResetStickyTaskQueueAsync(new() { Namespace = Ns, Execution = new() { WorkflowId = handle.Id } });
        await handle.SignalAsync("s", ["two"]);
        var third = await PollAsync(queue);
        Assert.Equal(1, third.History.Events[0].EventId);
        Assert.Equal(third.StartedEventId, third.History.Events.Count);
        Assert.Equal(TaskQueueKind.Normal, third.History.Events[^2].WorkflowTaskScheduledEventAttributes.TaskQueue.Kind);
        await handle.TerminateAsync();
    }

    [Fact]
    public async Task StickyTask_NotTakenBeforeScheduleToStartTimeout_TimesOutToNormalQueueWithFullHistory()
    {
        var (queue, sticky) = (Unique.Queue("sticky-timeout"), Unique.Queue("sticky-worker"));
        var handle = await Client.StartWorkflowAsync("Hand", [], new(Unique.Id("sticky-timeout"), queue));
        await CompleteAsync(await PollAsync(queue), Sticky(queue, sticky, TimeSpan.FromSeconds(1)));
        // The sticky worker polls once (nothing there yet), so its queue counts as alive...
        await MarkStickyWorkerAliveAsync(sticky, queue);
        // ...then stops taking tasks: the signal's task waits on the sticky queue until its timeout.
        await handle.SignalAsync("s", ["one"]);
        var moved = await PollAsync(queue);

        var events = moved.History.Events;
        Assert.Equal(1, events[0].EventId);
        Assert.Equal(3, moved.PreviousStartedEventId);
        Assert.Equal(1, moved.Attempt);
        Assert.Equal(
            [EventType.WorkflowExecutionSignaled, EventType.WorkflowTaskScheduled, EventType.WorkflowTaskTimedOut,
                EventType.WorkflowTaskScheduled, EventType.WorkflowTaskStarted],
            events.Skip(4).Select(e => e.EventType));
        Assert.Equal(TaskQueueKind.Sticky, events[5].WorkflowTaskScheduledEventAttributes.TaskQueue.Kind);
        var timedOut = events[6].WorkflowTaskTimedOutEventAttributes;
        Assert.Equal((TimeoutType.ScheduleToStart, 6L, 0L), (timedOut.TimeoutType, timedOut.ScheduledEventId, timedOut.StartedEventId));
        Assert.Equal((queue, TaskQueueKind.Normal), (events[7].WorkflowTaskScheduledEventAttributes.TaskQueue.Name, events[7].WorkflowTaskScheduledEventAttributes.TaskQueue.Kind));
        // The copy left on the sticky queue is stale: the sticky worker never gets a second task.
        Assert.True((await PollAsync(sticky, queue, TimeSpan.FromSeconds(2))).TaskToken.IsEmpty);
        await CompleteAsync(moved, sticky: null);
        await handle.TerminateAsync();
    }

    [Fact]
    public async Task ShutdownWorker_UnloadsStickyQueue_NextTaskGoesToNormalQueueAtOnce()
    {
        var (queue, sticky) = (Unique.Queue("sticky-shutdown"), Unique.Queue("sticky-worker"));
        var handle = await Client.StartWorkflowAsync("Hand", [], new(Unique.Id("sticky-shutdown"), queue));
        await CompleteAsync(await PollAsync(queue), Sticky(queue, sticky, TimeSpan.FromMinutes(5)));
        await MarkStickyWorkerAliveAsync(sticky, queue);
        await Client.WorkflowService.ShutdownWorkerAsync(new() { Namespace = Ns, StickyTaskQueue = sticky, Identity = "hand-worker" });

        // Without the shutdown the task would wait on the live-looking sticky queue for its 5 min timeout;
        // unloaded, it skips the sticky queue at once.
        await handle.SignalAsync("s", ["one"]);
        var task = await PollAsync(queue);
        Assert.Equal(1, task.History.Events[0].EventId);
        Assert.DoesNotContain(task.History.Events, e => e.EventType == EventType.WorkflowTaskTimedOut);
        await CompleteAsync(task, sticky: null);
        await handle.TerminateAsync();
    }

    [Fact]
    public async Task FailedStickyTask_DropsStickiness_NextAttemptIsFirstAttemptOnNormalQueue()
    {
        var (queue, sticky) = (Unique.Queue("sticky-fail"), Unique.Queue("sticky-worker"));
        var handle = await Client.StartWorkflowAsync("Hand", [], new(Unique.Id("sticky-fail"), queue));
        await CompleteAsync(await PollAsync(queue), Sticky(queue, sticky, TimeSpan.FromMinutes(5)));
        await MarkStickyWorkerAliveAsync(sticky, queue);
        var stickyPoll = PollAsync(sticky, queue);
        await handle.SignalAsync("s", ["one"]);
        var onSticky = await stickyPoll;
        await Client.WorkflowService.RespondWorkflowTaskFailedAsync(new()
        {
            Namespace = Ns,
            TaskToken = onSticky.TaskToken,
            Cause = WorkflowTaskFailedCause.WorkflowWorkerUnhandledFailure,
            Failure = new() { Message = "cache lost" },
            Identity = "hand-worker",
        });
        var retried = await PollAsync(queue);
        // As in Temporal, a failure on a sticky queue is not counted: attempt 1 again, in history, full history sent.
        Assert.Equal(1, retried.Attempt);
        Assert.Equal(1, retried.History.Events[0].EventId);
        Assert.Equal(EventType.WorkflowTaskFailed, retried.History.Events[^3].EventType);
        Assert.Equal(TaskQueueKind.Normal, retried.History.Events[^2].WorkflowTaskScheduledEventAttributes.TaskQueue.Kind);
        await handle.TerminateAsync();
    }

    [Theory]
    [InlineData("", 10, "sticky_attributes.worker_task_queue.name")]
    [InlineData("huge-name", 10, "sticky_attributes.worker_task_queue.name")]
    [InlineData("ok", -5, "sticky_attributes.schedule_to_start_timeout")]
    [InlineData("ok", 864_000, "sticky_attributes.schedule_to_start_timeout")]
    [InlineData("ok", 315_576_000_000, "sticky_attributes.schedule_to_start_timeout")]
    public async Task Completion_MalformedStickyAttributes_RefusedNamingTheField_TaskStillCompletable(string name, long seconds, string field)
    {
        var queue = Unique.Queue("sticky-bad");
        var handle = await Client.StartWorkflowAsync("Hand", [], new(Unique.Id("sticky-bad"), queue));
        var task = await PollAsync(queue);
        var bad = new StickyExecutionAttributes
        {
            WorkerTaskQueue = new() { Name = name == "huge-name" ? new string('q', 5000) : name, Kind = TaskQueueKind.Sticky, NormalName = queue },
            ScheduleToStartTimeout = new Duration { Seconds = seconds },
        };
        var ex = await Assert.ThrowsAsync<RpcException>(() => CompleteAsync(task, bad));
        Assert.Equal(RpcException.StatusCode.InvalidArgument, ex.Code);
        Assert.Contains(field, ex.Message, StringComparison.Ordinal);
        // Nothing was applied: the same task completes normally afterwards.
        await CompleteAsync(task, sticky: null);
        await handle.TerminateAsync();
    }

    [Fact]
    public async Task ShutdownWorker_UnknownNamespaceOrQueue_NotFoundOrNoOp()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => Client.WorkflowService.ShutdownWorkerAsync(
            new() { Namespace = "no-such-namespace", StickyTaskQueue = "q" }));
        Assert.Equal(RpcException.StatusCode.NotFound, ex.Code);
        await Client.WorkflowService.ShutdownWorkerAsync(new() { Namespace = Ns, StickyTaskQueue = Unique.Queue("never-polled") });
        await Client.WorkflowService.ShutdownWorkerAsync(new() { Namespace = Ns });
    }

    [Fact]
    public async Task SdkWorker_RunsStickily_AndAnotherWorkerFinishesAfterTheFirstStops()
    {
        var queue = Unique.Queue("sticky-sdk");
        var handle = await Client.StartWorkflowAsync((CollectWorkflow wf) => wf.RunAsync(new CollectInput(3)), new(Unique.Id("sticky-sdk"), queue));
        var options = new TemporalWorkerOptions(queue) { Identity = "first", StickyQueueScheduleToStartTimeout = TimeSpan.FromSeconds(2) }
            .AddWorkflow<CollectWorkflow>();
        using (var first = new TemporalWorker(Client, options))
        {
            await first.ExecuteAsync(async () =>
            {
                // Queries ride on (or wait for) the pending workflow task: the first one is done before the signal.
                Assert.Equal(0, await handle.QueryAsync(wf => wf.Count));
                await handle.SignalAsync(wf => wf.AddAsync(new SignalInput("a")));
                // The query rides on (or waits for) the signal's workflow task, so it sees the signal applied.
                Assert.Equal(1, await handle.QueryAsync(wf => wf.Count));
            });
        }
        var stickyScheduled = (await ScheduledQueuesAsync(handle)).Skip(1).ToList();
        Assert.NotEmpty(stickyScheduled);
        Assert.All(stickyScheduled, q => Assert.Equal(TaskQueueKind.Sticky, q.Kind));

        // The first worker is gone (its cache with it): the next tasks reach a fresh worker through the normal queue.
        await handle.SignalAsync(wf => wf.AddAsync(new SignalInput("b")));
        await handle.SignalAsync(wf => wf.AddAsync(new SignalInput("c")));
        using var second = new TemporalWorker(Client, new TemporalWorkerOptions(queue) { Identity = "second" }.AddWorkflow<CollectWorkflow>());
        var result = await second.ExecuteAsync(() => handle.GetResultAsync());
        // The fresh worker, with nothing cached, rebuilt "a" from the history it was sent.
        Assert.Equal(["a", "b", "c"], result.Values);
        var history = await handle.FetchHistoryAsync();
        Assert.Equal("second", history.Events.Last(e => e.EventType == EventType.WorkflowTaskStarted).WorkflowTaskStartedEventAttributes.Identity);
    }

    /// <summary>
    /// One short, empty sticky poll: like Temporal's matching service, the devserver sends a run's task to
    /// its sticky queue only if a worker polled there lately. Without it a test's long poll could reach the
    /// server after the signal, and the task would rightly go to the normal queue instead.
    /// </summary>
    private async Task MarkStickyWorkerAliveAsync(string sticky, string queue) =>
        Assert.True((await PollAsync(sticky, queue, TimeSpan.FromSeconds(2))).TaskToken.IsEmpty);

    private static StickyExecutionAttributes Sticky(string queue, string sticky, TimeSpan timeout) => new()
    {
        WorkerTaskQueue = new() { Name = sticky, Kind = TaskQueueKind.Sticky, NormalName = queue },
        ScheduleToStartTimeout = Duration.FromTimeSpan(timeout),
    };

    private async Task<List<TaskQueue>> ScheduledQueuesAsync(WorkflowHandle handle)
    {
        var history = await handle.FetchHistoryAsync();
        return history.Events.Where(e => e.EventType == EventType.WorkflowTaskScheduled)
            .Select(e => e.WorkflowTaskScheduledEventAttributes.TaskQueue).ToList();
    }

    private Task<PollWorkflowTaskQueueResponse> PollAsync(string queue, string? normalName = null, TimeSpan? timeout = null) =>
        Client.WorkflowService.PollWorkflowTaskQueueAsync(
            new()
            {
                Namespace = Ns,
                TaskQueue = normalName == null
                    ? new() { Name = queue }
                    : new() { Name = queue, Kind = TaskQueueKind.Sticky, NormalName = normalName },
                Identity = "hand-worker",
            },
            new RpcOptions { Timeout = timeout, Retry = false });

    private Task<RespondWorkflowTaskCompletedResponse> CompleteAsync(PollWorkflowTaskQueueResponse task, StickyExecutionAttributes? sticky) =>
        Client.WorkflowService.RespondWorkflowTaskCompletedAsync(new()
        {
            Namespace = Ns,
            TaskToken = task.TaskToken,
            Identity = "hand-worker",
            StickyAttributes = sticky,
        });
}
