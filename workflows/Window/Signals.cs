using System.Text.Json.Serialization;
using MaintenanceWorkflows.Workflows.Plans;

namespace MaintenanceWorkflows.Workflows;

/// <summary>
/// Argument of the <c>Approve</c> and <c>Reject</c> signals: one JSON object a person can type into
/// the Temporal UI's signal dialog, e.g. <c>{"approver": "T-JOSH", "code": "k1-ABCD-EFGH-JKLM-NPQR", "comment": "go"}</c>.
/// </summary>
public sealed record ApprovalSignal
{
    public string? Approver { get; init; }

    /// <summary>The approver's proof code for this decision, from the approval email; never recorded.</summary>
    public string? Code { get; init; }

    public string? Comment { get; init; }
}

/// <summary>Argument of the <c>Acknowledge</c> signal and the <c>SubmitAcknowledgement</c> update.</summary>
public sealed record Acknowledgement
{
    /// <summary>Checklist item id or manual step id.</summary>
    public string? Item { get; init; }

    public string? By { get; init; }

    public string? Note { get; init; }

    /// <summary>
    /// For a manual rollback step only: the operator gives up on it (e.g. the vendor cannot revert). The
    /// change then stays in place and is named in the window's P1 escalation; the rollback goes on.
    /// </summary>
    public bool Abandon { get; init; }
}

/// <summary>Argument of <c>Abort</c>, <c>Pause</c> and <c>Resume</c>.</summary>
public sealed record OperatorCommand
{
    public string? By { get; init; }

    public string? Reason { get; init; }
}

/// <summary>Argument of <c>Confirm</c>: the requester confirms they asked for the window, with their own code.</summary>
public sealed record ConfirmCommand
{
    public string? By { get; init; }

    public string? Code { get; init; }
}

/// <summary>Argument of <c>Extend</c>: the new window end.</summary>
public sealed record ExtendCommand
{
    public DateTimeOffset? Until { get; init; }

    public string? By { get; init; }

    /// <summary>The sender's extension code (extend-1, extend-2... from the approval email); never recorded.</summary>
    public string? Code { get; init; }

    public string? Reason { get; init; }
}

/// <summary>Reply of the <c>SubmitApproval</c> update once the vote is recorded.</summary>
public sealed record ApprovalReceipt
{
    public required ApprovalVote Vote { get; init; }

    public required ApprovalStatus Status { get; init; }
}

/// <summary>Reply of the <c>SubmitConfirmation</c> update once the requester's confirmation is recorded.</summary>
public sealed record ConfirmationReceipt
{
    public required string By { get; init; }

    public required ApprovalStatus Status { get; init; }
}

/// <summary>Reply of the <c>SubmitAcknowledgement</c> update.</summary>
public sealed record AcknowledgementReceipt
{
    public required string Item { get; init; }

    public required string By { get; init; }

    public required DateTimeOffset At { get; init; }
}

[JsonConverter(typeof(JsonStringEnumConverter<SignalChannel>))]
public enum SignalChannel
{
    Signal,
    Update,
}

/// <summary>Names of the workflow's signals, updates and queries, for clients that call them by name.</summary>
public static class WindowHandlers
{
    public const string Approve = "Approve";
    public const string Reject = "Reject";
    public const string Acknowledge = "Acknowledge";
    public const string Abort = "Abort";
    public const string Pause = "Pause";
    public const string Resume = "Resume";
    public const string Extend = "Extend";
    public const string Confirm = "Confirm";
    public const string SubmitApproval = "SubmitApproval";
    public const string SubmitAcknowledgement = "SubmitAcknowledgement";
    public const string SubmitConfirmation = "SubmitConfirmation";
    public const string Status = "Status";

    public static IReadOnlyList<string> Signals { get; } = [Approve, Reject, Confirm, Acknowledge, Abort, Pause, Resume, Extend];
}
