using System.Globalization;
using MaintenanceWorkflows.Activities.Email;
using MaintenanceWorkflows.Workflows.Contracts;
using MaintenanceWorkflows.Workflows.Governance;
using MaintenanceWorkflows.Workflows.Plans;
using MaintenanceWorkflows.Workflows.Rollout;
using Microsoft.Extensions.Logging;
using Temporalio.Activities;
using Temporalio.Api.Enums.V1;
using Temporalio.Client;

namespace MaintenanceWorkflows.Activities.Governance;

/// <summary>
/// The worker's side of governance: its own policy judges the plan (recorded once per window), and its key
/// makes and checks the approvers' proof codes. The key and the codes never leave through a result.
/// </summary>
public sealed class GovernanceActivities(WorkerPolicy worker, ApprovalProofs proofs, SesEmailSender email, Microsoft.Extensions.Options.IOptions<Rollout.FleetsOptions> fleets)
{
    [Activity(ActivityNames.PrepareWindow)]
    public PreparedWindow PrepareWindow(PrepareWindowInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var policy = worker.Policy;
        var plan = input.Plan;
        var proof = policy.Types.For(plan.Type).Approval.Proof == ProofMode.Code;
        var confirms = proof && policy.Approvals.RequesterConfirms;
        var violations = PlanValidator.Validate(plan, policy, input.ScheduledAt, fleets.Value.AsLookup()).ToList();
        if (confirms && !policy.Approvals.Approvers.Concat(policy.Approvals.Operators).Any(p => string.Equals(p.Id, plan.Requester.Trim(), StringComparison.OrdinalIgnoreCase) && p.Email is { Length: > 0 }))
        {
            violations.Add(new PlanViolation
            {
                Code = "requester.unknown",
                Path = "requester",
                Message = $"'{plan.Requester}' is not an approver or operator with an email address in the worker's policy, and the policy has the requester confirm each request with their own code.",
                Fix = "Name yourself as the requester (your id from the policy).",
            });
        }
        return new PreparedWindow
        {
            Policy = policy,
            PolicyHash = worker.Hash,
            Violations = violations,
            Schedule = ScheduleRules.Derive(plan, policy, input.ScheduledAt),
            Operators = policy.Approvals.Operators.Select(o => o.Id).ToList(),
            ProofRequired = proof,
            RequesterConfirms = confirms,
        };
    }

    /// <summary>The next free slot for a window that cannot run as planned, by the worker's calendar rules and current policy.</summary>
    [Activity(ActivityNames.FindNextSlot)]
    public FindNextSlotResult FindNextSlot(FindNextSlotInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(input.Plan);
        var next = CalendarRules.EarliestLegalStart(input.Plan, worker.Policy, input.After);
        ActivityExecutionContext.Current.Logger.LogInformation(
            "Next free slot for {Window} after {After:u}: {Next}", input.WindowId, input.After, next is { } slot ? slot.ToString("u", CultureInfo.InvariantCulture) : "none");
        return new FindNextSlotResult(next, worker.Hash);
    }

    [Activity(ActivityNames.VerifyProof)]
    public async Task<ProofVerdict> VerifyProofAsync(VerifyProofInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var arrived = input.Signal is { } signal ? await ArrivalAsync(signal) ?? input.HandledAt : input.HandledAt;
        var check = proofs.Verify(input.WindowId, input.RunId, input.Person, input.Purpose, input.Expires, input.Code, arrived);
        ActivityExecutionContext.Current.Logger.LogInformation(
            "Proof for {Purpose} by {Person} on {Window}: {Verdict}", input.Purpose, input.Person, input.WindowId, check.Valid ? "ok" : "refused");
        return new ProofVerdict(check.Valid, check.Reason, arrived);
    }

    [Activity(ActivityNames.SendApprovalCodes)]
    public async Task<SendApprovalCodesResult> SendApprovalCodesAsync(SendApprovalCodesInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var context = ActivityExecutionContext.Current;
        var policy = worker.Policy;
        var people = policy.Approvals.Approvers.Concat(policy.Approvals.Operators).ToList();
        var earlier = context.Info.HeartbeatDetails.Count == 0
            ? []
            : (await context.Info.HeartbeatDetailAtAsync<List<ChannelDelivery>>(0)).ToDictionary(d => d.Channel, StringComparer.OrdinalIgnoreCase);
        var deliveries = new List<ChannelDelivery>();
        foreach (var grant in input.Grants)
        {
            var label = $"{grant.Person}: {string.Join(", ", grant.Purposes)}";
            if (earlier.TryGetValue(label, out var done))
            {
                deliveries.Add(done);
                continue;
            }
            var person = people.FirstOrDefault(p => string.Equals(p.Id.Trim(), grant.Person.Trim(), StringComparison.OrdinalIgnoreCase));
            if (person?.Email is not { Length: > 0 } address)
            {
                deliveries.Add(new ChannelDelivery(label, DeliveryStatus.NotConfigured, $"the worker's policy has no email address for '{grant.Person}', so no codes were sent to them."));
                continue;
            }
            // Only the person's own address: the codes are their signature.
            var message = new EmailMessage(
                $"Your {(grant.Purposes.Contains(ProofPurposes.Approve) ? "approval" : grant.Purposes.Contains(ProofPurposes.Confirm) ? "confirmation" : input.Occasion == "continue" ? "continue" : "extension")} codes: {input.Title} ({input.WindowId})",
                Body(input, grant),
                null,
                [address],
                [],
                [],
                []);
            var id = await email.SendAsync(message, context.CancellationToken);
            deliveries.Add(new ChannelDelivery(label, DeliveryStatus.Delivered, $"SES message {id}"));
            context.Heartbeat(deliveries.Where(d => d.Status == DeliveryStatus.Delivered).ToList());
        }
        return new SendApprovalCodesResult(deliveries);
    }

