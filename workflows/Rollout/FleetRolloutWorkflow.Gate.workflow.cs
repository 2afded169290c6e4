using MaintenanceWorkflows.Workflows.Contracts;
using MaintenanceWorkflows.Workflows.Governance;
using MaintenanceWorkflows.Workflows.Plans;
using Microsoft.Extensions.Logging;
using Temporalio.Common;
using Temporalio.Converters;
using Temporalio.Exceptions;
using Temporalio.Workflows;

namespace MaintenanceWorkflows.Workflows.Rollout;

/// <summary>
/// Pauses between waves: a timed pause, or a human "continue" gate under the same rules as approvals: only
/// the window's eligible approvers, each with their own proof code (mailed to them, bound to this window,
/// run, person and gate, checked by the worker); anything else is refused, recorded and changes nothing.
/// </summary>
public partial class FleetRolloutWorkflow
{
    public const int MaxIdLength = 64;
    public const int MaxTextLength = 1000;

    private readonly Dictionary<string, int> signalsReceived = new(StringComparer.Ordinal);
    private int? gateAfterWave;
    private string? continuedBy;
    private int refusalCount;
    private string? lastRefusal;

    /// <summary>The code purpose of the gate after a wave: bound to the rollout step and the wave, so one code opens one gate.</summary>
    public static string ContinuePurpose(string stepId, int afterWave) => $"continue-{stepId}-{afterWave}";

    /// <summary>Lets the next wave start; needs an approver's continue code for this gate (unless the policy says proof: none).</summary>
    [WorkflowSignal(RolloutHandlers.Continue)]
    public async Task ContinueAsync(IRawValue? payload = null)
    {
        var ordinal = signalsReceived[RolloutHandlers.Continue] = signalsReceived.GetValueOrDefault(RolloutHandlers.Continue) + 1;
        var parsed = SignalPayload.Parse<ContinueCommand>(payload, ContinueExample);
        if (parsed.Value is not { } command)
        {
            Refuse(null, parsed.Error ?? "no payload");
            return;
        }
        if (await JudgeContinueAsync(command, new SignalRef(RolloutHandlers.Continue, ordinal)) is { } refusal)
        {
            Refuse(refusal.By, refusal.Reason);
        }
    }

    /// <summary>Refuses what can be judged without the worker (shape, sizes, no gate waiting, strangers), so nothing is recorded.</summary>
    [WorkflowUpdateValidator(nameof(SubmitContinueAsync))]
    public void ValidateSubmitContinue(ContinueCommand command)
    {
        if (ContinueRefusal(command) is { } refusal)
        {
            throw new ApplicationFailureException(refusal.Reason, refusal.Code, nonRetryable: true);
        }
    }

    /// <summary>
    /// The continue gate as an update: the worker checks the code; a refusal fails the update with the reason (and a
    /// bad code is recorded as refused), an accepted one returns who continued and which wave comes next.
    /// </summary>
    [WorkflowUpdate(RolloutHandlers.SubmitContinue)]
    public async Task<ContinueReceipt> SubmitContinueAsync(ContinueCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var gate = gateAfterWave;
        if (await JudgeContinueAsync(command, null) is { } refusal)
        {
            Refuse(refusal.By, refusal.Reason);
            throw new ApplicationFailureException(refusal.Reason, refusal.Code, nonRetryable: true);
        }
        return new ContinueReceipt { StepId = input.Step.Id, AfterWave = gate ?? 0, By = continuedBy!, Status = Status.Line };
    }

    private const string ContinueExample = "{\"by\": \"T-JOSH\", \"code\": \"k1-XXXX-XXXX-XXXX-XXXX\", \"comment\": \"...\"}";

    /// <summary>The whole judgement of a continue: the rules, then the code (checked by the worker); opens the gate when it holds.</summary>
    private async Task<ContinueRefused?> JudgeContinueAsync(ContinueCommand command, SignalRef? signal)
    {
        if (ContinueRefusal(command) is { } refusal)
        {
            return refusal;
        }
        var gate = gateAfterWave!.Value;
        var person = input.Continuers.First(p => ScheduleRules.SameId(p, command.By ?? string.Empty));
        var proof = "proof: none (policy)";
        if (input.ProofRequired)
        {
            var verdict = await Workflow.ExecuteActivityAsync<ProofVerdict>(
                ActivityNames.VerifyProof,
                [new VerifyProofInput(input.WindowId, input.CodeRunId, person, ContinuePurpose(input.Step.Id, gate), command.Code!, input.GateExpires, signal, Now)],
                new ActivityOptions
                {
                    StartToCloseTimeout = TimeSpan.FromSeconds(30),
                    RetryPolicy = new RetryPolicy { InitialInterval = TimeSpan.FromSeconds(1), MaximumInterval = TimeSpan.FromSeconds(30) },
                    CancellationToken = CancellationToken.None,
                    Summary = $"verify continue proof of {person}",
                });
            if (!verdict.Valid)
            {
                return new ContinueRefused(person, MaintenanceWindowWorkflow.RefusedProofInvalid, verdict.Reason);
            }
            proof = verdict.Reason;
        }
        if (gateAfterWave != gate || continuedBy is not null)
        {
            return new ContinueRefused(person, MaintenanceWindowWorkflow.RefusedState, "the gate this code was for is no longer waiting");
        }
        continuedBy = person;
        Note($"continued by {person} ({proof}){(string.IsNullOrWhiteSpace(command.Comment) ? string.Empty : $": {command.Comment}")}");
        return null;
    }

