using System.Text.Json.Serialization;

namespace MaintenanceWorkflows.Workflows.Plans;

[JsonConverter(typeof(JsonStringEnumConverter<NoticeKind>))]
public enum NoticeKind
{
    PreMaintenance,
    Reminder,
    InProgress,
    Completion,
    Rollback,
    Postponed,
    Cancelled,
    ApprovalRequest,
    Escalation,
    Extended,

    /// <summary>A rollout's next wave started: "patching 3 of 8 hosts". Public channels only, at most one per wave.</summary>
    Progress,
}

public static class NoticeKinds
{
    /// <summary>Kebab-case names used on the command line and in template file names (pre-maintenance, approval-request...).</summary>
    public static string ToName(this NoticeKind kind) => kind switch
    {
        NoticeKind.PreMaintenance => "pre-maintenance",
        NoticeKind.Reminder => "reminder",
        NoticeKind.InProgress => "in-progress",
        NoticeKind.Completion => "completion",
        NoticeKind.Rollback => "rollback",
        NoticeKind.Postponed => "postponed",
        NoticeKind.Cancelled => "cancelled",
        NoticeKind.ApprovalRequest => "approval-request",
        NoticeKind.Escalation => "escalation",
        NoticeKind.Extended => "extended",
        NoticeKind.Progress => "progress",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown notice kind"),
    };

    public static bool TryParse(string name, out NoticeKind kind)
    {
        foreach (var candidate in Enum.GetValues<NoticeKind>())
        {
            if (string.Equals(candidate.ToName(), name, StringComparison.OrdinalIgnoreCase)
                || string.Equals(candidate.ToString(), name, StringComparison.OrdinalIgnoreCase))
            {
                kind = candidate;
                return true;
            }
        }

        kind = default;
        return false;
    }

    /// <summary>Notices that go to approvers rather than to the people the window affects.</summary>
    public static bool IsForApprovers(this NoticeKind kind) => kind is NoticeKind.ApprovalRequest or NoticeKind.Escalation;
}
