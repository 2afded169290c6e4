using MaintenanceWorkflows.DevServer.Tests.Workflows;
using Temporalio.Api.Enums.V1;
using Temporalio.Client;
using Temporalio.Worker;

namespace MaintenanceWorkflows.DevServer.Tests;

[Collection(ServerCollection.Name)]
public sealed class ActivityTests
{
    private readonly ServerFixture fixture;

    public ActivityTests(ServerFixture fixture) => this.fixture = fixture;

    [Fact]
    public async Task Retry_FailsTwiceWithBackoff_ThirdAttemptSucceedsAfterGrowingDelays()
    {
        var (result, activities) = await RunAsync(new ActivityCall(
            "flaky", "3", StartToClose: TimeSpan.FromSeconds(10), InitialInterval: TimeSpan.FromMilliseconds(100), Backoff: 2));
        Assert.Equal("ok after 3", result.Value);
        var attempts = activities.Attempts.ToArray();
        Assert.Equal([1, 2, 3], attempts.Select(a => a.Attempt));
        Assert.True(attempts[1].At - attempts[0].At >= TimeSpan.FromMilliseconds(100));
        Assert.True(attempts[2].At - attempts[1].At >= TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task Retry_MaximumAttemptsReached_FailsWithLastApplicationFailure()
    {
        var (result, activities) = await RunAsync(new ActivityCall(
            "fail-typed", "Broken", StartToClose: TimeSpan.FromSeconds(10), MaxAttempts: 3, InitialInterval: TimeSpan.FromMilliseconds(10)));
        Assert.Equal("ApplicationFailureException", result.FailureType);
        Assert.Equal("Broken", result.CauseType);
        Assert.Equal(RetryState.MaximumAttemptsReached, result.RetryState);
        Assert.Equal(3, activities.Attempts.Count);
    }

    [Fact]
    public async Task Retry_MaximumIntervalCapsBackoff_RetriesUntilSuccess()
    {
        var (result, activities) = await RunAsync(new ActivityCall(
            "flaky", "4", StartToClose: TimeSpan.FromSeconds(10), InitialInterval: TimeSpan.FromMilliseconds(20),
            Backoff: 10, MaxInterval: TimeSpan.FromMilliseconds(60)));
        Assert.Equal("ok after 4", result.Value);
        var attempts = activities.Attempts.ToArray();
        // Uncapped, the third delay would be 2 s; capped it is 60 ms, so the test stays fast.
        Assert.True(attempts[3].At - attempts[2].At >= TimeSpan.FromMilliseconds(60));
    }

    [Fact]
    public async Task Retry_NonRetryableErrorType_FailsAfterOneAttempt()
    {
        var (result, activities) = await RunAsync(new ActivityCall(
            "fail-typed", "Fatal", StartToClose: TimeSpan.FromSeconds(10), NonRetryableTypes: ["Fatal"]));
        Assert.Equal("Fatal", result.CauseType);
        Assert.Equal(RetryState.NonRetryableFailure, result.RetryState);
        Assert.Single(activities.Attempts);
    }

    [Fact]
    public async Task Retry_NonRetryableFailure_FailsAfterOneAttempt()
    {
        var (result, activities) = await RunAsync(new ActivityCall("fail-nonretryable", "x", StartToClose: TimeSpan.FromSeconds(10)));
        Assert.Equal("Final", result.CauseType);
        Assert.Equal(RetryState.NonRetryableFailure, result.RetryState);
        Assert.Single(activities.Attempts);
    }

    [Fact]
    public async Task Retry_NextRetryDelay_OverridesBackoff()
    {
        var (result, activities) = await RunAsync(new ActivityCall(
            "fail-next-delay", "300", StartToClose: TimeSpan.FromSeconds(10), InitialInterval: TimeSpan.FromMilliseconds(1)));
        Assert.Equal("ok after 2", result.Value);
        var attempts = activities.Attempts.ToArray();
        Assert.True(attempts[1].At - attempts[0].At >= TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public async Task Timeout_StartToClose_RetriedThenTimedOut()
    {
        var (result, activities) = await RunAsync(new ActivityCall(
            "hang", "x", StartToClose: TimeSpan.FromMilliseconds(300), MaxAttempts: 2, InitialInterval: TimeSpan.FromMilliseconds(10)));
        Assert.Equal("TimeoutFailureException", result.FailureType);
        Assert.Equal(TimeoutType.StartToClose, result.TimeoutType);
        Assert.Equal(RetryState.MaximumAttemptsReached, result.RetryState);
        Assert.Equal([1, 2], activities.Attempts.Select(a => a.Attempt));
    }

    [Fact]
    public async Task Timeout_ScheduleToStart_NoWorkerPolls_TimedOutWithoutRetry()
    {
        var (result, activities) = await RunAsync(new ActivityCall(
            "echo", "x", StartToClose: TimeSpan.FromSeconds(10), ScheduleToStart: TimeSpan.FromMilliseconds(300),
            TaskQueue: Unique.Queue("nobody-polls")));
        Assert.Equal(TimeoutType.ScheduleToStart, result.TimeoutType);
        Assert.Empty(activities.Attempts);
    }

    [Fact]
    public async Task Timeout_ScheduleToClose_HangingActivity_TimedOutFinal()
    {
        var (result, _) = await RunAsync(new ActivityCall("hang", "x", ScheduleToClose: TimeSpan.FromMilliseconds(400)));
        Assert.Equal(TimeoutType.ScheduleToClose, result.TimeoutType);
        Assert.Equal(RetryState.Timeout, result.RetryState);
    }

    [Fact]
    public async Task Timeout_Heartbeat_DetailsReachNextAttempt()
    {
        var (result, activities) = await RunAsync(new ActivityCall(
            "heartbeat-once", "beat-1", StartToClose: TimeSpan.FromSeconds(20), Heartbeat: TimeSpan.FromSeconds(1),
            MaxAttempts: 2, InitialInterval: TimeSpan.FromMilliseconds(10)));
        Assert.Equal(TimeoutType.Heartbeat, result.TimeoutType);
        var attempts = activities.Attempts.ToArray();
        Assert.Equal(2, attempts.Length);
        Assert.Contains("beat-1", attempts[1].HeartbeatDetails, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Heartbeat_DetailsBeforeFailure_CarriedToNextAttempt()
    {
        var (result, _) = await RunAsync(new ActivityCall(
            "heartbeat-then-fail", "progress-7", StartToClose: TimeSpan.FromSeconds(10), InitialInterval: TimeSpan.FromMilliseconds(10)));
        Assert.Equal("progress-7", result.Value);
    }

    [Fact]
    public async Task Cancel_RunningActivity_HeartbeatReportsCancelAndActivityCanceled()
    {
        var queue = Unique.Queue("activity-cancel");
        var activities = new TestActivities();
        using var worker = NewWorker(queue, activities);
        await worker.ExecuteAsync(async () =>
        {
            var handle = await StartCallAsync(new ActivityCall(
                    "heartbeat-until-cancel", "tick", StartToClose: TimeSpan.FromSeconds(30), Heartbeat: TimeSpan.FromSeconds(1)), Unique.Id("activity-cancel"), queue);
            await activities.Started.Task.WaitAsync(TimeSpan.FromSeconds(20));
            await handle.SignalAsync(wf => wf.CancelActivityAsync());
            var result = await handle.GetResultAsync();
            Assert.Equal("CanceledFailureException", result.FailureType);
            var history = await handle.FetchHistoryAsync();
            Assert.Contains(history.Events, e => e.EventType == EventType.ActivityTaskCancelRequested);
            var canceled = Assert.Single(history.Events, e => e.EventType == EventType.ActivityTaskCanceled);
            Assert.NotEqual(0, canceled.ActivityTaskCanceledEventAttributes.StartedEventId);
        });
    }

    [Fact]
    public async Task Cancel_RunningActivityThatNeverHeartbeats_TimesOutOnceAndIsNotRetried()
    {
        var queue = Unique.Queue("activity-cancel-no-heartbeat");
        var activities = new TestActivities();
        using var worker = NewWorker(queue, activities);
        await worker.ExecuteAsync(async () =>
        {
            // Unlimited attempts: only the cancellation can stop the retries.
            var handle = await StartCallAsync(new ActivityCall("hang", "x", StartToClose: TimeSpan.FromSeconds(2)), Unique.Id("activity-cancel-no-heartbeat"), queue);
            await activities.Started.Task.WaitAsync(TimeSpan.FromSeconds(20));
            await handle.SignalAsync(wf => wf.CancelActivityAsync());
            // The activity never heartbeats, so it never hears of the cancellation; its attempt times out, and as in
            // Temporal a cancelled activity is not retried (it was, forever, so this waited without end).
            using var bound = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            var result = await handle.GetResultAsync(rpcOptions: new() { CancellationToken = bound.Token });
            Assert.Equal(Temporalio.Api.Enums.V1.RetryState.CancelRequested, result.RetryState);
            Assert.Single(activities.Attempts);
            var history = await handle.FetchHistoryAsync();
            Assert.Contains(history.Events, e => e.EventType == EventType.ActivityTaskCancelRequested);
        });
    }

    [Fact]
    public async Task Describe_RunningActivity_ShowsPendingActivityAndHeartbeat()
    {
        var queue = Unique.Queue("describe-activity");
        var activities = new TestActivities();
        using var worker = NewWorker(queue, activities);
        await worker.ExecuteAsync(async () =>
        {
            var handle = await StartCallAsync(new ActivityCall(
                "heartbeat-until-cancel", "tick", StartToClose: TimeSpan.FromSeconds(30), Heartbeat: TimeSpan.FromSeconds(1)),
                Unique.Id("describe-activity"), queue);
            await activities.Started.Task.WaitAsync(TimeSpan.FromSeconds(20));
            Temporalio.Api.Workflow.V1.PendingActivityInfo pending;
            using (var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20)))
            {
                do
                {
                    deadline.Token.ThrowIfCancellationRequested();
                    var description = await fixture.Client.WorkflowService.DescribeWorkflowExecutionAsync(new()
                    {
                        Namespace = "default",
                        Execution = new() { WorkflowId = handle.Id },
                    });
                    pending = Assert.Single(description.PendingActivities);
                }
                while (pending.HeartbeatDetails == null);
            }
            Assert.Equal(PendingActivityState.Started, pending.State);
            Assert.Equal("heartbeat-until-cancel", pending.ActivityType.Name);
            Assert.Equal(1, pending.Attempt);
            Assert.Contains("tick", pending.HeartbeatDetails.Payloads_[0].Data.ToStringUtf8(), StringComparison.Ordinal);
            await handle.SignalAsync(wf => wf.CancelActivityAsync());
            Assert.Equal("CanceledFailureException", (await handle.GetResultAsync()).FailureType);
        });
    }

    [Fact]
    public async Task Cancel_ActivityNotYetStarted_CanceledAtOnce()
    {
        var queue = Unique.Queue("activity-cancel-unstarted");
        using var worker = NewWorker(queue, new TestActivities());
        await worker.ExecuteAsync(async () =>
        {
            var handle = await StartCallAsync(new ActivityCall(
                    "echo", "x", StartToClose: TimeSpan.FromSeconds(10), TaskQueue: Unique.Queue("nobody-polls")), Unique.Id("activity-cancel-unstarted"), queue);
            await WaitForEventAsync(handle, EventType.ActivityTaskScheduled);
            await handle.SignalAsync(wf => wf.CancelActivityAsync());
            var result = await handle.GetResultAsync();
            Assert.Equal("CanceledFailureException", result.FailureType);
            var history = await handle.FetchHistoryAsync();
            var canceled = Assert.Single(history.Events, e => e.EventType == EventType.ActivityTaskCanceled);
            Assert.Equal(0, canceled.ActivityTaskCanceledEventAttributes.StartedEventId);
            Assert.DoesNotContain(history.Events, e => e.EventType == EventType.ActivityTaskStarted);
        });
    }

    [Fact]
    public async Task AsyncCompletion_ById_HeartbeatAndCompleteFromClient()
    {
        var queue = Unique.Queue("async-complete");
        var activities = new TestActivities();
        using var worker = NewWorker(queue, activities);
        await worker.ExecuteAsync(async () =>
        {
            var id = Unique.Id("async-complete");
            var handle = await StartCallAsync(new ActivityCall("complete-async", "x", StartToClose: TimeSpan.FromSeconds(30)), id, queue);
            var info = await activities.Started.Task.WaitAsync(TimeSpan.FromSeconds(20));
            var byId = fixture.Client.GetAsyncActivityHandle(id, handle.ResultRunId!, info.ActivityId);
            await byId.HeartbeatAsync(new() { Details = ["halfway"] });
            await byId.CompleteAsync(new ActivityOutput("done by id"));
            Assert.Equal("done by id", (await handle.GetResultAsync()).Value);
        });
    }

    [Fact]
    public async Task AsyncCompletion_ByTaskToken_FailReachesWorkflow()
    {
        var queue = Unique.Queue("async-fail");
        var activities = new TestActivities();
        using var worker = NewWorker(queue, activities);
        await worker.ExecuteAsync(async () =>
        {
            var handle = await StartCallAsync(new ActivityCall(
                    "complete-async", "x", StartToClose: TimeSpan.FromSeconds(30), MaxAttempts: 1), Unique.Id("async-fail"), queue);
            var info = await activities.Started.Task.WaitAsync(TimeSpan.FromSeconds(20));
            var byToken = fixture.Client.GetAsyncActivityHandle(info.TaskToken);
            await byToken.FailAsync(new Temporalio.Exceptions.ApplicationFailureException("external failure", errorType: "External"));
            var result = await handle.GetResultAsync();
            Assert.Equal("External", result.CauseType);
        });
    }

    private Task<WorkflowHandle<ActivityCallWorkflow, ActivityCallResult>> StartCallAsync(ActivityCall call, string id, string queue) =>
        fixture.Client.StartWorkflowAsync((ActivityCallWorkflow wf) => wf.RunAsync(call), new(id, queue));

    private TemporalWorker NewWorker(string queue, TestActivities activities) =>
        new(fixture.Client, new TemporalWorkerOptions(queue).AddWorkflow<ActivityCallWorkflow>().AddAllActivities(activities));

    private async Task<(ActivityCallResult Result, TestActivities Activities)> RunAsync(ActivityCall call)
    {
        var queue = Unique.Queue(call.Activity);
        var activities = new TestActivities();
        using var worker = NewWorker(queue, activities);
        var result = await worker.ExecuteAsync(() => fixture.Client.ExecuteWorkflowAsync(
            (ActivityCallWorkflow wf) => wf.RunAsync(call), new(Unique.Id(call.Activity), queue)));
        return (result, activities);
    }

    internal static Task WaitForEventAsync(WorkflowHandle handle, EventType type) =>
        Poll.UntilAsync(
            async () => (await handle.FetchHistoryAsync()).Events.Any(e => e.EventType == type),
            found => found,
            TimeSpan.FromSeconds(20),
            _ => $"no {type} event in {handle.Id}");
}
