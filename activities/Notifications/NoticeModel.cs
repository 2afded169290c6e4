using System.Globalization;
using MaintenanceWorkflows.Workflows.Plans;

namespace MaintenanceWorkflows.Activities.Notifications;

/// <summary>
/// What a notice template sees (members are snake_case in templates: window.start_utc, facts.verification...).
/// Times are preformatted in UTC and in the window's zone, so templates never do date math.
/// </summary>
public sealed record NoticeModel
{
    public required string Kind { get; init; }

    public required OrganizationInfo Org { get; init; }

    public required PlanView Plan { get; init; }

    public required WindowView Window { get; init; }

    public required ImpactView Impact { get; init; }

    public required SystemsView Systems { get; init; }

    public required IReadOnlyList<ActivityGroup> Activities { get; init; }

    public required IReadOnlyList<StepView> Steps { get; init; }

    public required IReadOnlyList<CheckView> Checks { get; init; }

    public required RollbackView Rollback { get; init; }

    public required ChecklistView Checklist { get; init; }

    public required ContactsView Contacts { get; init; }

    public required LinksView Links { get; init; }

    public required IReadOnlyList<ResourceLink> Resources { get; init; }

    public IncidentView? Incident { get; init; }

    public required ApprovalView Approval { get; init; }

    public required FactsView Facts { get; init; }

