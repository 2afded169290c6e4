using MaintenanceWorkflows.DevServer.Tests.Workflows;
using Temporalio.Api.Enums.V1;
using Temporalio.Client;
using Temporalio.Exceptions;
using Temporalio.Worker;

namespace MaintenanceWorkflows.DevServer.Tests;

/// <summary>
/// RPCs the devserver used to refuse (issue 14 items 1-3), exercised through the SDK the way its own tests
/// do: update-with-start, activity pause/unpause/reset, the gRPC health check, ResetStickyTaskQueue.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class ApiParityTests
{
    private readonly ServerFixture fixture;

    public ApiParityTests(ServerFixture fixture) => this.fixture = fixture;

    private TemporalClient Client => fixture.Client;

    [Fact]
    public async Task UpdateWithStart_NewWorkflow_StartsItAndReturnsTheUpdateResult()
    {
        var queue = Unique.Queue("uws");
        using var worker = new TemporalWorker(Client, new TemporalWorkerOptions(queue).AddWorkflow<UpdateWithStartWorkflow>());
        await worker.ExecuteAsync(async () =>
        {
            var id = Unique.Id("uws");
            var start = WithStartWorkflowOperation.Create(
                (UpdateWithStartWorkflow wf) => wf.RunAsync("first"), new(id, queue) { IdConflictPolicy = WorkflowIdConflictPolicy.UseExisting });
            var afterFirst = await Client.ExecuteUpdateWithStartWorkflowAsync(
                (UpdateWithStartWorkflow wf) => wf.AddAsync("a"), new(start));
            // The update rides on the first workflow task, so its handler runs before the run method.
            Assert.Equal(["a"], afterFirst);
            var handle = await start.GetHandleAsync();

            // Again with USE_EXISTING: the same run gets the update, no new run starts.
            var again = WithStartWorkflowOperation.Create(
                (UpdateWithStartWorkflow wf) => wf.RunAsync("ignored"), new(id, queue) { IdConflictPolicy = WorkflowIdConflictPolicy.UseExisting });
            Assert.Equal(["first", "a", "b"], await Client.ExecuteUpdateWithStartWorkflowAsync((UpdateWithStartWorkflow wf) => wf.AddAsync("b"), new(again)));
            Assert.Equal(handle.ResultRunId, (await again.GetHandleAsync()).ResultRunId);

            await handle.ExecuteUpdateAsync(wf => wf.AddAsync("done"));
            Assert.Equal(["first", "a", "b", "done"], await handle.GetResultAsync());
        });
    }

    [Fact]
    public async Task UpdateWithStart_FailPolicyAndRunning_WorkflowAlreadyStarted()
    {
        var queue = Unique.Queue("uws-fail");
        using var worker = new TemporalWorker(Client, new TemporalWorkerOptions(queue).AddWorkflow<UpdateWithStartWorkflow>());
        await worker.ExecuteAsync(async () =>
        {
            var id = Unique.Id("uws-fail");
            var running = await Client.StartWorkflowAsync((UpdateWithStartWorkflow wf) => wf.RunAsync("first"), new(id, queue));
            var start = WithStartWorkflowOperation.Create(
                (UpdateWithStartWorkflow wf) => wf.RunAsync("second"), new(id, queue) { IdConflictPolicy = WorkflowIdConflictPolicy.Fail });
            var ex = await Assert.ThrowsAsync<WorkflowAlreadyStartedException>(
                () => Client.ExecuteUpdateWithStartWorkflowAsync((UpdateWithStartWorkflow wf) => wf.AddAsync("x"), new(start)));
            Assert.Equal(running.ResultRunId, ex.RunId);
            // The failed update-with-start changed nothing: the running workflow never saw "x".
            Assert.Equal(["first", "done"], await running.ExecuteUpdateAsync(wf => wf.AddAsync("done")));
        });
    }

    [Fact]
    public async Task UpdateWithStart_RawRequestWithMismatchedIds_RefusedNamingTheUpdate()
    {
        var request = new Temporalio.Api.WorkflowService.V1.ExecuteMultiOperationRequest { Namespace = "default" };
        request.Operations.Add(new Temporalio.Api.WorkflowService.V1.ExecuteMultiOperationRequest.Types.Operation { StartWorkflow = new() { Namespace = "default", WorkflowId = "a", WorkflowType = new() { Name = "T" }, TaskQueue = new() { Name = "q" }, WorkflowIdConflictPolicy = WorkflowIdConflictPolicy.Fail } });
        request.Operations.Add(new Temporalio.Api.WorkflowService.V1.ExecuteMultiOperationRequest.Types.Operation { UpdateWorkflow = new() { Namespace = "default", WorkflowExecution = new() { WorkflowId = "b" }, Request = new() { Meta = new() { UpdateId = "u" }, Input = new() { Name = "U" } } } });
        var ex = await Assert.ThrowsAsync<RpcException>(() => Client.WorkflowService.ExecuteMultiOperationAsync(request));
        Assert.Contains("workflow_id must be the start's workflow_id", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PauseActivity_CaughtByTheActivity_CancelReasonPaused()
    {
        var result = await RunControlledAsync("catch-pause", async (handle, _) =>
            await Client.WorkflowService.PauseActivityAsync(new()
            {
                Namespace = Client.Options.Namespace,
                Execution = new() { WorkflowId = handle.Id },
                Type = "catch-pause",
                Reason = "maintenance",
            }));
        Assert.Equal("reason Paused, paused True", result);
    }

    [Fact]
    public async Task PauseActivity_Uncaught_AttemptWaitsUntilUnpausedThenRetriesWithHeartbeat()
    {
        var result = await RunControlledAsync("fail-on-pause", async (handle, _) =>
        {
            await Client.WorkflowService.PauseActivityAsync(new()
            {
                Namespace = Client.Options.Namespace,
                Execution = new() { WorkflowId = handle.Id },
                Type = "fail-on-pause",
            });
            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            Temporalio.Api.Workflow.V1.PendingActivityInfo? pending = null;
            while (pending is not { State: PendingActivityState.Paused })
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), bound.Token);
                pending = (await DescribeAsync(handle)).PendingActivities.Single();
            }
            Assert.True(pending.Paused);
            Assert.Equal("\"post-pause\"", pending.HeartbeatDetails.Payloads_.Single().Data.ToStringUtf8());
            await Client.WorkflowService.UnpauseActivityAsync(new()
            {
                Namespace = Client.Options.Namespace,
                Execution = new() { WorkflowId = handle.Id },
                Type = "fail-on-pause",
            });
        });
        Assert.Equal("attempt 2, details \"post-pause\"", result);
    }

    [Fact]
    public async Task ResetActivity_CaughtByTheActivity_CancelReasonReset()
    {
        var result = await RunControlledAsync("catch-reset", async (handle, _) =>
            await Client.WorkflowService.ResetActivityAsync(new()
            {
                Namespace = Client.Options.Namespace,
                Execution = new() { WorkflowId = handle.Id },
                Type = "catch-reset",
            }));
        Assert.Equal("reason Reset, reset True", result);
    }

    [Fact]
    public async Task PauseActivity_NoSuchActivity_NotFoundNamingIt()
    {
        var handle = await Client.StartWorkflowAsync("NoWorker", [], new(Unique.Id("pause-missing"), Unique.Queue("pause-missing")));
        var ex = await Assert.ThrowsAsync<RpcException>(() => Client.WorkflowService.PauseActivityAsync(new()
        {
            Namespace = Client.Options.Namespace,
            Execution = new() { WorkflowId = handle.Id },
            Id = "not-there",
        }));
        Assert.Equal(RpcException.StatusCode.NotFound, ex.Code);
        Assert.Contains("'not-there'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckHealth_LazyClient_ConnectsAndReportsServing()
    {
        var client = TemporalClient.CreateLazy(new(fixture.Server.Target));
        Assert.False(client.Connection.IsConnected);
        Assert.True(await client.Connection.CheckHealthAsync());
        Assert.True(client.Connection.IsConnected);
    }

    [Fact]
    public async Task ResetStickyTaskQueue_ExistingAndMissingWorkflow_SucceedsOrNotFound()
    {
        var handle = await Client.StartWorkflowAsync("NoWorker", [], new(Unique.Id("sticky-reset"), Unique.Queue("sticky-reset")));
        await Client.WorkflowService.ResetStickyTaskQueueAsync(new() { Namespace = Client.Options.Namespace, Execution = new() { WorkflowId = handle.Id } });
        var ex = await Assert.ThrowsAsync<RpcException>(() => Client.WorkflowService.ResetStickyTaskQueueAsync(
            new() { Namespace = Client.Options.Namespace, Execution = new() { WorkflowId = Unique.Id("never-started") } }));
        Assert.Equal(RpcException.StatusCode.NotFound, ex.Code);
    }

    [Fact]
    public async Task CompleteWorkflowTask_EagerActivityOnSameQueue_HandedBackAndCompletable()
    {
        // A hand-driven worker, so the test sees the completion response the SDK consumes internally.
        var queue = Unique.Queue("eager");
        var handle = await Client.StartWorkflowAsync("Eager", [], new(Unique.Id("eager"), queue));
        var task = await Client.WorkflowService.PollWorkflowTaskQueueAsync(new()
        {
            Namespace = Client.Options.Namespace,
            TaskQueue = new() { Name = queue },
            Identity = "hand-worker",
        });
        Assert.False(task.TaskToken.IsEmpty);
        var completion = new Temporalio.Api.WorkflowService.V1.RespondWorkflowTaskCompletedRequest
        {
            Namespace = Client.Options.Namespace,
            TaskToken = task.TaskToken,
            Identity = "hand-worker",
        };
        foreach (var (id, eager, otherQueue) in new[] { ("eager-1", true, false), ("queued-1", false, false), ("elsewhere-1", true, true) })
        {
            completion.Commands.Add(new Temporalio.Api.Command.V1.Command
            {
                CommandType = CommandType.ScheduleActivityTask,
                ScheduleActivityTaskCommandAttributes = new()
                {
                    ActivityId = id,
                    ActivityType = new() { Name = "Work" },
                    TaskQueue = new() { Name = otherQueue ? $"{queue}-other" : queue },
                    StartToCloseTimeout = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(TimeSpan.FromMinutes(1)),
                    RequestEagerExecution = eager,
                },
            });
        }
        var response = await Client.WorkflowService.RespondWorkflowTaskCompletedAsync(completion);

        var handed = Assert.Single(response.ActivityTasks);
        Assert.Equal("eager-1", handed.ActivityId);
        Assert.Equal(1, handed.Attempt);
        await Client.WorkflowService.RespondActivityTaskCompletedAsync(new()
        {
            Namespace = Client.Options.Namespace,
            TaskToken = handed.TaskToken,
            Identity = "hand-worker",
        });
        var events = (await handle.FetchHistoryAsync()).Events;
        Assert.Contains(events, e => e.EventType == EventType.ActivityTaskCompleted);
        var pending = await DescribeAsync(handle);
        Assert.Equal(["elsewhere-1", "queued-1"], pending.PendingActivities.Select(a => a.ActivityId).Order());
        await handle.TerminateAsync();
    }

    private async Task<string> RunControlledAsync(string activity, Func<WorkflowHandle, ControlledActivities, Task> afterReached)
    {
        var queue = Unique.Queue(activity);
        var activities = new ControlledActivities();
        using var worker = new TemporalWorker(
            Client, new TemporalWorkerOptions(queue).AddWorkflow<ControlledActivityWorkflow>().AddAllActivities(activities));
        return await worker.ExecuteAsync(async () =>
        {
            var handle = await Client.StartWorkflowAsync((ControlledActivityWorkflow wf) => wf.RunAsync(activity), new(Unique.Id(activity), queue));
            await activities.Reached.Task.WaitAsync(TimeSpan.FromSeconds(30));
            await afterReached(handle, activities);
            return await handle.GetResultAsync();
        });
    }

    private Task<Temporalio.Api.WorkflowService.V1.DescribeWorkflowExecutionResponse> DescribeAsync(WorkflowHandle handle) =>
        Client.WorkflowService.DescribeWorkflowExecutionAsync(new()
        {
            Namespace = Client.Options.Namespace,
            Execution = new() { WorkflowId = handle.Id },
        });
}
