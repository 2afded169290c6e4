using MaintenanceWorkflows.Workflows.Plans;

namespace MaintenanceWorkflows.Activities.Notifications;

/// <summary>
/// Sample models the renderer checks its templates against at load: one with every field set and every check
/// passing, one with failures and leftovers, and one with every optional field missing.
/// </summary>
internal static class NoticeSamples
{
    private static readonly DateTimeOffset Start = new(2027, 2, 9, 10, 0, 0, TimeSpan.Zero);

    public static IEnumerable<(string Label, Func<NoticeKind, NoticeModel> Model)> All()
    {
        var policy = Policy();
        var full = FullPlan();
        var sparse = SparsePlan();
        yield return ("full", kind => NoticeModel.Create(full, policy, kind, Facts(passed: true)));
        yield return ("failing", kind => NoticeModel.Create(full, policy, kind, Facts(passed: false)));
        yield return ("sparse", kind => NoticeModel.Create(sparse, policy with { Organization = new OrganizationInfo { Name = "Org", Sender = "Ops" } }, kind, new NoticeFacts()));
    }

    private static NoticeFacts Facts(bool passed) => new()
    {
        At = Start,
        StartedAt = Start,
        CompletedAt = Start.AddMinutes(8),
        Duration = TimeSpan.FromMinutes(8),
        Reason = "sample reason",
        NewEnd = Start.AddMinutes(60),
        NewStart = Start.AddDays(2),
        Verification =
        [
            new VerificationLine { Name = "Lambda alias parity", Passed = true, Detail = "prod -> 40" },
            new VerificationLine { Name = "Route health", Passed = passed, Detail = passed ? null : "/beak/metrics 502" },
        ],
        RolledBack = passed ? [] : ["Point the prod alias at v40"],
        NotUndone = passed ? [] : ["Schema migration"],
        ApprovedBy = ["ops-lead"],
        ApprovalsMissing = 1,
        ApprovalDeadline = Start.AddHours(-1),
        ReminderNumber = 1,
        Rollout = new RolloutNoticeFacts { Step = "Patch the Proxmox hosts", Wave = 3, Waves = 8, WaveName = "batch 2", WaveHosts = 1, Hosts = 8, Done = 2, Failed = 0 },
    };

    private static MaintenancePolicy Policy() => new()
    {
        Organization = new OrganizationInfo { Name = "Org", Sender = "Org Ops", SenderTitle = "Operations", StatusPageUrl = "https://status.example", SupportEmail = "ops@example", AuditTrailUrl = "https://audit.example" },
        TimeZone = "America/Los_Angeles",
        Types = new TypePolicies
        {
            Routine = new TypePolicy { Notice = TimeSpan.FromHours(24), Channels = ["status"], Approval = new TypeApprovalRule { Required = 1, DeadlineBeforeStart = TimeSpan.FromHours(1) } },
            Urgent = new TypePolicy { Notice = TimeSpan.FromHours(4), Channels = ["status"], Approval = new TypeApprovalRule { Required = 1 } },
            Emergency = new TypePolicy { Notice = TimeSpan.Zero, AllChannels = true, Approval = new TypeApprovalRule { Required = 1 } },
        },
        Channels = [new ChannelDefinition { Name = "status", Kind = ChannelKind.StatusPage }],
        Approvals = new ApprovalPolicy
        {
            Approvers = [new Approver { Id = "ops-lead" }, new Approver { Id = "T-JOSH" }],
            Gates = [new ApprovalGate { Id = "gate", StepType = StepTypes.LambdaPromote, Approvers = ["T-JOSH"], Reason = "gate reason" }],
            EscalateTo = "engineering management",
        },
        IncidentLevels = [new IncidentLevel { Level = "P1", Definition = "Service down", ResponseTime = "15 min", Escalation = "Immediate page" }],
    };