    /// <summary>
    /// The view of a plan before it runs (previews, samples): <paramref name="schedule"/> supplies the approval
    /// details; null derives it as if scheduled at the notice time.
    /// </summary>
    public static NoticeModel Create(MaintenancePlan plan, MaintenancePolicy policy, NoticeKind kind, NoticeFacts? facts = null, WindowSchedule? schedule = null)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(policy);
        schedule ??= ScheduleRules.Derive(plan, policy, facts?.At ?? plan.Window.Start - policy.Types.For(plan.Type).Notice);
        return Create(plan, NoticePolicy.For(plan, policy, schedule), kind, facts);
    }

    /// <summary>The view of a plan for one notice of a running window, from what the workflow sent.</summary>
    public static NoticeModel Create(MaintenancePlan plan, NoticePolicy policy, NoticeKind kind, NoticeFacts? facts = null)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(policy);
        facts ??= new NoticeFacts();
        var schedule = policy.Schedule;
        var zone = plan.Window.TimeZone;
        var level = policy.IncidentLevel;
        var verification = facts.Verification
            .Select(v => new VerificationView { Name = v.Name, Passed = v.Passed, Detail = v.Detail, Mark = v.Passed ? "✅" : "❌", Status = v.Passed ? "Verified" : "FAILED" })
            .ToList();
        var triggers = plan.Rollback.Triggers;
        var verifySettings = plan.Verification ?? policy.Verification;

        return new NoticeModel
        {
            Kind = kind.ToName(),
            // The organisation as the policy gives it, with the links a plan may override.
            Org = policy.Organization with
            {
                StatusPageUrl = plan.Notify.StatusPageUrl ?? policy.Organization.StatusPageUrl,
                SupportEmail = plan.Contacts.SupportEmail ?? policy.Organization.SupportEmail,
                AuditTrailUrl = plan.Notify.AuditTrailUrl ?? policy.Organization.AuditTrailUrl,
            },
            Plan = new PlanView
            {
                Id = plan.Id,
                Title = plan.Title,
                Type = plan.Type.ToString(),
                Priority = plan.Priority.ToString(),
                Requester = plan.Requester,
                Scope = plan.Scope,
                Reason = plan.Reason,
                Changes = plan.Changes,
                Tags = plan.Tags,
            },
            Window = WindowView.Create(plan.Window.Start, plan.Window.End, zone),
            Impact = new ImpactView
            {
                Summary = plan.Impact.Summary,
                Downtime = plan.Impact.Downtime,
                ExpectedDowntime = Span(plan.Impact.ExpectedDowntime),
                Api = plan.Impact.Api,
                Web = plan.Impact.Web,
                Background = plan.Impact.Background,
                Interruptions = plan.Impact.Interruptions,
                WhatToExpect = plan.Impact.WhatToExpect,
                UserActions = plan.Impact.UserActions,
                Preparation = plan.Impact.Preparation,
            },
            Systems = new SystemsView
            {
                Primary = plan.Systems.Where(s => s.Role == SystemRole.Primary).ToList(),
                Secondary = plan.Systems.Where(s => s.Role == SystemRole.Secondary).ToList(),
            },
            Activities = plan.Activities,
            Steps = plan.Steps.Select(s => new StepView { Id = s.Id, Title = s.Title, Type = s.StepType, Rollback = s.Rollback?.Title ?? (s.HasBuiltInCompensation ? "restore the previous alias version" : null) }).ToList(),
            Checks = plan.Checks.Select(c => new CheckView { Id = c.Id, Title = c.Title, Type = c.CheckType, When = c.When.ToString().ToLowerInvariant(), Blocking = c.Blocking }).ToList(),
            Rollback = new RollbackView
            {
                EstimatedDuration = Span(plan.Rollback.EstimatedDuration),
                Procedures = plan.Rollback.Procedures,
                Availability = triggers.AvailabilityBelowPercent is { } a ? $"{a.ToString(CultureInfo.InvariantCulture)}%" : null,
                ErrorRate = triggers.ErrorRateAbovePercent is { } e ? $"{e.ToString(CultureInfo.InvariantCulture)}%" : null,
                Latency = triggers.LatencyAbove is { } l ? $"{Span(l)} (p{triggers.LatencyPercentile})" : null,
                BlockingCheckFailures = triggers.BlockingCheckFailures,
                Manual = triggers.Manual,
                Soak = Span(verifySettings.Soak)!,
                Interval = Span(verifySettings.Interval)!,
            },
            Checklist = new ChecklistView
            {
                Before = Items(plan, ChecklistPhase.Before),
                During = Items(plan, ChecklistPhase.During),
                After = Items(plan, ChecklistPhase.After),
            },
            Contacts = new ContactsView
            {
                Primary = plan.Contacts.Primary,
                Secondary = plan.Contacts.Secondary,
                Emergency = plan.Contacts.Emergency,
                SupportEmail = plan.Contacts.SupportEmail ?? policy.Organization.SupportEmail,
                SupportPhone = plan.Contacts.SupportPhone,
                OnCall = plan.Contacts.OnCall,
                EmergencyHotline = plan.Contacts.EmergencyHotline,
                Team = plan.Contacts.Team,
                EscalationAfter = Span(plan.Contacts.Escalation.After),
                EscalationTo = plan.Contacts.Escalation.To,
                EscalationCritical = plan.Contacts.Escalation.Critical,
                ReviewWithin = Span(plan.Contacts.Escalation.ReviewWithin),
            },
            Links = new LinksView
            {
                StatusPage = plan.Notify.StatusPageUrl ?? policy.Organization.StatusPageUrl,
                Dashboard = plan.Notify.DashboardUrl,
                ChatChannel = plan.Notify.ChatChannel,
                AuditTrail = plan.Notify.AuditTrailUrl ?? policy.Organization.AuditTrailUrl,
            },
            Resources = plan.Resources,
            Incident = plan.Incident is null
                ? null
                : new IncidentView
                {
                    Level = plan.Incident.Level,
                    Id = plan.Incident.Id,
                    Summary = plan.Incident.Summary,
                    Definition = level?.Definition,
                    ResponseTime = level?.ResponseTime,
                    Escalation = level?.Escalation,
                },
            Approval = new ApprovalView
            {
                Required = schedule.RequiredApprovals,
                Eligible = schedule.EligibleApprovers,
                Gates = schedule.Gates.Select(g => $"{g.Id}: {string.Join(" or ", g.Approvers)} - {g.Reason}").ToList(),
                DeadlineUtc = WindowView.Utc(facts.ApprovalDeadline ?? schedule.ApprovalDeadline),
                DeadlineLocal = WindowView.Local(facts.ApprovalDeadline ?? schedule.ApprovalDeadline, zone),
                ApprovedBy = facts.ApprovedBy,
                Missing = facts.ApprovalsMissing ?? schedule.RequiredApprovals,
                EscalateTo = policy.EscalateTo,
            },
            Facts = new FactsView
            {
                AboutApproval = facts.ApprovalsMissing is not null,
                AtUtc = facts.At is { } at ? WindowView.Utc(at) : null,
                StartedUtc = facts.StartedAt is { } started ? WindowView.Utc(started) : null,
                CompletedUtc = facts.CompletedAt is { } completed ? WindowView.Utc(completed) : null,
                CompletedLocal = facts.CompletedAt is { } completedLocal ? WindowView.Local(completedLocal, zone) : null,
                Duration = Span(facts.Duration),
                DurationMinutes = facts.Duration is { } d ? (int)Math.Round(d.TotalMinutes, MidpointRounding.AwayFromZero) : null,
                Reason = facts.Reason,
                NewEndUtc = facts.NewEnd is { } newEnd ? WindowView.Utc(newEnd) : null,
                NewEndLocal = facts.NewEnd is { } newEndLocal ? WindowView.Local(newEndLocal, zone) : null,
                NewStartUtc = facts.NewStart is { } newStart ? WindowView.Utc(newStart) : null,
                NewStartLocal = facts.NewStart is { } newStartLocal ? WindowView.Local(newStartLocal, zone) : null,
                Verification = verification,
                AllPassed = verification.All(v => v.Passed),
                RolledBack = facts.RolledBack,
                NotUndone = facts.NotUndone,
                ReminderNumber = facts.ReminderNumber,
                Rollout = facts.Rollout,
            },
        };
    }

    private static IReadOnlyList<ChecklistItemView> Items(MaintenancePlan plan, ChecklistPhase phase) =>
        plan.Checklist.Where(i => i.Phase == phase)
            .Select(i => new ChecklistItemView { Id = i.Id, Text = i.Text, Automated = i.IsAutomated, Blocking = i.Blocking, Owner = i.Owner })
            .ToList();

    internal static string? Span(TimeSpan? span)
    {
        if (span is not { } s)
        {
            return null;
        }

        // Sub-10-second limits read best in milliseconds, as the runbooks write them ("2,000 ms").
        if (s < TimeSpan.FromSeconds(10))
        {
            return $"{s.TotalMilliseconds.ToString("N0", CultureInfo.InvariantCulture)} ms";
        }

        var parts = new List<string>();
        if ((int)s.TotalHours > 0)
        {
            parts.Add($"{(int)s.TotalHours} h");
        }

        if (s.Minutes > 0)
        {
            parts.Add($"{s.Minutes} min");
        }

        if (s.Seconds > 0)
        {
            parts.Add($"{s.Seconds} s");
        }

        return string.Join(" ", parts);
    }
}

