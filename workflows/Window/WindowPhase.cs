using System.Text.Json.Serialization;

namespace MaintenanceWorkflows.Workflows;

/// <summary>Where a window is; also the value of the <c>Phase</c> search attribute.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<WindowPhase>))]
public enum WindowPhase
{
    Scheduled,
    NoticeSent,
    AwaitingApproval,
    PreChecks,
    InProgress,
    Verifying,
    RollingBack,
    Completed,
    RolledBack,
    Postponed,
    Cancelled,
    Rejected,
    Failed,
}

public static class WindowPhases
{
    public static bool IsFinal(this WindowPhase phase) => phase >= WindowPhase.Completed;
}