    /// <summary>The time the signal's event was written to the history: when it arrived, whatever the worker's backlog.</summary>
    private static async Task<DateTimeOffset?> ArrivalAsync(SignalRef signal)
    {
        var context = ActivityExecutionContext.Current;
        var handle = context.TemporalClient.GetWorkflowHandle(context.Info.WorkflowId ?? string.Empty, context.Info.WorkflowRunId);
        var seen = 0;
        await foreach (var e in handle.FetchHistoryEventsAsync(new WorkflowHistoryEventFetchOptions { Rpc = new RpcOptions { CancellationToken = context.CancellationToken } }))
        {
            if (e.EventType == EventType.WorkflowExecutionSignaled && e.WorkflowExecutionSignaledEventAttributes.SignalName == signal.Name && ++seen == signal.Ordinal)
            {
                return new DateTimeOffset(e.EventTime.ToDateTime(), TimeSpan.Zero);
            }
        }
        return null;
    }

    private string Body(SendApprovalCodesInput input, CodeGrant grant)
    {
        var lines = new List<string>
        {
            input.Occasion switch
            {
                "reminder" => "Reminder: this window still waits for your decision.",
                "escalation" => "Escalation: approvals for this window are still missing.",
                _ => "You are asked to decide on a maintenance window.",
            },
            string.Empty,
            $"Window:    {input.Title} ({input.WindowId})",
            $"Requested: by {input.Requester}",
            $"Starts:    {input.WindowStart.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC",
            string.Empty,
            $"Your codes, {grant.Person} (they work only for you, for this window, once each, until {grant.Expires.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC):",
        };
        var codes = grant.Purposes.ToDictionary(p => p, p => proofs.Issue(input.WindowId, input.RunId, grant.Person, p, grant.Expires));
        lines.AddRange(codes.Select(c => $"  {c.Key,-9} {c.Value}"));
        lines.Add(string.Empty);
        if (codes.TryGetValue(ProofPurposes.Approve, out var approve))
        {
            lines.Add("From the command line:");
            lines.Add($"  starter approve {input.WindowId} --by {grant.Person} --code {approve} --comment \"...\"");
            lines.Add($"  starter reject  {input.WindowId} --by {grant.Person} --code <reject code> --comment \"why\"");
            lines.Add("From the Temporal UI (Send a Signal, name Approve or Reject, this JSON):");
            lines.Add($"  {{\"approver\": \"{grant.Person}\", \"code\": \"{approve}\", \"comment\": \"...\"}}");
        }
        if (codes.TryGetValue(ProofPurposes.Confirm, out var confirm))
        {
            lines.Add("You are named as the requester. If you asked for this window, confirm it (votes count only after that):");
            lines.Add($"  starter confirm {input.WindowId} --by {grant.Person} --code {confirm}");
            lines.Add($"  or in the Temporal UI, Send a Signal, name Confirm: {{\"by\": \"{grant.Person}\", \"code\": \"{confirm}\"}}");
            lines.Add("If you did not ask for it, do nothing and tell your governance contact.");
        }
        if (input.Occasion == "continue" && codes.Count == 1)
        {
            // The purpose is continue-<step>-<wave>; the gate waits on the rollout's own workflow.
            var (purpose, code) = codes.First();
            var step = purpose["continue-".Length..purpose.LastIndexOf('-')];
            lines.Add("To let the rollout go on to its next wave:");
            lines.Add($"  starter continue {input.WindowId} --step {step} --by {grant.Person} --code {code} --comment \"...\"");
            lines.Add($"  or in the Temporal UI, on workflow {FleetRolloutWorkflow.IdFor(input.WindowId, step)}, Send a Signal, name Continue:");
            lines.Add($"  {{\"by\": \"{grant.Person}\", \"code\": \"{code}\", \"comment\": \"...\"}}");
        }
        if (codes.Keys.FirstOrDefault(k => k.StartsWith("extend-", StringComparison.Ordinal)) is { } extend)
        {
            lines.Add($"To extend the window (signal Extend): {{\"by\": \"{grant.Person}\", \"until\": \"<new end, ISO with offset>\", \"code\": \"<{extend} code>\"}}");
        }
        lines.Add(string.Empty);
        lines.Add("Do not forward these codes: anyone holding one can cast your vote for this window.");
        return string.Join('\n', lines);
    }
}
