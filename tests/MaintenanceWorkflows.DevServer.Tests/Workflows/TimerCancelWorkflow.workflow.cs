using Temporalio.Workflows;

namespace MaintenanceWorkflows.DevServer.Tests.Workflows;

public sealed record TimerCancelInput(TimeSpan Timer);

public sealed record TimerCancelResult(bool TimerFired);

/// <summary>Starts a long timer and cancels it when signalled.</summary>
[Workflow]
public class TimerCancelWorkflow
{
    private readonly CancellationTokenSource timer = new();

    [WorkflowRun]
    public async Task<TimerCancelResult> RunAsync(TimerCancelInput input)
    {
        try
        {
            await Workflow.DelayAsync(input.Timer, timer.Token);
            return new TimerCancelResult(true);
        }
        catch (OperationCanceledException)
        {
            return new TimerCancelResult(false);
        }
    }

    [WorkflowSignal]
    public Task CancelTimerAsync()
    {
        timer.Cancel();
        return Task.CompletedTask;
    }
}
