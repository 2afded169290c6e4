using MaintenanceWorkflows.Workflows.Contracts;
using MaintenanceWorkflows.Workflows.Governance;
using MaintenanceWorkflows.Workflows.Plans;
using Temporalio.Common;
using Temporalio.Exceptions;
using Temporalio.Workflows;

namespace MaintenanceWorkflows.Workflows;

/// <summary>
/// Governance: the worker's policy recorded once, proof codes checked by the worker, who may steer, and
/// bounds on what people can make the window keep. Whoever can reach Temporal can send any signal; none of
/// that alone approves, extends or weakens a window.
/// </summary>
public partial class MaintenanceWindowWorkflow
{
    public const string RefusedProofMissing = "proof.missing";
    public const string RefusedProofInvalid = "proof.invalid";
    public const string RefusedTooLong = "payload.too-long";
    public const string RefusedUnknownPerson = "steer.unknown-person";
    public const string RefusedExtendLimit = "extend.limit";
    public const string RefusedNotWaiting = "ack.not-waiting";

    /// <summary>The gate an approval status shows until the requester confirmed (policy <c>requesterConfirms</c>).</summary>
    public const string RequesterConfirmationGate = "requester-confirmation";

    /// <summary>Longest approver/operator id, item id or proof code a payload may carry.</summary>
    public const int MaxIdLength = 64;

    /// <summary>Longest comment, reason or note a payload may carry.</summary>
    public const int MaxTextLength = 1000;

    /// <summary>Refusals and operator actions kept in full (the rest are counted): a flood cannot grow the state or the report.</summary>
    public const int KeepLast = 20;

    private readonly Dictionary<string, int> signalsReceived = new(StringComparer.Ordinal);
    private PreparedWindow? prepared;

    // The worker's policy and the schedule derived from it; set by PrepareAsync before anything but Status reads them.
    private MaintenancePolicy policy = null!;
    private WindowSchedule schedule = null!;

    // True while an emergency that ran before its approval still takes votes, until its approval deadline.
    private bool awaitingLateApproval;

    // Set once the requester confirmed with their own code (policy requesterConfirms).
    private bool requesterConfirmed;

    // Votes whose proof the worker is checking: the approval deadline waits for them, since they may have arrived in time.
    private int votesInFlight;

    private bool ProofRequired => prepared?.ProofRequired ?? true;

    /// <summary>Until the requester confirmed (when the policy asks), the window waits for that as for a gate.</summary>
    private ApprovalStatus WithRequesterConfirmation(ApprovalStatus status) =>
        prepared is { RequesterConfirms: true } && !requesterConfirmed
            ? status with
            {
                Approved = false,
                MissingGates = [.. status.MissingGates, new RequiredGate { Id = RequesterConfirmationGate, Approvers = [plan.Requester], Reason = "the requester confirms the request with their own code before votes count" }],
            }
            : status;

    /// <summary>
    /// Asks the worker for its policy, the plan's violations and the schedule, once; the result is recorded, so
    /// replay and later deploys read it back instead of recomputing it.
    /// </summary>
    private async Task PrepareAsync(DateTimeOffset scheduledAt)
    {
        var result = await Workflow.ExecuteActivityAsync<PreparedWindow>(
            ActivityNames.PrepareWindow,
            [new PrepareWindowInput(WindowId, plan, scheduledAt)],
            new ActivityOptions
            {
                StartToCloseTimeout = TimeSpan.FromMinutes(1),
                // Only a worker without a usable policy fails this, and it refuses to start; keep asking until one can.
                RetryPolicy = new RetryPolicy { InitialInterval = TimeSpan.FromSeconds(1), MaximumInterval = TimeSpan.FromMinutes(1) },
                CancellationToken = Never,
                Summary = "prepare: the worker's policy, plan validation and schedule",
            });
        Adopt(result);
        progress.WindowEnd = schedule.WindowEnd;
    }

    private void Adopt(PreparedWindow result)
    {
        policy = result.Policy;
        schedule = result.Schedule;
        prepared = result;
    }

    /// <summary>
    /// The requester confirms they asked for the window, with the confirm code mailed only to them. Someone who
    /// names another person as requester to approve their own change is stopped here: that person never confirms.
    /// </summary>
    [WorkflowSignal(WindowHandlers.Confirm)]
    public async Task ConfirmAsync(Temporalio.Converters.IRawValue? payload = null)
    {
        var signal = CountSignal(WindowHandlers.Confirm);
        await PreparedAsync();
        if (!TryParse<ConfirmCommand>(WindowHandlers.Confirm, payload, ConfirmExample, out var command))
        {
            return;
        }
        var refusal = await JudgeConfirmationAsync(command, signal);
        if (refusal is not null)
        {
            Refuse(WindowHandlers.Confirm, Bounded(command.By), refusal.Code, refusal.Reason);
        }
    }

