using MaintenanceWorkflows.DevServer.Testing;
using MaintenanceWorkflows.DevServer.Tests.Workflows;
using Temporalio.Api.Enums.V1;
using Temporalio.Client;
using Temporalio.Common;
using Temporalio.Converters;
using Temporalio.Exceptions;
using Temporalio.Worker;

namespace MaintenanceWorkflows.DevServer.Tests;

/// <summary>Runs that lead to other runs of the same workflow id: continue-as-new, retries, cron.</summary>
[Collection(ServerCollection.Name)]
public sealed class ChainTests
{
    private readonly ServerFixture fixture;

    public ChainTests(ServerFixture fixture) => this.fixture = fixture;

    private TemporalClient Client => fixture.Client;

    [Fact]
    public async Task ContinueAsNew_ThreeTimes_ResultFollowsToLastRunAndRunsAreChained()
    {
        var queue = Unique.Queue("can");
        using var worker = new TemporalWorker(Client, new TemporalWorkerOptions(queue).AddWorkflow<CounterWorkflow>());
        await worker.ExecuteAsync(async () =>
        {
            var handle = await Client.StartWorkflowAsync((CounterWorkflow wf) => wf.RunAsync(new CounterInput(3, 0)), new(Unique.Id("can"), queue));
            Assert.Equal(3, await handle.GetResultAsync());

            var runs = await RunsAsync(handle.Id);
            Assert.Equal(4, runs.Count);
            Assert.Equal(3, runs.Count(r => r.Status == WorkflowExecutionStatus.ContinuedAsNew));
            var first = await Client.GetWorkflowHandle(handle.Id, runId: handle.ResultRunId).FetchHistoryAsync();
            var continued = first.Events.Last().WorkflowExecutionContinuedAsNewEventAttributes;
            Assert.NotNull(continued);
            var second = await Client.GetWorkflowHandle(handle.Id, runId: continued.NewExecutionRunId).FetchHistoryAsync();
            var started = second.Events.First().WorkflowExecutionStartedEventAttributes;
            Assert.Equal(handle.ResultRunId, started.ContinuedExecutionRunId);
            Assert.Equal(handle.ResultRunId, started.FirstExecutionRunId);
            Assert.Equal(ContinueAsNewInitiator.Workflow, started.Initiator);
        });
    }

    [Fact]
    public async Task WorkflowRetry_FailsTwice_ThirdAttemptSucceeds()
    {
        var queue = Unique.Queue("wf-retry");
        using var worker = new TemporalWorker(Client, new TemporalWorkerOptions(queue).AddWorkflow<RetryingWorkflow>());
        await worker.ExecuteAsync(async () =>
        {
            var handle = await Client.StartWorkflowAsync(
                (RetryingWorkflow wf) => wf.RunAsync(new RetryInput(3)),
                new(Unique.Id("wf-retry"), queue) { RetryPolicy = new RetryPolicy { InitialInterval = TimeSpan.FromMilliseconds(100), MaximumAttempts = 5 } });
            Assert.Equal(3, await handle.GetResultAsync());
            var first = await Client.GetWorkflowHandle(handle.Id, runId: handle.ResultRunId).FetchHistoryAsync();
            var failed = first.Events.Last().WorkflowExecutionFailedEventAttributes;
            Assert.Equal(RetryState.InProgress, failed.RetryState);
            Assert.NotEmpty(failed.NewExecutionRunId);
            Assert.Equal([WorkflowExecutionStatus.Completed, WorkflowExecutionStatus.Failed, WorkflowExecutionStatus.Failed], (await RunsAsync(handle.Id)).Select(r => r.Status));
        });
    }

    [Theory]
    [InlineData(true, 1, RetryState.NonRetryableFailure)]
    [InlineData(false, 2, RetryState.MaximumAttemptsReached)]
    public async Task WorkflowRetry_NotRetryable_FailsWithRetryState(bool nonRetryable, int expectedRuns, RetryState expectedState)
    {
        var queue = Unique.Queue("wf-no-retry");
        using var worker = new TemporalWorker(Client, new TemporalWorkerOptions(queue).AddWorkflow<RetryingWorkflow>());
        await worker.ExecuteAsync(async () =>
        {
            var handle = await Client.StartWorkflowAsync(
                (RetryingWorkflow wf) => wf.RunAsync(new RetryInput(10, nonRetryable)),
                new(Unique.Id("wf-no-retry"), queue) { RetryPolicy = new RetryPolicy { InitialInterval = TimeSpan.FromMilliseconds(100), MaximumAttempts = 2 } });
            await Assert.ThrowsAsync<WorkflowFailedException>(() => handle.GetResultAsync());
            var close = (await Client.GetWorkflowHandle(handle.Id).FetchHistoryAsync()).Events.Last();
            Assert.Equal(expectedState, close.WorkflowExecutionFailedEventAttributes.RetryState);
            Assert.Equal(expectedRuns, (await RunsAsync(handle.Id)).Count);
        });
    }

    [Fact]
    public async Task Cron_Hourly_RunsOnTheHourAndCarriesLastResult()
    {
        await using var env = await DevServerWorkflowEnvironment.StartTimeSkippingAsync();
        var queue = Unique.Queue("cron");
        using var worker = new TemporalWorker(env.Client, new TemporalWorkerOptions(queue).AddWorkflow<CronCountWorkflow>());
        await worker.ExecuteAsync(async () =>
        {
            var handle = await env.Client.StartWorkflowAsync(
                (CronCountWorkflow wf) => wf.RunAsync(), new(Unique.Id("cron"), queue) { CronSchedule = "0 * * * *" });
            await env.DelayAsync(TimeSpan.FromHours(3) + TimeSpan.FromMinutes(1));

            var runs = new List<WorkflowExecution>();
            await foreach (var run in env.Client.ListWorkflowsAsync($"WorkflowId = '{handle.Id}' ORDER BY StartTime ASC"))
            {
                runs.Add(run);
            }
            var completed = runs.Where(r => r.Status == WorkflowExecutionStatus.Completed).ToList();
            Assert.Equal(3, completed.Count);
            Assert.Single(runs, r => r.Status == WorkflowExecutionStatus.Running);
            var results = new List<int>();
            foreach (var run in completed)
            {
                Assert.Equal(0, run.ExecutionTime!.Value.Minute);
                Assert.Equal(0, run.ExecutionTime.Value.Second);
                var close = (await env.Client.GetWorkflowHandle(run.Id, runId: run.RunId).FetchHistoryAsync()).Events.Last();
                results.Add(DataConverter.Default.PayloadConverter.ToValue<int>(close.WorkflowExecutionCompletedEventAttributes.Result.Payloads_[0]));
            }
            Assert.Equal([1, 2, 3], results);
            await handle.TerminateAsync();
        });
    }

    [Fact]
    public async Task Start_InvalidCron_InvalidArgumentNamingTheField()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => Client.StartWorkflowAsync(
            (CronCountWorkflow wf) => wf.RunAsync(), new(Unique.Id("cron-bad"), Unique.Queue("cron-bad")) { CronSchedule = "0 25 * * *" }));
        Assert.Equal(RpcException.StatusCode.InvalidArgument, ex.Code);
        Assert.Contains("hour field '25'", ex.Message, StringComparison.Ordinal);
    }

    private async Task<List<WorkflowExecution>> RunsAsync(string workflowId)
    {
        var runs = new List<WorkflowExecution>();
        await foreach (var run in Client.ListWorkflowsAsync($"WorkflowId = '{workflowId}'"))
        {
            runs.Add(run);
        }
        return runs;
    }
}
