using MaintenanceWorkflows.DevServer.Testing;
using MaintenanceWorkflows.DevServer.Tests.Workflows;
using Temporalio.Client;
using Temporalio.Exceptions;
using Temporalio.Testing;
using Temporalio.Worker;

namespace MaintenanceWorkflows.DevServer.Tests;

/// <summary>Each test owns its server: time skipping is server-wide.</summary>
public sealed class TimeSkippingTests
{
    /// <summary>
    /// A wall-clock bound on waiting for a result, only hit when time was not skipped. A token, not an
    /// RPC timeout: the result long poll is answered before each RPC deadline and simply asked again.
    /// </summary>
    private static RpcOptions NotSkippedBound => new() { CancellationToken = new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token };

    [Fact]
    public async Task Timer24Hours_DevServerEnvironment_WorkflowTimeAdvancesADay()
    {
        await using var env = await DevServerWorkflowEnvironment.StartTimeSkippingAsync();
        var result = await RunSleepAsync(env, TimeSpan.FromHours(24));
        Assert.True(result.After - result.Before >= TimeSpan.FromHours(24));
        Assert.True(await env.GetCurrentTimeAsync() - DateTime.UtcNow >= TimeSpan.FromHours(23));
    }

    [Fact]
    public async Task Timer24Hours_SdkTimeSkippingEnvironmentWithDevServerExecutable_WorkflowTimeAdvancesADay()
    {
        var exe = Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "MaintenanceWorkflows.DevServer.exe" : "MaintenanceWorkflows.DevServer");
        await using var env = await SdkStartedServer.StartAsync(() => WorkflowEnvironment.StartTimeSkippingAsync(new() { TestServer = new() { ExistingPath = exe } }));
        Assert.True(env.SupportsTimeSkipping);
        var result = await RunSleepAsync(env, TimeSpan.FromHours(24));
        Assert.True(result.After - result.Before >= TimeSpan.FromHours(24));
        var before = await env.GetCurrentTimeAsync();
        await env.DelayAsync(TimeSpan.FromHours(2));
        Assert.True(await env.GetCurrentTimeAsync() - before >= TimeSpan.FromHours(2));
    }

    [Fact]
    public async Task DelayAsync_TwoHours_ServerTimeAdvances()
    {
        await using var env = await DevServerWorkflowEnvironment.StartTimeSkippingAsync();
        var before = await env.GetCurrentTimeAsync();
        await env.DelayAsync(TimeSpan.FromHours(2));
        Assert.True(await env.GetCurrentTimeAsync() - before >= TimeSpan.FromHours(2));
    }

    [Fact]
    public async Task AutoTimeSkippingDisabled_LongTimer_ResultNotAwaitedBySkipping()
    {
        await using var env = await DevServerWorkflowEnvironment.StartTimeSkippingAsync();
        var queue = Unique.Queue("no-skip");
        using var worker = new TemporalWorker(env.Client, new TemporalWorkerOptions(queue).AddWorkflow<SleepWorkflow>());
        await worker.ExecuteAsync(async () =>
        {
            var handle = await env.Client.StartWorkflowAsync(
                (SleepWorkflow wf) => wf.RunAsync(new SleepInput(TimeSpan.FromHours(1))), new(Unique.Id("no-skip"), queue));
            await env.WithAutoTimeSkippingDisabledAsync(async () =>
            {
                using var giveUp = new CancellationTokenSource(TimeSpan.FromSeconds(1));
                var ex = await Assert.ThrowsAnyAsync<Exception>(() => handle.GetResultAsync(
                    rpcOptions: new() { CancellationToken = giveUp.Token }));
                Assert.True(ex is OperationCanceledException or Temporalio.Exceptions.RpcTimeoutOrCanceledException, ex.ToString());
            });
            var result = await handle.GetResultAsync(rpcOptions: NotSkippedBound);
            Assert.True(result.After - result.Before >= TimeSpan.FromHours(1));
        });
    }

    [Fact]
    public async Task ActivityRetryBackoff_HourLongInterval_Skipped()
    {
        await using var env = await DevServerWorkflowEnvironment.StartTimeSkippingAsync();
        var queue = Unique.Queue("skip-backoff");
        var activities = new TestActivities();
        using var worker = new TemporalWorker(
            env.Client, new TemporalWorkerOptions(queue).AddWorkflow<ActivityCallWorkflow>().AddAllActivities(activities));
        var call = new ActivityCall("flaky", "2", StartToClose: TimeSpan.FromSeconds(10), InitialInterval: TimeSpan.FromHours(1));
        var result = await worker.ExecuteAsync(async () =>
        {
            var handle = await env.Client.StartWorkflowAsync((ActivityCallWorkflow wf) => wf.RunAsync(call), new(Unique.Id("skip-backoff"), queue));
            return await handle.GetResultAsync(rpcOptions: NotSkippedBound);
        });
        Assert.Equal("ok after 2", result.Value);
    }

    [Fact]
    public async Task TestServiceRpcs_SleepSleepUntilAndLocking_BehaveLikeTheTestServer()
    {
        await using var env = await DevServerWorkflowEnvironment.StartTimeSkippingAsync();
        var testService = env.Client.Connection.TestService;
        var start = (await testService.GetCurrentTimeAsync(new())).Time.ToDateTime();

        // Starts locked (like the Java test server): one unlock releases it, a second is an error.
        await testService.UnlockTimeSkippingAsync(new());
        var ex = await Assert.ThrowsAsync<Temporalio.Exceptions.RpcException>(() => testService.UnlockTimeSkippingAsync(new()));
        Assert.Equal(Temporalio.Exceptions.RpcException.StatusCode.FailedPrecondition, ex.Code);

        // Unlocked and idle: sleeping an hour skips straight there.
        await testService.SleepAsync(new() { Duration = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(TimeSpan.FromHours(1)) });
        var afterSleep = (await testService.GetCurrentTimeAsync(new())).Time.ToDateTime();
        Assert.True(afterSleep - start >= TimeSpan.FromHours(1));

        var target = afterSleep + TimeSpan.FromDays(3);
        await testService.SleepUntilAsync(new() { Timestamp = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTime(target) });
        Assert.True((await testService.GetCurrentTimeAsync(new())).Time.ToDateTime() >= target);

        await testService.LockTimeSkippingAsync(new());
        await testService.UnlockTimeSkippingWithSleepAsync(new() { Duration = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(TimeSpan.FromHours(5)) });
        Assert.True((await testService.GetCurrentTimeAsync(new())).Time.ToDateTime() >= target + TimeSpan.FromHours(5));
    }

    private static string DevServerExecutable =>
        Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "MaintenanceWorkflows.DevServer.exe" : "MaintenanceWorkflows.DevServer");

    [Fact]
    public async Task SdkDelayAsync_TwoHoursWhileATwoDayTimerWaits_StopsAtTwoHours()
    {
        await using var env = await SdkStartedServer.StartAsync(() => WorkflowEnvironment.StartTimeSkippingAsync(new() { TestServer = new() { ExistingPath = DevServerExecutable } }));
        var queue = Unique.Queue("manual-skip");
        using var worker = new TemporalWorker(env.Client, new TemporalWorkerOptions(queue).AddWorkflow<TwoDaySleepWorkflow>());
        await worker.ExecuteAsync(async () =>
        {
            var handle = await env.Client.StartWorkflowAsync((TwoDaySleepWorkflow wf) => wf.RunAsync(), new(Unique.Id("manual-skip"), queue));
            async Task<DateTime> WorkflowNowAsync()
            {
                // A signal makes a new workflow task, whose start time is what the query reports.
                await handle.SignalAsync(wf => wf.PokeAsync());
                return await handle.QueryAsync(wf => wf.Now);
            }
            var before = await WorkflowNowAsync();

            await env.DelayAsync(TimeSpan.FromHours(2));

            var skipped = await WorkflowNowAsync() - before;
            Assert.True(skipped >= TimeSpan.FromHours(2) && skipped < TimeSpan.FromHours(3), $"workflow time moved {skipped}");
            Assert.Equal(Temporalio.Api.Enums.V1.WorkflowExecutionStatus.Running, (await handle.DescribeAsync()).Status);
        });
    }

    [Fact]
    public async Task SdkDelayAsync_InsideAnActivityPastItsHeartbeatTimeout_ActivityTimesOut()
    {
        await using var env = await SdkStartedServer.StartAsync(() => WorkflowEnvironment.StartTimeSkippingAsync(new() { TestServer = new() { ExistingPath = DevServerExecutable } }));
        var queue = Unique.Queue("heartbeat-miss");
        using var worker = new TemporalWorker(
            env.Client,
            new TemporalWorkerOptions(queue).AddWorkflow<HeartbeatMissWorkflow>().AddAllActivities(new EnvironmentSleepActivities(env)));
        await worker.ExecuteAsync(async () =>
        {
            var handle = await env.Client.StartWorkflowAsync((HeartbeatMissWorkflow wf) => wf.RunAsync(), new(Unique.Id("heartbeat-miss"), queue));
            var ex = await Assert.ThrowsAsync<WorkflowFailedException>(() => handle.GetResultAsync(rpcOptions: NotSkippedBound));
            var activity = Assert.IsType<ActivityFailureException>(ex.InnerException);
            var timeout = Assert.IsType<TimeoutFailureException>(activity.InnerException);
            Assert.Equal(Temporalio.Api.Enums.V1.TimeoutType.Heartbeat, timeout.TimeoutType);
        });
    }

    [Fact]
    public async Task DelayAsync_WorkerStoppedAndATimerFallsDue_TimeStillSkipsAndTheNextWorkerFinishesTheRun()
    {
        await using var env = await DevServerWorkflowEnvironment.StartTimeSkippingAsync();
        var queue = Unique.Queue("worker-down");
        var options = new TemporalWorkerOptions(queue).AddWorkflow<TwoDaySleepWorkflow>();
        var handle = await env.Client.StartWorkflowAsync((TwoDaySleepWorkflow wf) => wf.RunAsync(), new(Unique.Id("worker-down"), queue));
        using (var first = new TemporalWorker(env.Client, options))
        {
            // The query waits for the first workflow task, so the two-day timer is started when it answers.
            await first.ExecuteAsync(() => handle.QueryAsync(wf => wf.Now));
        }
        var stoppedAt = await env.GetCurrentTimeAsync();

        // The timer falls due with no worker polling: its workflow task waits in the queue, and time skipping must
        // not wait for a task nobody can take (it did, so this sleep lasted three real days).
        using (var bound = new CancellationTokenSource(TimeSpan.FromMinutes(2)))
        {
            await env.DelayAsync(TimeSpan.FromDays(3), bound.Token);
        }
        Assert.True(await env.GetCurrentTimeAsync() - stoppedAt >= TimeSpan.FromDays(3));

        using var second = new TemporalWorker(env.Client, options);
        Assert.Equal("all done", await second.ExecuteAsync(() => handle.GetResultAsync(rpcOptions: NotSkippedBound)));
        // The run went on when a worker came back, not when its timer fell due.
        var history = await handle.FetchHistoryAsync();
        var completed = history.Events.Last(e => e.EventType == Temporalio.Api.Enums.V1.EventType.WorkflowTaskStarted).EventTime.ToDateTime();
        Assert.True(completed - stoppedAt >= TimeSpan.FromDays(3), $"the last workflow task started {completed - stoppedAt} after the worker stopped");
    }

    private static async Task<SleepResult> RunSleepAsync(WorkflowEnvironment env, TimeSpan duration)
    {
        var queue = Unique.Queue("sleep");
        using var worker = new TemporalWorker(env.Client, new TemporalWorkerOptions(queue).AddWorkflow<SleepWorkflow>());
        return await worker.ExecuteAsync(async () =>
        {
            var handle = await env.Client.StartWorkflowAsync(
                (SleepWorkflow wf) => wf.RunAsync(new SleepInput(duration)), new(Unique.Id("sleep"), queue));
            return await handle.GetResultAsync(rpcOptions: NotSkippedBound);
        });
    }
}
