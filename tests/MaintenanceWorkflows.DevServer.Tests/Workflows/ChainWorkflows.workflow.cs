using Temporalio.Exceptions;
using Temporalio.Workflows;

namespace MaintenanceWorkflows.DevServer.Tests.Workflows;

public sealed record CounterInput(int Remaining, int Total);

/// <summary>Continues as new until <see cref="CounterInput.Remaining"/> is zero, carrying a running total.</summary>
[Workflow]
public class CounterWorkflow
{
    [WorkflowRun]
    public Task<int> RunAsync(CounterInput input)
    {
        if (input.Remaining > 0)
        {
            throw Workflow.CreateContinueAsNewException((CounterWorkflow wf) => wf.RunAsync(new CounterInput(input.Remaining - 1, input.Total + 1)));
        }
        return Task.FromResult(input.Total);
    }
}

public sealed record RetryInput(int SucceedOnAttempt, bool NonRetryable = false);

/// <summary>Fails every run before the given attempt (a workflow failure, retried by the server per the retry policy).</summary>
[Workflow]
public class RetryingWorkflow
{
    [WorkflowRun]
    public Task<int> RunAsync(RetryInput input)
    {
        if (Workflow.Info.Attempt < input.SucceedOnAttempt)
        {
            throw new ApplicationFailureException($"attempt {Workflow.Info.Attempt} failed", errorType: "Flaky", nonRetryable: input.NonRetryable);
        }
        return Task.FromResult(Workflow.Info.Attempt);
    }
}

/// <summary>Each cron run returns one more than the previous run's result.</summary>
[Workflow]
public class CronCountWorkflow
{
    [WorkflowRun]
    public Task<int> RunAsync() =>
        Task.FromResult((Workflow.Info.LastResult?.FirstOrDefault() is { } last ? (int)Workflow.PayloadConverter.ToValue(last.Payload, typeof(int))! : 0) + 1);
}
