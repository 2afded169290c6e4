using Temporalio.Common;
using Temporalio.Workflows;

namespace MaintenanceWorkflows.DevServer.Tests.Workflows;

public sealed record UpsertInput(string Name, string Value);

/// <summary>Upserts the Keyword search attribute it is told to, then waits to be terminated.</summary>
[Workflow]
public class UpsertWorkflow
{
    [WorkflowRun]
    public async Task RunAsync(UpsertInput input)
    {
        Workflow.UpsertTypedSearchAttributes(SearchAttributeKey.CreateKeyword(input.Name).ValueSet(input.Value));
        await Workflow.WaitConditionAsync(() => false);
    }
}
