using Temporalio.Activities;

namespace MaintenanceWorkflows.DevServer.Tests.Workflows;

/// <summary>A second worker's implementation of "hang" that finishes, to pick up abandoned work.</summary>
public sealed class HandoffActivities
{
    [Activity("hang")]
    public ActivityOutput Hang(ActivityArgs args) =>
        new($"finished by the second worker on attempt {ActivityExecutionContext.Current.Info.Attempt}");
}