public sealed record PlanView
{
    public required string Id { get; init; }

    public required string Title { get; init; }

    public required string Type { get; init; }

    public required string Priority { get; init; }

    public required string Requester { get; init; }

    public required string Scope { get; init; }

    public string? Reason { get; init; }

    public required IReadOnlyList<string> Changes { get; init; }

    public required IReadOnlyList<string> Tags { get; init; }
}

public sealed record WindowView
{
    public required string StartUtc { get; init; }

    public required string EndUtc { get; init; }

    /// <summary>e.g. 2027-02-09 02:00 PST.</summary>
    public required string StartLocal { get; init; }

    public required string EndLocal { get; init; }

    /// <summary>Local date, e.g. Tuesday 9 February 2027.</summary>
    public required string DateLocal { get; init; }

    public required string StartTimeLocal { get; init; }

    public required string EndTimeLocal { get; init; }

    /// <summary>Zone abbreviation in force at the start, e.g. PST or PDT.</summary>
    public required string ZoneAbbreviation { get; init; }

    public required string TimeZone { get; init; }

    public required string Duration { get; init; }

    public static WindowView Create(DateTimeOffset start, DateTimeOffset end, string zone)
    {
        var startLocal = ZoneMath.ToLocal(start, zone);
        var endLocal = ZoneMath.ToLocal(end, zone);
        return new WindowView
        {
            StartUtc = Utc(start),
            EndUtc = Utc(end),
            StartLocal = Local(start, zone),
            EndLocal = Local(end, zone),
            DateLocal = startLocal.ToString("dddd d MMMM yyyy", CultureInfo.InvariantCulture),
            StartTimeLocal = startLocal.ToString("HH:mm", CultureInfo.InvariantCulture),
            EndTimeLocal = endLocal.ToString("HH:mm", CultureInfo.InvariantCulture),
            ZoneAbbreviation = Abbreviation(start, zone),
            TimeZone = zone,
            Duration = NoticeModel.Span(end - start) ?? "0 min",
        };
    }

    public static string Utc(DateTimeOffset instant) => ZoneMath.FormatUtc(instant);

    public static string Local(DateTimeOffset instant, string zone) =>
        $"{ZoneMath.ToLocal(instant, zone).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} {Abbreviation(instant, zone)}";

    private static string Abbreviation(DateTimeOffset instant, string zone) =>
        NodaTime.Instant.FromDateTimeOffset(instant).InZone(ZoneMath.Zone(zone)).GetZoneInterval().Name;
}

public sealed record ImpactView
{
    public required string Summary { get; init; }

    public required bool Downtime { get; init; }

    public string? ExpectedDowntime { get; init; }

    public string? Api { get; init; }

    public string? Web { get; init; }