    private ContinueRefused? ContinueRefusal(ContinueCommand? command)
    {
        if (command is null)
        {
            return new ContinueRefused(null, MaintenanceWindowWorkflow.RefusedPayload, $"the continue needs {ContinueExample}");
        }
        if ((command.By?.Length ?? 0) > MaxIdLength || (command.Code?.Length ?? 0) > MaxIdLength || (command.Comment?.Length ?? 0) > MaxTextLength)
        {
            return new ContinueRefused(Bounded(command.By), MaintenanceWindowWorkflow.RefusedTooLong, $"'by' and 'code' may have at most {MaxIdLength} characters and 'comment' {MaxTextLength}");
        }
        if (gateAfterWave is not { } gate || continuedBy is not null)
        {
            return new ContinueRefused(Bounded(command.By), MaintenanceWindowWorkflow.RefusedState, "no continue gate is waiting");
        }
        var person = input.Continuers.FirstOrDefault(p => ScheduleRules.SameId(p, command.By ?? string.Empty));
        if (person is null)
        {
            return new ContinueRefused(
                Bounded(command.By), MaintenanceWindowWorkflow.RefusedUnknownPerson, $"only an approver of this window may continue the rollout ({string.Join(", ", input.Continuers)})");
        }
        return input.ProofRequired && string.IsNullOrWhiteSpace(command.Code)
            ? new ContinueRefused(person, MaintenanceWindowWorkflow.RefusedProofMissing, $"no proof: send the {ContinuePurpose(input.Step.Id, gate)} code mailed to {person}")
            : null;
    }

    private sealed record ContinueRefused(string? By, string Code, string Reason);

    private async Task PauseAsync(RolloutPause pause, RolloutWave after)
    {
        if (pause.Duration is { } duration)
        {
            waitingFor = $"a pause of {duration} after the {after.Name}";
            UpsertPhase();
            await Workflow.WaitConditionAsync(() => Aborted, duration, CancellationToken.None);
            Note($"paused {duration}");
        }
        else if (pause.Approval)
        {
            gateAfterWave = after.Number;
            continuedBy = null;
            waitingFor = $"a continue from one of {string.Join(", ", input.Continuers)} after the {after.Name}";
            UpsertPhase();
            await ReportAsync();
            await SendContinueCodesAsync(after);
            await Workflow.WaitConditionAsync(() => continuedBy is not null || Aborted, CancellationToken.None);
            gateAfterWave = null;
        }
        waitingFor = null;
    }

    /// <summary>Each approver gets their own code for this gate by email, as for approvals.</summary>
    private async Task SendContinueCodesAsync(RolloutWave after)
    {
        if (!input.ProofRequired || input.Continuers.Count == 0)
        {
            return;
        }
        var purpose = ContinuePurpose(input.Step.Id, after.Number);
        await Workflow.ExecuteActivityAsync<SendApprovalCodesResult>(
            ActivityNames.SendApprovalCodes,
            [new SendApprovalCodesInput(
                input.WindowId,
                input.CodeRunId,
                "continue",
                $"{input.Step.Title}: continue after the {after.Name}",
                "the rollout",
                Now,
                input.Continuers.Select(p => new CodeGrant(p, [purpose], input.GateExpires)).ToList())],
            new ActivityOptions
            {
                StartToCloseTimeout = TimeSpan.FromMinutes(2),
                HeartbeatTimeout = TimeSpan.FromMinutes(1),
                RetryPolicy = new RetryPolicy { InitialInterval = TimeSpan.FromSeconds(5), MaximumInterval = TimeSpan.FromMinutes(1), MaximumAttempts = 10 },
                CancellationToken = CancellationToken.None,
                Summary = $"continue codes after the {after.Name}",
            });
    }

    private void Refuse(string? by, string reason)
    {
        refusalCount++;
        lastRefusal = $"{by ?? "(unknown)"}: {reason}";
        Workflow.Logger.LogWarning("Rollout {StepId}: Continue from {By} refused: {Reason}", input.Step.Id, by, reason);
    }

    private static string? Bounded(string? text) =>
        text is null || text.Length <= MaxIdLength ? text : $"{text[..MaxIdLength]}…({text.Length} chars)";
}
