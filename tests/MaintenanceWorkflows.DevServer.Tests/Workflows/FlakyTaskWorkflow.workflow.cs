using System.Collections.Concurrent;
using Temporalio.Workflows;

namespace MaintenanceWorkflows.DevServer.Tests.Workflows;

public sealed record FlakyTaskInput(int FailingAttempts);

public sealed record FlakyTaskResult(int Attempts);

/// <summary>Its workflow task throws (a bug, not a workflow failure) for the first attempts, then succeeds.</summary>
[Workflow]
public class FlakyTaskWorkflow
{
    /// <summary>Attempts per workflow id; static because each retry runs a fresh workflow instance.</summary>
    public static readonly ConcurrentDictionary<string, int> AttemptsById = new();

    [WorkflowRun]
    public Task<FlakyTaskResult> RunAsync(FlakyTaskInput input)
    {
        var attempt = AttemptsById.AddOrUpdate(Workflow.Info.WorkflowId, 1, (_, n) => n + 1);
        if (attempt <= input.FailingAttempts)
        {
            throw new InvalidOperationException($"workflow task bug on attempt {attempt}");
        }
        return Task.FromResult(new FlakyTaskResult(attempt));
    }
}