    private static MaintenancePlan FullPlan() => new()
    {
        Id = "sample",
        Title = "Sample window",
        Type = MaintenanceType.Routine,
        Window = new MaintenanceWindow { Start = Start, End = Start.AddMinutes(30), TimeZone = "America/Los_Angeles" },
        Requester = "someone",
        Scope = "scope",
        Reason = "reason",
        Changes = ["change"],
        Tags = ["TAG"],
        Incident = new IncidentReference { Level = "P1", Id = "INC-1", Summary = "summary" },
        Impact = new ImpactAssessment
        {
            Summary = "impact",
            Downtime = true,
            ExpectedDowntime = TimeSpan.FromMinutes(5),
            Api = "api",
            Web = "web",
            Background = "background",
            Interruptions = "interruptions",
            WhatToExpect = ["expect"],
            UserActions = ["action"],
            Preparation = new PreparationChecklist { Before = ["before"], During = ["during"], After = ["after"] },
        },
        Systems = [new AffectedSystem { Name = "primary", Team = "team" }, new AffectedSystem { Name = "secondary", Role = SystemRole.Secondary }],
        Activities = [new ActivityGroup { Category = "category", Items = ["item"] }],
        Steps =
        [
            new LambdaPromoteStep { Id = "promote", Title = "promote", Function = "f", Alias = "prod", Version = "40" },
            new CommandStep { Id = "cmd", Title = "cmd", Command = "c", Rollback = new CommandStep { Id = "undo", Title = "undo", Command = "u" } },
        ],
        Checks = [new HttpStatusCheck { Id = "route", Title = "route", Url = "https://x.example/" }],
        Rollback = new RollbackPlan
        {
            EstimatedDuration = TimeSpan.FromMinutes(10),
            Procedures = ["procedure"],
            Triggers = new RollbackTriggers { AvailabilityBelowPercent = 99.5, ErrorRateAbovePercent = 2, LatencyAbove = TimeSpan.FromMilliseconds(1500), Manual = ["manual"] },
        },
        Verification = new VerificationSettings { Soak = TimeSpan.FromMinutes(10), Interval = TimeSpan.FromMinutes(1) },
        Notify = new NoticeSettings { StatusPageUrl = "https://status.example", DashboardUrl = "https://dash.example", ChatChannel = "#maint", AuditTrailUrl = "https://audit.example" },
        Contacts = new ContactInfo
        {
            Primary = new Contact { Name = "p", Email = "p@example", Phone = "1" },
            Secondary = new Contact { Name = "s", Email = "s@example", Phone = "2" },
            Emergency = new Contact { Name = "e", Email = "e@example", Phone = "3" },
            SupportEmail = "support@example",
            SupportPhone = "4",
            OnCall = "oncall",
            EmergencyHotline = "5",
            Team = [new TeamMember { Role = "Technical Lead", Name = "t" }],
            Escalation = new EscalationInfo { After = TimeSpan.FromMinutes(30), To = "management", Critical = "CTO", ReviewWithin = TimeSpan.FromHours(24) },
        },
        Checklist =
        [
            new ChecklistItem { Id = "b", Text = "before", Phase = ChecklistPhase.Before, Owner = "owner" },
            new ChecklistItem { Id = "d", Text = "during", Phase = ChecklistPhase.During, Check = "route" },
            new ChecklistItem { Id = "a", Text = "after", Phase = ChecklistPhase.After, Blocking = false },
        ],
        Resources = [new ResourceLink { Title = "docs", Url = "https://docs.example" }],
    };

    private static MaintenancePlan SparsePlan() => new()
    {
        Id = "sparse",
        Title = "Sparse window",
        Type = MaintenanceType.Routine,
        Window = new MaintenanceWindow { Start = Start, End = Start.AddMinutes(30), TimeZone = "UTC" },
        Requester = "someone",
        Scope = "scope",
        Impact = new ImpactAssessment { Summary = "impact" },
        Steps = [new ManualStep { Id = "m", Title = "m", Instructions = "do it" }],
    };
}
