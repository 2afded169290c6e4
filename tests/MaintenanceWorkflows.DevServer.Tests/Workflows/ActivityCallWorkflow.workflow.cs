using Temporalio.Api.Enums.V1;
using Temporalio.Common;
using Temporalio.Exceptions;
using Temporalio.Workflows;

namespace MaintenanceWorkflows.DevServer.Tests.Workflows;

public sealed record ActivityCall(
    string Activity,
    string Argument,
    TimeSpan? StartToClose = null,
    TimeSpan? ScheduleToClose = null,
    TimeSpan? ScheduleToStart = null,
    TimeSpan? Heartbeat = null,
    int MaxAttempts = 0,
    TimeSpan? InitialInterval = null,
    double Backoff = 0,
    TimeSpan? MaxInterval = null,
    IReadOnlyList<string>? NonRetryableTypes = null,
    string? TaskQueue = null,
    bool CancelOnSignal = false);

public sealed record ActivityCallResult(
    string? Value,
    string? FailureType,
    string? FailureMessage,
    TimeoutType? TimeoutType,
    RetryState? RetryState,
    string? CauseType);

/// <summary>Runs one activity with the given options and reports how it ended, failures included.</summary>
[Workflow]
public class ActivityCallWorkflow
{
    private readonly CancellationTokenSource cancel = new();

    [WorkflowRun]
    public async Task<ActivityCallResult> RunAsync(ActivityCall call)
    {
        var options = new ActivityOptions
        {
            StartToCloseTimeout = call.StartToClose,
            ScheduleToCloseTimeout = call.ScheduleToClose,
            ScheduleToStartTimeout = call.ScheduleToStart,
            HeartbeatTimeout = call.Heartbeat,
            TaskQueue = call.TaskQueue,
            CancellationToken = cancel.Token,
            CancellationType = ActivityCancellationType.WaitCancellationCompleted,
            RetryPolicy = new RetryPolicy
            {
                MaximumAttempts = call.MaxAttempts,
                InitialInterval = call.InitialInterval ?? TimeSpan.FromMilliseconds(50),
                BackoffCoefficient = (float)(call.Backoff == 0 ? 2 : call.Backoff),
                MaximumInterval = call.MaxInterval,
                NonRetryableErrorTypes = call.NonRetryableTypes,
            },
        };
        try
        {
            var output = await Workflow.ExecuteActivityAsync<ActivityOutput>(
                call.Activity, new object?[] { new ActivityArgs(call.Argument) }, options);
            return new ActivityCallResult(output.Value, null, null, null, null, null);
        }
        catch (ActivityFailureException ex)
        {
            var inner = ex.InnerException;
            return new ActivityCallResult(
                null,
                inner?.GetType().Name,
                inner?.Message,
                (inner as TimeoutFailureException)?.TimeoutType,
                ex.RetryState,
                (inner as ApplicationFailureException)?.ErrorType ?? inner?.InnerException?.GetType().Name);
        }
    }

    [WorkflowSignal]
    public Task CancelActivityAsync()
    {
        cancel.Cancel();
        return Task.CompletedTask;
    }
}
