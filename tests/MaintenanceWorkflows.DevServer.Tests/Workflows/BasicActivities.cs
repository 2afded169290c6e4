using Temporalio.Activities;

namespace MaintenanceWorkflows.DevServer.Tests.Workflows;

public sealed record GreetInput(string Name);

public sealed record GreetResult(string Text);

public sealed class BasicActivities
{
    [Activity]
    public GreetResult Greet(GreetInput input) => new($"Hello, {input.Name}!");
}
