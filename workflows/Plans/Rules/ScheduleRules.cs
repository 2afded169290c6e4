namespace MaintenanceWorkflows.Workflows.Plans;

/// <summary>Derives the window's timers, approval requirements and notice routing. No clock, no I/O.</summary>
public static class ScheduleRules
{
    public static WindowSchedule Derive(MaintenancePlan plan, MaintenancePolicy policy, DateTimeOffset scheduledAt)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(policy);
        var typePolicy = policy.Types.For(plan.Type);
        var start = plan.Window.Start;

        var noticeAt = Max(start - typePolicy.Notice, scheduledAt);
        var reminders = typePolicy.Reminders
            .Select(r => start - r)
            .Where(t => t > noticeAt && t < start)
            .Distinct()
            .Order()
            .ToList();

        var rule = typePolicy.Approval;
        var deadline = ApprovalDeadline(rule, start, scheduledAt);
        DateTimeOffset? escalation = rule.EscalateAfter is { } after && scheduledAt + after < deadline ? scheduledAt + after : null;

        return new WindowSchedule
        {
            ScheduledAt = scheduledAt,
            WindowStart = start,
            WindowEnd = plan.Window.End,
            LatestStart = Min(start + typePolicy.StartGrace, plan.Window.End),
            NoticeRequired = typePolicy.NoticeRequired && typePolicy.Notice > TimeSpan.Zero,
            Rollback = policy.Rollback,
            NoticeAt = noticeAt,
            NoticeImmediately = noticeAt <= scheduledAt,
            Reminders = reminders,
            ApprovalRequestAt = scheduledAt,
            ApprovalDeadline = deadline,
            EscalationAt = escalation,
            RequiredApprovals = rule.Required,
            EligibleApprovers = EligibleApprovers(plan, policy),
            Gates = Gates(plan, policy),
            Requester = plan.Requester,
            RequesterMayApprove = policy.Approvals.RequesterMayApprove,
            Routes = Routes(plan, policy),
            Overrun = policy.Overrun,
            Verification = plan.Verification ?? policy.Verification,
        };
    }

    public static DateTimeOffset ApprovalDeadline(TypeApprovalRule rule, DateTimeOffset start, DateTimeOffset requestedAt)
    {
        ArgumentNullException.ThrowIfNull(rule);
        if (rule.DeadlineBeforeStart is { } before)
        {
            return start - before;
        }

        return rule.DeadlineAfterRequest is { } afterRequest ? requestedAt + afterRequest : start;
    }

    /// <summary>Approvers for the plan's type, plus gate and freeze-override approvers; the requester only when allowed.</summary>
    public static IReadOnlyList<string> EligibleApprovers(MaintenancePlan plan, MaintenancePolicy policy)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(policy);
        var known = policy.Approvals.Approvers.Select(a => a.Id).ToList();
        var typeApprovers = policy.Types.For(plan.Type).Approval.Approvers;
        var ids = new List<string>(typeApprovers.Count > 0 ? typeApprovers : known);
        ids.AddRange(Gates(plan, policy).SelectMany(g => g.Approvers));
        if (plan.FreezeOverride is { } freezeOverride)
        {
            ids.Add(freezeOverride.Approver);
        }

        return ids
            .Where(id => known.Contains(id, StringComparer.OrdinalIgnoreCase))
            .Where(id => policy.Approvals.RequesterMayApprove || !SameId(id, plan.Requester))
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .ToList();
    }

    public static IReadOnlyList<RequiredGate> Gates(MaintenancePlan plan, MaintenancePolicy policy)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(policy);
        var stepTypes = plan.Steps.Select(s => s.StepType).ToHashSet(StringComparer.Ordinal);
        var gates = policy.Approvals.Gates
            .Where(g => stepTypes.Contains(g.StepType))
            .Select(g => new RequiredGate
            {
                Id = g.Id,
                Approvers = g.Approvers,
                Reason = g.Reason ?? $"steps of type {g.StepType} need approval from {string.Join(" or ", g.Approvers)}",
            })
            .ToList();
        if (plan.FreezeOverride is { } freezeOverride)
        {
            gates.Add(new RequiredGate
            {
                Id = $"freeze-override:{freezeOverride.Freeze}",
                Approvers = [freezeOverride.Approver],
                Reason = $"the window overrides change freeze '{freezeOverride.Freeze}': {freezeOverride.Reason}",
            });
        }

        return gates;
    }

    /// <summary>Customer-facing kinds use the type's channels (all of them for emergencies) plus the plan's extras.</summary>
    public static IReadOnlyList<NoticeRoute> Routes(MaintenancePlan plan, MaintenancePolicy policy)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(policy);
        var typePolicy = policy.Types.For(plan.Type);
        var customer = (typePolicy.AllChannels ? policy.Channels.Select(c => c.Name) : typePolicy.Channels)
            .Concat(plan.Notify.Channels)
            .Distinct(StringComparer.Ordinal)
            .ToList();
        var approvers = policy.Approvals.Channels.ToList();
        // Progress goes out once per rollout wave: the status page and chat carry it, mailing lists do not.
        var progress = customer.Where(c => policy.Channels.FirstOrDefault(d => d.Name == c)?.Kind is ChannelKind.StatusPage or ChannelKind.Chat).ToList();
        var escalation = policy.Approvals.EscalationChannels.Count > 0 ? policy.Approvals.EscalationChannels.ToList() : approvers;
        return Enum.GetValues<NoticeKind>()
            .Select(kind => new NoticeRoute
            {
                Kind = kind,
                Channels = kind switch
                {
                    NoticeKind.ApprovalRequest => approvers,
                    NoticeKind.Escalation => escalation,
                    NoticeKind.Progress => progress,
                    _ => customer,
                },
            })
            .ToList();
    }

    internal static bool SameId(string? a, string? b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a >= b ? a : b;

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a <= b ? a : b;
}