    /// <summary>Refuses what can be judged without the worker (shape, sizes, who, state), so nothing is recorded.</summary>
    [WorkflowUpdateValidator(nameof(SubmitConfirmationAsync))]
    public void ValidateSubmitConfirmation(ConfirmCommand command)
    {
        // Validators run only for new updates (never on replay), so they judge by the current rules.
        if (ConfirmationRefusal(command, takesLateConfirmation: () => true) is { } refusal)
        {
            throw new ApplicationFailureException(refusal.Reason, refusal.Code, nonRetryable: true);
        }
    }

    /// <summary>The confirmation as an update: the worker checks the code, and a bad one fails the update with the reason and is recorded as refused.</summary>
    [WorkflowUpdate(WindowHandlers.SubmitConfirmation)]
    public async Task<ConfirmationReceipt> SubmitConfirmationAsync(ConfirmCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var refusal = await JudgeConfirmationAsync(command, null);
        if (refusal is not null)
        {
            Refuse(WindowHandlers.SubmitConfirmation, Bounded(command.By), refusal.Code, refusal.Reason);
            throw new ApplicationFailureException(refusal.Reason, refusal.Code, nonRetryable: true);
        }
        return new ConfirmationReceipt { By = KnownPerson(plan.Requester) ?? plan.Requester, Status = Approval };
    }

    /// <summary>The whole judgement of a confirmation: the rules, then the code (checked by the worker); records it when it holds.</summary>
    private async Task<Refusal?> JudgeConfirmationAsync(ConfirmCommand command, SignalRef? signal)
    {
        await PreparedAsync();
        if (ConfirmationRefusal(command, () => Workflow.Patched(LateConfirmationPatch)) is { } refusal)
        {
            return refusal;
        }
        var requester = KnownPerson(plan.Requester) ?? plan.Requester;
        if (ProofNotCheckable(command.Code!) is { } notCheckable)
        {
            return notCheckable;
        }
        var verdict = await VerifyAsync(requester, ProofPurposes.Confirm, command.Code!, schedule.ApprovalDeadline, signal);
        if (!verdict.Valid)
        {
            return new Refusal(RefusedProofInvalid, verdict.Reason);
        }
        if (requesterConfirmed)
        {
            return new Refusal(RefusedState, "the request is already confirmed.");
        }
        requesterConfirmed = true;
        RecordOperatorAction(new("confirm", requester, $"requester confirmed the request ({verdict.Reason})", verdict.ArrivedAt));
        return null;
    }

    /// <summary>Windows recorded before an emergency took its requester's confirmation after the work refused it then.</summary>
    private const string LateConfirmationPatch = "late-confirmation-for-emergencies";

    /// <param name="takesLateConfirmation">Asked only when it matters: whether this run takes a confirmation after the work (see <see cref="LateConfirmationPatch"/>).</param>
    private Refusal? ConfirmationRefusal(ConfirmCommand? command, Func<bool> takesLateConfirmation)
    {
        if (command is null)
        {
            return new Refusal(RefusedPayload, $"the confirmation needs {ConfirmExample}.");
        }
        if (TooLong(("by", command.By, MaxIdLength), ("code", command.Code, MaxIdLength)) is { } tooLong)
        {
            return tooLong;
        }
        if (prepared is null)
        {
            // Judged in full once the worker has prepared the window (the handler waits for that).
            return null;
        }
        var requester = KnownPerson(plan.Requester) ?? plan.Requester;
        // An emergency that ran before its approval takes the confirmation as it takes votes: until its approval deadline.
        if (!prepared.RequesterConfirms || requesterConfirmed || (progress.Phase.IsFinal() && !(awaitingLateApproval && takesLateConfirmation())))
        {
            return new Refusal(RefusedState, requesterConfirmed ? "the request is already confirmed." : $"this window takes no confirmation (the policy does not ask for one, or the window is {progress.Phase}).");
        }
        if (!ScheduleRules.SameId(command.By ?? string.Empty, requester))
        {
            return new Refusal(RefusedUnknownPerson, $"only the requester, {requester}, confirms this window.");
        }
        return string.IsNullOrWhiteSpace(command.Code)
            ? new Refusal(RefusedProofMissing, $"no proof: the confirmation needs the confirm code mailed to {requester}; send {ConfirmExample}.")
            : null;
    }

