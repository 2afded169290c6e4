using MaintenanceWorkflows.Workflows.Plans;

namespace MaintenanceWorkflows.Workflows.Governance;

/// <summary>
/// Input of <see cref="Contracts.ActivityNames.PrepareWindow"/>: what the worker needs to judge the plan against
/// its own policy. The policy itself is not in here: the worker owns it.
/// </summary>
/// <param name="WindowId">Workflow id of the window.</param>
/// <param name="Plan">The plan as scheduled.</param>
/// <param name="ScheduledAt">When the window was scheduled (the workflow's start time), so the schedule is stable.</param>
public sealed record PrepareWindowInput(string WindowId, MaintenancePlan Plan, DateTimeOffset ScheduledAt);

/// <summary>
/// The worker's policy, its content hash, the plan's violations against it and the derived schedule,
/// computed once and recorded as the activity's result: replay and later deploys read them back instead of
/// recomputing, and the history shows exactly which policy governed the window.
/// </summary>
public sealed record PreparedWindow
{
    public required MaintenancePolicy Policy { get; init; }

    /// <summary>SHA-256 (hex) of the policy file's bytes as the worker loaded it; `starter status` shows it.</summary>
    public required string PolicyHash { get; init; }

    /// <summary>Every violation (errors and warnings) of the plan against the worker's policy.</summary>
    public required IReadOnlyList<PlanViolation> Violations { get; init; }

    public required WindowSchedule Schedule { get; init; }

    /// <summary>Operator ids (besides the approvers) who may steer the window.</summary>
    public required IReadOnlyList<string> Operators { get; init; }

    /// <summary>Whether votes of this window's type need a proof code (false only when the policy says <c>proof: none</c>).</summary>
    public required bool ProofRequired { get; init; }

    /// <summary>Whether votes count only after the requester confirmed the request with their own code.</summary>
    public bool RequesterConfirms { get; init; }
}

/// <summary>
/// Input of <see cref="Contracts.ActivityNames.VerifyProof"/>. The code is already in the history (it came in the
/// signal or update that carries it); codes are single-use and bound to this window, run, person and purpose, so
/// reading a used one gains nothing.
/// </summary>
/// <param name="WindowId">Workflow id.</param>
/// <param name="RunId">The run the codes were issued for (the first run of the window).</param>
/// <param name="Person">Approver or operator id, canonical spelling from the policy.</param>
/// <param name="Purpose">What the code allows, see <see cref="ProofPurposes"/>.</param>
/// <param name="Code">The code as the person typed it.</param>
/// <param name="Expires">Until when the code is valid (the approval deadline, or the latest window end for extensions).</param>
/// <param name="Signal">Signal name and its ordinal among this run's signals of that name, to read its arrival time; null for updates.</param>
/// <param name="HandledAt">Workflow time when the handler ran: the arrival time of an update, and the fallback for a signal.</param>
public sealed record VerifyProofInput(
    string WindowId,
    string RunId,
    string Person,
    string Purpose,
    string Code,
    DateTimeOffset Expires,
    SignalRef? Signal,
    DateTimeOffset HandledAt);

/// <param name="Name">Signal name.</param>
/// <param name="Ordinal">1 for the first signal of that name this run received, and so on.</param>
public sealed record SignalRef(string Name, int Ordinal);

/// <summary>Result of <see cref="Contracts.ActivityNames.VerifyProof"/>: never the code, only the verdict.</summary>
/// <param name="Valid">Whether the code proves that <c>Person</c> sent this decision for this window and run.</param>
/// <param name="Reason">Why not, for the refusal; "proof ok (key k1)" when valid.</param>
/// <param name="ArrivedAt">When the signal reached Temporal (its history event time), or the handler time for updates.</param>
public sealed record ProofVerdict(bool Valid, string Reason, DateTimeOffset ArrivedAt);

/// <summary>
/// Input of <see cref="Contracts.ActivityNames.SendApprovalCodes"/>: one email per person, to the address the
/// worker's policy gives for them, carrying that person's own codes.
/// </summary>
/// <param name="WindowId">Workflow id.</param>
/// <param name="RunId">Run the codes are bound to.</param>
/// <param name="Occasion">request, reminder or escalation (wording only).</param>
/// <param name="Title">Plan title.</param>
/// <param name="Requester">Who asked for the window.</param>
/// <param name="WindowStart">Start of the window.</param>
/// <param name="Grants">Who gets which codes, valid until when.</param>
public sealed record SendApprovalCodesInput(
    string WindowId,
    string RunId,
    string Occasion,
    string Title,
    string Requester,
    DateTimeOffset WindowStart,
    IReadOnlyList<CodeGrant> Grants);

/// <param name="Person">Approver or operator id.</param>
/// <param name="Purposes">The codes this person gets (approve and reject, extend-1...).</param>
/// <param name="Expires">Expiry bound into those codes.</param>
public sealed record CodeGrant(string Person, IReadOnlyList<string> Purposes, DateTimeOffset Expires);

/// <summary>One line per person: sent (message id), or why not (no address in the policy, send failed).</summary>
/// <param name="Deliveries">Per person, in order; never a code.</param>
public sealed record SendApprovalCodesResult(IReadOnlyList<Contracts.ChannelDelivery> Deliveries);

/// <summary>What a proof code is bound to besides the window, run and person.</summary>
public static class ProofPurposes
{
    public const string Approve = "approve";
    public const string Reject = "reject";

    /// <summary>The requester's confirmation that they asked for the window (policy <c>requesterConfirms</c>).</summary>
    public const string Confirm = "confirm";

    public static string For(VoteDecision decision) => decision == VoteDecision.Approve ? Approve : Reject;

    /// <summary>The n-th extension (1-based) has its own code, so a code read from history cannot extend twice.</summary>
    public static string Extend(int number) => $"extend-{number}";
}

/// <summary>The policy's identity: SHA-256 of the file's bytes, the same on the worker and in the starter.</summary>
public static class PolicyHash
{
    public static string Of(byte[] policyFileBytes) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(policyFileBytes));

    /// <summary>Enough of the hash for people to compare at a glance.</summary>
    public static string Short(string hash) => hash.Length > 12 ? hash[..12] : hash;
}

/// <summary>
/// Input of <see cref="Contracts.ActivityNames.FindNextSlot"/>: the plan whose window cannot run as planned, and the
/// time from which the next free slot is sought. The worker judges it against its own (current) policy.
/// </summary>
/// <param name="WindowId">Workflow id of the window, for the worker's log.</param>
/// <param name="Plan">The plan as scheduled (type, cadence, duration, systems).</param>
/// <param name="After">The earliest time a new slot may start (the workflow's now).</param>
public sealed record FindNextSlotInput(string WindowId, MaintenancePlan Plan, DateTimeOffset After);

/// <summary>
/// The next free slot the worker's calendar rules allow (cadence, notice period, freezes, blackouts), the same
/// rules <c>starter slots</c> walks; null when none is free in the search horizon. Recorded as the activity's
/// result, so a deploy that changes the rules cannot change what a postponed window proposed.
/// </summary>
/// <param name="Start">Start of the proposed slot, or null.</param>
/// <param name="PolicyHash">SHA-256 of the policy that judged it.</param>
public sealed record FindNextSlotResult(DateTimeOffset? Start, string PolicyHash);
