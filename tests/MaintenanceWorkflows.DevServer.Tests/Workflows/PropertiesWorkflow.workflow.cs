using Temporalio.Common;
using Temporalio.Workflows;

namespace MaintenanceWorkflows.DevServer.Tests.Workflows;

public sealed record PropertiesInput(string Phase);

public sealed record PropertiesResult(bool Patched);

/// <summary>Upserts a search attribute and memo, records a patch marker, then waits to be released.</summary>
[Workflow]
public class PropertiesWorkflow
{
    public static readonly SearchAttributeKey<string> Phase = SearchAttributeKey.CreateKeyword("Phase");

    private bool release;

    [WorkflowQuery]
    public bool Upserted { get; private set; }

    [WorkflowRun]
    public async Task<PropertiesResult> RunAsync(PropertiesInput input)
    {
        var patched = Workflow.Patched("devserver-test-patch");
        Workflow.UpsertTypedSearchAttributes(Phase.ValueSet(input.Phase));
        Workflow.UpsertMemo(MemoUpdate.ValueSet("owner", "ops"));
        await Workflow.DelayAsync(TimeSpan.FromMilliseconds(1));
        Upserted = true;
        await Workflow.WaitConditionAsync(() => release);
        return new PropertiesResult(patched);
    }

    [WorkflowSignal]
    public Task ReleaseAsync()
    {
        release = true;
        return Task.CompletedTask;
    }
}