    public string? Background { get; init; }

    public string? Interruptions { get; init; }

    public required IReadOnlyList<string> WhatToExpect { get; init; }

    public required IReadOnlyList<string> UserActions { get; init; }

    public required PreparationChecklist Preparation { get; init; }
}

public sealed record SystemsView
{
    public required IReadOnlyList<AffectedSystem> Primary { get; init; }

    public required IReadOnlyList<AffectedSystem> Secondary { get; init; }
}

public sealed record StepView
{
    public required string Id { get; init; }

    public required string Title { get; init; }

    public required string Type { get; init; }

    public string? Rollback { get; init; }
}

public sealed record CheckView
{
    public required string Id { get; init; }

    public required string Title { get; init; }

    public required string Type { get; init; }

    public required string When { get; init; }

    public required bool Blocking { get; init; }
}

public sealed record RollbackView
{
    public string? EstimatedDuration { get; init; }

    public required IReadOnlyList<string> Procedures { get; init; }

    public string? Availability { get; init; }

    public string? ErrorRate { get; init; }

    public string? Latency { get; init; }

    public required int BlockingCheckFailures { get; init; }

    public required IReadOnlyList<string> Manual { get; init; }

    public required string Soak { get; init; }

    public required string Interval { get; init; }
}

public sealed record ChecklistView
{
    public required IReadOnlyList<ChecklistItemView> Before { get; init; }

    public required IReadOnlyList<ChecklistItemView> During { get; init; }

    public required IReadOnlyList<ChecklistItemView> After { get; init; }
}

public sealed record ChecklistItemView
{
    public required string Id { get; init; }

    public required string Text { get; init; }

    public required bool Automated { get; init; }

    public required bool Blocking { get; init; }

    public string? Owner { get; init; }
}

public sealed record ContactsView
{
    public Contact? Primary { get; init; }

    public Contact? Secondary { get; init; }

    public Contact? Emergency { get; init; }

    public string? SupportEmail { get; init; }

    public string? SupportPhone { get; init; }

    public string? OnCall { get; init; }

    public string? EmergencyHotline { get; init; }

    public required IReadOnlyList<TeamMember> Team { get; init; }

    public string? EscalationAfter { get; init; }

    public string? EscalationTo { get; init; }

    public string? EscalationCritical { get; init; }

    public string? ReviewWithin { get; init; }
}

public sealed record LinksView
{
    public string? StatusPage { get; init; }

    public string? Dashboard { get; init; }

    public string? ChatChannel { get; init; }

    public string? AuditTrail { get; init; }
}

public sealed record IncidentView
{
    public required string Level { get; init; }

    public string? Id { get; init; }

    public string? Summary { get; init; }

    public string? Definition { get; init; }

    public string? ResponseTime { get; init; }

    public string? Escalation { get; init; }
}

public sealed record ApprovalView
{
    public required int Required { get; init; }

    public required IReadOnlyList<string> Eligible { get; init; }

    public required IReadOnlyList<string> Gates { get; init; }

    public required string DeadlineUtc { get; init; }

    public required string DeadlineLocal { get; init; }

    public required IReadOnlyList<string> ApprovedBy { get; init; }

    public required int Missing { get; init; }

    public string? EscalateTo { get; init; }
}

public sealed record FactsView
{
    /// <summary>True when the notice is about missing approvals; an escalation without it is about the work going wrong.</summary>
    public required bool AboutApproval { get; init; }

    public string? AtUtc { get; init; }

    public string? StartedUtc { get; init; }

    public string? CompletedUtc { get; init; }

    public string? CompletedLocal { get; init; }

    public string? Duration { get; init; }

    public int? DurationMinutes { get; init; }

    public string? Reason { get; init; }

    public string? NewEndUtc { get; init; }

    public string? NewEndLocal { get; init; }

    public string? NewStartUtc { get; init; }

    public string? NewStartLocal { get; init; }

    public required IReadOnlyList<VerificationView> Verification { get; init; }

    public required bool AllPassed { get; init; }

    public required IReadOnlyList<string> RolledBack { get; init; }

    public required IReadOnlyList<string> NotUndone { get; init; }

    public int? ReminderNumber { get; init; }

    /// <summary>The rollout wave that started (progress notices); null otherwise.</summary>
    public RolloutNoticeFacts? Rollout { get; init; }
}

public sealed record VerificationView
{
    public required string Name { get; init; }

    public required bool Passed { get; init; }

    public string? Detail { get; init; }

    public required string Mark { get; init; }

    public required string Status { get; init; }
}