    private const string ConfirmExample = "{\"by\": \"ops-lead\", \"code\": \"k1-XXXX-XXXX-XXXX-XXXX\"}";

    /// <summary>Handlers wait for the worker's policy before judging anything (a moment after the start).</summary>
    private Task PreparedAsync() => prepared is null ? Workflow.WaitConditionAsync(() => prepared is not null, Never) : Task.CompletedTask;

    /// <summary>Mails each approver (and operator) their own codes; people who already voted get none.</summary>
    private async Task SendCodesAsync(string occasion)
    {
        if (!ProofRequired || prepared is null)
        {
            return;
        }
        var voted = ledger.Votes.Select(v => v.Vote.Approver).ToList();
        var grants = schedule.EligibleApprovers
            .Where(a => !voted.Contains(a, StringComparer.OrdinalIgnoreCase))
            .Select(a => new CodeGrant(a, [ProofPurposes.Approve, ProofPurposes.Reject], schedule.ApprovalDeadline))
            .ToList();
        if (prepared.RequesterConfirms && !requesterConfirmed)
        {
            grants.Add(new CodeGrant(KnownPerson(plan.Requester) ?? plan.Requester, [ProofPurposes.Confirm], schedule.ApprovalDeadline));
        }
        if (occasion == "request" && schedule.Overrun.MaxExtensions > 0)
        {
            // Extension codes go out once, in their own email, to everyone who may steer; each is bound to the extension's number.
            var extend = Enumerable.Range(1, schedule.Overrun.MaxExtensions).Select(ProofPurposes.Extend).ToList();
            grants.AddRange(Steerers().Select(p => new CodeGrant(p, extend, LatestEnd)));
        }
        if (grants.Count == 0)
        {
            return;
        }
        var result = await Workflow.ExecuteActivityAsync<SendApprovalCodesResult>(
            ActivityNames.SendApprovalCodes,
            [new SendApprovalCodesInput(WindowId, CodeRunId, occasion, plan.Title, plan.Requester, schedule.WindowStart, grants)],
            new ActivityOptions
            {
                StartToCloseTimeout = TimeSpan.FromMinutes(2),
                HeartbeatTimeout = TimeSpan.FromMinutes(1),
                RetryPolicy = new RetryPolicy { InitialInterval = TimeSpan.FromSeconds(5), MaximumInterval = TimeSpan.FromMinutes(1), MaximumAttempts = 10 },
                CancellationToken = Never,
                Summary = $"approval codes ({occasion})",
            });
        ledger.Notices.Add(new NoticeRecord { Kind = NoticeKind.ApprovalRequest, At = Now, Deliveries = result.Deliveries });
    }

    /// <summary>Codes are bound to the window's first run, so a continue-as-new keeps them valid and a new window of the same id does not.</summary>
    private string CodeRunId => carried?.FirstRunId ?? Workflow.Info.FirstExecutionRunId;

    /// <summary>The latest end extensions can reach: the planned end plus every extension the policy allows.</summary>
    private DateTimeOffset LatestEnd => schedule.WindowEnd + (schedule.Overrun.Extension * schedule.Overrun.MaxExtensions);

    /// <summary>Everyone the policy lets steer a window: its approvers and operators.</summary>
    private IEnumerable<string> Steerers() =>
        policy.Approvals.Approvers.Select(a => a.Id).Concat(prepared?.Operators ?? []).Distinct(StringComparer.OrdinalIgnoreCase);

    /// <summary>The canonical id of a person the policy knows, or null.</summary>
    private string? KnownPerson(string? name) =>
        name is null || prepared is null ? null : Steerers().FirstOrDefault(p => ScheduleRules.SameId(p, name));

    /// <summary>Counts the signal before anything else, so its ordinal matches its place among the history's signal events.</summary>
    private SignalRef CountSignal(string name)
    {
        signalsReceived[name] = signalsReceived.GetValueOrDefault(name) + 1;
        return new SignalRef(name, signalsReceived[name]);
    }

    /// <summary>Windows recorded before the workflow judged the shape of proof codes itself sent every code to the worker.</summary>
    public const string ProofShapePatch = "proof-shape-judged-in-workflow";

    /// <summary>Windows recorded before a waiting window stopped starting proof checks while it hands over to a fresh run.</summary>
    public const string HandoverPatch = "no-proof-checks-during-handover";

    public const string RefusedHandover = "window.handover";

