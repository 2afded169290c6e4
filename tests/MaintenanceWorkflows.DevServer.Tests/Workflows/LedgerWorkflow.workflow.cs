using Temporalio.Exceptions;
using Temporalio.Workflows;

namespace MaintenanceWorkflows.DevServer.Tests.Workflows;

public sealed record LedgerEntry(string Value);

public sealed record LedgerReceipt(int Position, string Value);

public sealed record LedgerResult(IReadOnlyList<string> Entries);

/// <summary>
/// Takes entries through updates (validated: empty values are rejected), one of which runs an activity
/// and one of which waits for a signal before it answers; finishes when the "close" update arrives.
/// Its first task issues no command, so a test can complete that task by hand.
/// </summary>
[Workflow]
public class LedgerWorkflow
{
    private readonly List<string> entries = [];
    private bool closing;
    private bool abandonHandlers;
    private bool released;

    [WorkflowQuery]
    public int Count => entries.Count;

    [WorkflowRun]
    public async Task<LedgerResult> RunAsync()
    {
        await Workflow.WaitConditionAsync(() => closing && (abandonHandlers || Workflow.AllHandlersFinished));
        return new LedgerResult(entries);
    }

    [WorkflowUpdateValidator(nameof(AddAsync))]
    public void ValidateAdd(LedgerEntry entry)
    {
        if (string.IsNullOrEmpty(entry.Value))
        {
            throw new ApplicationFailureException("value must not be empty: send a non-empty value", errorType: "EmptyValue");
        }
    }

    [WorkflowUpdate]
    public Task<LedgerReceipt> AddAsync(LedgerEntry entry)
    {
        entries.Add(entry.Value);
        return Task.FromResult(new LedgerReceipt(entries.Count, entry.Value));
    }

    [WorkflowUpdate]
    public async Task<LedgerReceipt> AddGreetingAsync(LedgerEntry entry)
    {
        var greeting = await Workflow.ExecuteActivityAsync(
            (BasicActivities a) => a.Greet(new GreetInput(entry.Value)),
            new() { StartToCloseTimeout = TimeSpan.FromSeconds(10) });
        entries.Add(greeting.Text);
        return new LedgerReceipt(entries.Count, greeting.Text);
    }

    /// <summary>Accepted at once, answers only after the "release" signal.</summary>
    [WorkflowUpdate]
    public async Task<LedgerReceipt> AddWhenReleasedAsync(LedgerEntry entry)
    {
        await Workflow.WaitConditionAsync(() => released);
        entries.Add(entry.Value);
        return new LedgerReceipt(entries.Count, entry.Value);
    }

    [WorkflowUpdate]
    public Task<LedgerReceipt> FailAsync(LedgerEntry entry) =>
        throw new ApplicationFailureException($"handler failed on '{entry.Value}'", errorType: "HandlerFailed");

    [WorkflowUpdate]
    public Task CloseAsync()
    {
        closing = true;
        return Task.CompletedTask;
    }

    [WorkflowSignal]
    public Task ReleaseAsync()
    {
        released = true;
        return Task.CompletedTask;
    }

    /// <summary>Ends the workflow at once, even with update handlers still waiting.</summary>
    [WorkflowSignal]
    public Task CloseNowAsync()
    {
        closing = true;
        abandonHandlers = true;
        return Task.CompletedTask;
    }
}
