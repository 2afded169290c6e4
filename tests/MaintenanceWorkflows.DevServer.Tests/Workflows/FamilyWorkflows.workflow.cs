using Temporalio.Exceptions;
using Temporalio.Workflows;

namespace MaintenanceWorkflows.DevServer.Tests.Workflows;

public sealed record FamilyInput(string Mode, string ChildId, ParentClosePolicy Policy = ParentClosePolicy.Terminate);

/// <summary>Exercises one way of dealing with another workflow, chosen by <see cref="FamilyInput.Mode"/>.</summary>
[Workflow]
public class FamilyParentWorkflow
{
    [WorkflowRun]
    public async Task<string> RunAsync(FamilyInput input)
    {
        var options = new ChildWorkflowOptions { Id = input.ChildId, ParentClosePolicy = input.Policy };
        switch (input.Mode)
        {
            case "child-result":
                return await Workflow.ExecuteChildWorkflowAsync((FamilyChildWorkflow c) => c.RunAsync("echo"), options);
            case "child-fail":
                try
                {
                    return await Workflow.ExecuteChildWorkflowAsync((FamilyChildWorkflow c) => c.RunAsync("fail"), options);
                }
                catch (ChildWorkflowFailureException ex)
                {
                    return $"caught: {ex.InnerException?.Message}";
                }
            case "child-duplicate":
                try
                {
                    await Workflow.StartChildWorkflowAsync((FamilyChildWorkflow c) => c.RunAsync("wait"), options);
                    return "started";
                }
                catch (WorkflowAlreadyStartedException)
                {
                    return "already started";
                }
            case "child-leave":
                await Workflow.StartChildWorkflowAsync((FamilyChildWorkflow c) => c.RunAsync("wait"), options);
                return "left";
            case "child-cancel":
                using (var cancel = new CancellationTokenSource())
                {
                    options.CancellationToken = cancel.Token;
                    var child = await Workflow.StartChildWorkflowAsync((FamilyChildWorkflow c) => c.RunAsync("wait"), options);
                    cancel.Cancel();
                    try
                    {
                        return await child.GetResultAsync();
                    }
                    catch (ChildWorkflowFailureException ex) when (ex.InnerException is CanceledFailureException)
                    {
                        return "child canceled";
                    }
                }
            case "signal":
                await Workflow.GetExternalWorkflowHandle<FamilyChildWorkflow>(input.ChildId).SignalAsync(c => c.PokeAsync());
                return "signaled";
            case "signal-missing":
                try
                {
                    await Workflow.GetExternalWorkflowHandle<FamilyChildWorkflow>(input.ChildId).SignalAsync(c => c.PokeAsync());
                    return "signaled";
                }
                catch (ApplicationFailureException ex)
                {
                    return $"signal failed: {ex.Message}";
                }
            case "cancel-external":
                await Workflow.GetExternalWorkflowHandle(input.ChildId).CancelAsync();
                return "cancel requested";
            default:
                throw new ApplicationFailureException($"unknown mode {input.Mode}", nonRetryable: true);
        }
    }
}

/// <summary>Echoes, fails, or waits for a poke (cancellable).</summary>
[Workflow]
public class FamilyChildWorkflow
{
    private bool poked;

    [WorkflowRun]
    public async Task<string> RunAsync(string mode)
    {
        switch (mode)
        {
            case "echo":
                return $"child {Workflow.Info.WorkflowId} of {Workflow.Info.Parent?.WorkflowId}";
            case "fail":
                throw new ApplicationFailureException("child gave up", errorType: "ChildGaveUp");
            default:
                await Workflow.WaitConditionAsync(() => poked);
                return "poked";
        }
    }

    [WorkflowSignal]
    public Task PokeAsync()
    {
        poked = true;
        return Task.CompletedTask;
    }
}