    /// <summary>
    /// A code without the shape of a proof code is refused here, without asking the worker: a flood of junk votes then
    /// schedules no activities. Only well-formed codes cost a proof check, and none starts while a waiting window hands
    /// over to a fresh run (its history grew long, e.g. under a flood): continue-as-new waits for the checks in flight,
    /// so new ones could hold it off for as long as a flood lasts while history grows towards Temporal's limits.
    /// </summary>
    private Refusal? ProofNotCheckable(string code)
    {
        if (!Workflow.Patched(ProofShapePatch))
        {
            return null;
        }
        if (ProofCodeShape.Problem(code) is { } problem)
        {
            return new Refusal(RefusedProofInvalid, problem);
        }
        if (handingOver && Workflow.Patched(HandoverPatch))
        {
            return new Refusal(
                RefusedHandover,
                "the window is handing over to a fresh run (its history is long, e.g. after a flood of signals); nothing was checked or recorded: send the same code again in a moment.");
        }
        return null;
    }

    /// <summary>The worker checks the code (only it holds the key); the verdict and the signal's arrival time are recorded, the code is not kept.</summary>
    private Task<ProofVerdict> VerifyAsync(string person, string purpose, string code, DateTimeOffset expires, SignalRef? signal) =>
        Workflow.ExecuteActivityAsync<ProofVerdict>(
            ActivityNames.VerifyProof,
            [new VerifyProofInput(WindowId, CodeRunId, person, purpose, code, expires, signal, Now)],
            new ActivityOptions
            {
                StartToCloseTimeout = TimeSpan.FromSeconds(30),
                RetryPolicy = new RetryPolicy { InitialInterval = TimeSpan.FromSeconds(1), MaximumInterval = TimeSpan.FromSeconds(30) },
                CancellationToken = Never,
                Summary = $"verify {purpose} proof of {person}",
            });

    /// <summary>The first field over its cap, as a refusal naming the field and the limit; null when all fit.</summary>
    private static Refusal? TooLong(params (string Field, string? Value, int Limit)[] fields)
    {
        foreach (var (field, value, limit) in fields)
        {
            if (value is not null && value.Length > limit)
            {
                return new Refusal(RefusedTooLong, $"'{field}' is {value.Length} characters; the limit is {limit}. Send it shorter.");
            }
        }
        return null;
    }

    /// <summary>A name as far as it may be kept: at most <see cref="MaxIdLength"/> characters, the rest marked as cut.</summary>
    private static string? Bounded(string? text) => Bounded(text, MaxIdLength);

    private static string? Bounded(string? text, int limit) =>
        text is null || text.Length <= limit ? text : $"{text[..limit]}…({text.Length} chars)";

    private void RecordOperatorAction(OperatorAction action)
    {
        ledger.OperatorActionCount++;
        ledger.OperatorActions.Add(action);
        if (ledger.OperatorActions.Count > KeepLast)
        {
            ledger.OperatorActions.RemoveAt(0);
        }
    }

    private void KeepRefusal(RefusalRecord refusal)
    {
        ledger.RefusalCount++;
        ledger.Refusals.Add(refusal);
        if (ledger.Refusals.Count > KeepLast)
        {
            ledger.Refusals.RemoveAt(0);
        }
    }

    /// <summary>
    /// Extensions are bounded by the policy (count and how far), never reach into a freeze or a blackout, and
    /// each accepted one sends one notice; refused ones send nothing.
    /// </summary>
    private Refusal? ExtensionRefusal(DateTimeOffset until)
    {
        if (progress.ExtensionsUsed >= schedule.Overrun.MaxExtensions)
        {
            return new Refusal(RefusedExtendLimit, $"the policy allows {schedule.Overrun.MaxExtensions} extension(s) and {progress.ExtensionsUsed} were used.");
        }
        if (until > LatestEnd)
        {
            return new Refusal(
                RefusedExtendLimit,
                $"'until' {ZoneMath.FormatUtc(until)} is past the latest end the policy allows, {ZoneMath.FormatUtc(LatestEnd)} " +
                $"({schedule.Overrun.MaxExtensions} x {Format(schedule.Overrun.Extension)} after the planned end).");
        }
        var conflict = CalendarRules.Conflicts(plan, policy, progress.WindowEnd, until).FirstOrDefault();
        return conflict is null
            ? null
            : new Refusal(RefusedExtendLimit, $"extending to {ZoneMath.FormatUtc(until)} would overlap {conflict.Kind} '{conflict.Id}' ({conflict.Description}) from {ZoneMath.FormatUtc(conflict.Start)}.");
    }
}
