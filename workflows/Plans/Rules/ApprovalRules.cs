using System.Text.Json.Serialization;

namespace MaintenanceWorkflows.Workflows.Plans;

[JsonConverter(typeof(JsonStringEnumConverter<VoteDecision>))]
public enum VoteDecision
{
    Approve,
    Reject,
}

public sealed record ApprovalVote
{
    public required string Approver { get; init; }

    public required VoteDecision Decision { get; init; }

    public string? Comment { get; init; }

    /// <summary>Proof code sent with the vote (update input only); the recorded vote never keeps it.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Code { get; init; }

    /// <summary>When the vote arrived (the signal's history time), which is what deadlines judge.</summary>
    public DateTimeOffset? At { get; init; }

    /// <summary>How the proof was judged, e.g. "proof ok (key k1)" or "proof: none (policy)".</summary>
    public string? Proof { get; init; }
}

/// <summary>Verdict on a proposed vote; <see cref="Code"/> and <see cref="Reason"/> are set when it is refused.</summary>
public sealed record VoteVerdict
{
    public required bool Accepted { get; init; }

    public string? Code { get; init; }

    public string? Reason { get; init; }

    public static VoteVerdict Accept { get; } = new() { Accepted = true };

    public static VoteVerdict Refuse(string code, string reason) => new() { Accepted = false, Code = code, Reason = reason };
}

public sealed record ApprovalStatus
{
    public required bool Approved { get; init; }

    public required bool Rejected { get; init; }

    public required int Approvals { get; init; }

    public required int Required { get; init; }

    public required IReadOnlyList<string> ApprovedBy { get; init; }

    public required IReadOnlyList<string> RejectedBy { get; init; }

    /// <summary>Gates still waiting for one of their approvers.</summary>
    public required IReadOnlyList<RequiredGate> MissingGates { get; init; }

    /// <summary>Approvals still needed to reach the count (gates aside).</summary>
    public int Missing => Math.Max(0, Required - Approvals);
}

/// <summary>
/// Who may vote and when a window counts as approved. Both the update validator (to refuse with a
/// reason the caller sees) and the signal handler (to ignore a bad vote) use it, so they always agree.
/// </summary>
public static class ApprovalRules
{
    public const string NotEligible = "vote.not-eligible";
    public const string SelfApproval = "vote.self-approval";
    public const string DuplicateVote = "vote.duplicate";
    public const string AlreadyDecided = "vote.already-decided";
    public const string DeadlinePassed = "vote.deadline-passed";
    public const string MissingApprover = "vote.missing-approver";

    public static VoteVerdict Check(WindowSchedule schedule, IReadOnlyList<ApprovalVote> existing, ApprovalVote proposed, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        ArgumentNullException.ThrowIfNull(existing);
        ArgumentNullException.ThrowIfNull(proposed);
        if (string.IsNullOrWhiteSpace(proposed.Approver))
        {
            return VoteVerdict.Refuse(MissingApprover, "The vote names no approver: set 'approver' to your approver id from the policy.");
        }

        if (!schedule.RequesterMayApprove && ScheduleRules.SameId(proposed.Approver, schedule.Requester))
        {
            return VoteVerdict.Refuse(
                SelfApproval,
                $"'{proposed.Approver}' requested this window and may not {Verb(proposed)} it; ask one of: {List(schedule.EligibleApprovers)}.");
        }

        if (!schedule.EligibleApprovers.Contains(proposed.Approver, StringComparer.OrdinalIgnoreCase))
        {
            return VoteVerdict.Refuse(
                NotEligible,
                $"'{proposed.Approver}' is not an eligible approver for this window; eligible: {List(schedule.EligibleApprovers)}.");
        }

        var previous = existing.FirstOrDefault(v => ScheduleRules.SameId(v.Approver, proposed.Approver));
        if (previous is not null)
        {
            return VoteVerdict.Refuse(
                DuplicateVote,
                $"'{proposed.Approver}' already voted ({previous.Decision.ToString().ToLowerInvariant()}); each approver votes once.");
        }

        var status = Tally(schedule, existing);
        if (status.Approved || status.Rejected)
        {
            return VoteVerdict.Refuse(
                AlreadyDecided,
                $"The window is already {(status.Approved ? "approved" : "rejected")}; no further votes are taken.");
        }

        if (now > schedule.ApprovalDeadline)
        {
            return VoteVerdict.Refuse(
                DeadlinePassed,
                $"The approval deadline passed at {ZoneMath.FormatUtc(schedule.ApprovalDeadline)}; the window has to be rescheduled.");
        }

        return VoteVerdict.Accept;
    }

    /// <summary>Approved: enough approvals, every gate satisfied, no rejection. One eligible rejection rejects.</summary>
    public static ApprovalStatus Tally(WindowSchedule schedule, IReadOnlyList<ApprovalVote> votes)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        ArgumentNullException.ThrowIfNull(votes);
        var counted = votes
            .Where(v => schedule.EligibleApprovers.Contains(v.Approver, StringComparer.OrdinalIgnoreCase))
            .DistinctBy(v => v.Approver, StringComparer.OrdinalIgnoreCase)
            .ToList();
        var approvedBy = counted.Where(v => v.Decision == VoteDecision.Approve).Select(v => v.Approver).ToList();
        var rejectedBy = counted.Where(v => v.Decision == VoteDecision.Reject).Select(v => v.Approver).ToList();
        var missingGates = schedule.Gates
            .Where(g => !g.Approvers.Any(a => approvedBy.Contains(a, StringComparer.OrdinalIgnoreCase)))
            .ToList();
        var rejected = rejectedBy.Count > 0;
        return new ApprovalStatus
        {
            Approved = !rejected && approvedBy.Count >= schedule.RequiredApprovals && missingGates.Count == 0,
            Rejected = rejected,
            Approvals = approvedBy.Count,
            Required = schedule.RequiredApprovals,
            ApprovedBy = approvedBy,
            RejectedBy = rejectedBy,
            MissingGates = missingGates,
        };
    }

    private static string Verb(ApprovalVote vote) => vote.Decision == VoteDecision.Approve ? "approve" : "reject";

    private static string List(IReadOnlyList<string> ids) => ids.Count == 0 ? "(nobody)" : string.Join(", ", ids);
}
