using YamlDotNet.RepresentationModel;

namespace MaintenanceWorkflows.Workflows.Plans;

/// <summary>YAML nodes to <see cref="MaintenancePolicy"/>.</summary>
internal static class PolicyMapper
{
    public static MaintenancePolicy? Read(YamlSource s, YamlNode root)
    {
        var m = MapReader.Of(s, root, string.Empty);
        if (m is null)
        {
            return null;
        }

        var organization = m.RequiredRef("organization", "name, sender, statusPageUrl, supportEmail", (n, p) => ReadOrganization(s, n, p));
        var zone = m.RequiredRef("timeZone", "an IANA zone id like America/Los_Angeles", s.Zone);
        var cadence = m.List("cadence", (n, p) => ReadCadence(s, n, p));
        var types = m.RequiredRef("types", "routine, urgent and emergency rules", (n, p) => ReadTypes(s, n, p));
        var channels = m.List("channels", (n, p) => ReadChannel(s, n, p));
        var approvals = m.RequiredRef("approvals", "approvers, gates, channels", (n, p) => ReadApprovals(s, n, p));
        var freezes = m.List("freezes", (n, p) => ReadFreeze(s, n, p, zone));
        var blackouts = m.List("blackouts", (n, p) => ReadBlackout(s, n, p));
        var levels = m.List("incidentLevels", (n, p) => ReadIncidentLevel(s, n, p));
        var ownership = m.List("ownership", (n, p) => ReadOwnership(s, n, p));
        var overrun = m.OptionalRef("overrun", (n, p) => ReadOverrun(s, n, p));
        var rollback = m.OptionalRef("rollback", (n, p) => ReadRollback(s, n, p));
        var verification = m.OptionalRef("verification", (n, p) => PlanMapper.ReadVerification(s, n, p));
        m.Finish();

        if (organization is null || zone is null || types is null || approvals is null)
        {
            return null;
        }

        var policy = new MaintenancePolicy
        {
            Organization = organization,
            TimeZone = zone,
            Cadence = cadence,
            Types = types,
            Channels = channels,
            Approvals = approvals,
            Freezes = freezes,
            Blackouts = blackouts,
            IncidentLevels = levels,
            Ownership = ownership,
            Overrun = overrun ?? new OverrunPolicy(),
            Rollback = rollback ?? new RollbackPolicy(),
        };
        return verification is null ? policy : policy with { Verification = verification };
    }

    private static OrganizationInfo? ReadOrganization(YamlSource s, YamlNode node, string path)
    {
        var m = MapReader.Of(s, node, path);
        if (m is null)
        {
            return null;
        }

        var name = m.RequiredString("name", "the organisation's name");
        var sender = m.RequiredString("sender", "the signature on notices, e.g. Duck Galaxy Ops");
        var senderTitle = m.String("senderTitle");
        var statusPage = m.String("statusPageUrl");
        var support = m.String("supportEmail");
        var audit = m.String("auditTrailUrl");
        m.Finish();
        return name is null || sender is null
            ? null
            : new OrganizationInfo { Name = name, Sender = sender, SenderTitle = senderTitle, StatusPageUrl = statusPage, SupportEmail = support, AuditTrailUrl = audit };
    }

    private static CadenceSlot? ReadCadence(YamlSource s, YamlNode node, string path)
    {
        var m = MapReader.Of(s, node, path);
        if (m is null)
        {
            return null;
        }

        // Non-short-circuit: every key must be asked for, so that Finish lists all five as allowed.
        var daysForm = m.Has("days") | m.Has("start") | m.Has("end");
        var cronForm = m.Has("cron") | m.Has("duration");
        CadenceSlot? slot = null;
        if (daysForm && cronForm)
        {
            var cronKey = m.Has("cron") ? "cron" : "duration";
            s.Error(m.Raw(cronKey), m.Child(cronKey), "a slot is either days, start and end or cron and duration, not both; keep one form.");
        }
        else if (cronForm)
        {
            slot = ReadCronSlot(s, m);
        }
        else if (daysForm)
        {
            slot = ReadDaysSlot(s, m);
        }
        else
        {
            s.Error(node, path, $"a slot needs days, start and end (e.g. days: [Tuesday, Thursday], start: \"02:00\", end: \"04:00\") or cron and duration (e.g. cron: \"0 2 * * TUE,THU\", duration: 2h).");
        }

        m.Finish();
        return slot;
    }

    private static CadenceSlot? ReadDaysSlot(YamlSource s, MapReader m)
    {
        var days = m.Values("days", s.Enum<Weekday>);
        if (!m.Has("days"))
        {
            m.Missing("days", "weekdays like [Tuesday, Thursday]");
        }

        var start = m.Required("start", "a time of day like 02:00", s.TimeOfDay);
        var end = m.Required("end", "a time of day like 04:00", s.TimeOfDay);
        return start is null || end is null ? null : new CadenceSlot { Days = days, Start = start, End = end };
    }

    private static CadenceSlot? ReadCronSlot(YamlSource s, MapReader m)
    {
        var cron = m.RequiredRef("cron", $"the slots' local starts as {CronExpression.Hint}", s.Cron);
        var duration = m.Required("duration", "the slot's length, e.g. 2h", s.Duration);
        if (duration is { } d && d <= TimeSpan.Zero)
        {
            s.Error(m.Raw("duration"), m.Child("duration"), $"expected a positive duration like 2h (the slot's length), found {YamlValues.FormatDuration(d)}.");
            return null;
        }

        return cron is null || duration is null ? null : new CadenceSlot { Cron = cron, Duration = duration };
    }

    private static TypePolicies? ReadTypes(YamlSource s, YamlNode node, string path)
    {
        var m = MapReader.Of(s, node, path);
        if (m is null)
        {
            return null;
        }

        const string Expected = "notice, channels, approval";
        var routine = m.RequiredRef("routine", Expected, (n, p) => ReadType(s, n, p));
        var urgent = m.RequiredRef("urgent", Expected, (n, p) => ReadType(s, n, p));
        var emergency = m.RequiredRef("emergency", Expected, (n, p) => ReadType(s, n, p));
        m.Finish();
        return routine is null || urgent is null || emergency is null ? null : new TypePolicies { Routine = routine, Urgent = urgent, Emergency = emergency };
    }

    private static TypePolicy? ReadType(YamlSource s, YamlNode node, string path)
    {
        var m = MapReader.Of(s, node, path);
        if (m is null)
        {
            return null;
        }

        var notice = m.Required("notice", YamlValues.DurationHint, s.Duration);
        var channels = m.Strings("channels");
        var all = m.Optional("allChannels", s.Bool);
        var cadence = m.Optional("requiresCadence", s.Bool);
        var reminders = m.Values("reminders", s.Duration);
        var maxDuration = m.Optional("maxDuration", s.Duration);
        var startGrace = m.Optional("startGrace", s.Duration);
        var noticeRequired = m.Optional("noticeRequired", s.Bool);
        var approval = m.RequiredRef("approval", "required, approvers, deadlineBeforeStart, escalateAfter, proof", (n, p) => ReadTypeApproval(s, n, p));
        m.Finish();
        return notice is null || approval is null
            ? null
            : new TypePolicy { Notice = notice.Value, Channels = channels, AllChannels = all ?? false, RequiresCadence = cadence ?? false, Reminders = reminders, MaxDuration = maxDuration, StartGrace = startGrace ?? TypePolicy.DefaultStartGrace, NoticeRequired = noticeRequired ?? true, Approval = approval };
    }

    private static TypeApprovalRule? ReadTypeApproval(YamlSource s, YamlNode node, string path)
    {
        var m = MapReader.Of(s, node, path);
        if (m is null)
        {
            return null;
        }

        var required = m.Required("required", "how many approvals, e.g. 1", s.Int);
        var approvers = m.Strings("approvers");
        var before = m.Optional("deadlineBeforeStart", s.Duration);
        var after = m.Optional("deadlineAfterRequest", s.Duration);
        var escalate = m.Optional("escalateAfter", s.Duration);
        var proof = m.Optional("proof", s.Enum<ProofMode>);
        m.Finish();
        return required is null
            ? null
            : new TypeApprovalRule
            {
                Required = required.Value,
                Approvers = approvers,
                DeadlineBeforeStart = before,
                DeadlineAfterRequest = after,
                EscalateAfter = escalate,
                Proof = proof ?? ProofMode.Code,
            };
    }

    private static ChannelDefinition? ReadChannel(YamlSource s, YamlNode node, string path)
    {
        var m = MapReader.Of(s, node, path);
        if (m is null)
        {
            return null;
        }

        var name = m.RequiredString("name", "a channel name the worker resolves, e.g. status-page");
        var kind = m.Required("kind", "email, chat or statusPage", s.Enum<ChannelKind>);
        var audience = m.String("audience");
        m.Finish();
        return name is null || kind is null ? null : new ChannelDefinition { Name = name, Kind = kind.Value, Audience = audience };
    }

    private static ApprovalPolicy? ReadApprovals(YamlSource s, YamlNode node, string path)
    {
        var m = MapReader.Of(s, node, path);
        if (m is null)
        {
            return null;
        }

        var result = new ApprovalPolicy
        {
            Approvers = m.List("approvers", (n, p) => ReadApprover(s, n, p)),
            Operators = m.List("operators", (n, p) => ReadApprover(s, n, p)),
            RequesterMayApprove = m.Optional("requesterMayApprove", s.Bool) ?? false,
            RequesterConfirms = m.Optional("requesterConfirms", s.Bool) ?? false,
            Gates = m.List("gates", (n, p) => ReadGate(s, n, p)),
            Channels = m.Strings("channels"),
            EscalationChannels = m.Strings("escalationChannels"),
            EscalateTo = m.String("escalateTo"),
        };
        m.Finish();
        return result;
    }

    private static Approver? ReadApprover(YamlSource s, YamlNode node, string path)
    {
        var m = MapReader.Of(s, node, path);
        if (m is null)
        {
            return null;
        }

        var id = m.RequiredString("id", "the approver's id, e.g. T-JOSH");
        var name = m.String("name");
        var email = m.String("email");
        var roles = m.Strings("roles");
        m.Finish();
        return id is null ? null : new Approver { Id = id, Name = name, Email = email, Roles = roles };
    }

    private static ApprovalGate? ReadGate(YamlSource s, YamlNode node, string path)
    {
        var m = MapReader.Of(s, node, path);
        if (m is null)
        {
            return null;
        }

        var id = m.RequiredString("id", "a slug naming the gate");
        var stepType = m.RequiredString("stepType", $"one of {string.Join(", ", StepTypes.All)}");
        var approvers = m.Strings("approvers");
        if (!m.Has("approvers"))
        {
            m.Missing("approvers", "approver ids, at least one of whom must approve");
        }

        var reason = m.String("reason");
        m.Finish();
        return id is null || stepType is null ? null : new ApprovalGate { Id = id, StepType = stepType, Approvers = approvers, Reason = reason };
    }

    private static FreezePeriod? ReadFreeze(YamlSource s, YamlNode node, string path, string? policyZone)
    {
        var m = MapReader.Of(s, node, path);
        if (m is null)
        {
            return null;
        }

        var id = m.RequiredString("id", "a slug naming the freeze");
        var zone = m.OptionalRef("timeZone", s.Zone) ?? policyZone;
        var start = m.Required("start", "a date and time", (n, p) => s.Instant(n, p, zone));
        var end = m.Required("end", "a date and time", (n, p) => s.Instant(n, p, zone));
        var reason = m.RequiredString("reason", "why changes are frozen");
        var appliesTo = m.Values("appliesTo", s.Enum<MaintenanceType>);
        var overrides = m.Strings("overrideApprovers");
        var hasAppliesTo = m.Has("appliesTo");
        m.Finish();
        if (id is null || start is null || end is null || reason is null)
        {
            return null;
        }

        var freeze = new FreezePeriod { Id = id, Start = start.Value, End = end.Value, Reason = reason, OverrideApprovers = overrides };
        return hasAppliesTo ? freeze with { AppliesTo = appliesTo } : freeze;
    }

    private static BlackoutJob? ReadBlackout(YamlSource s, YamlNode node, string path)
    {
        var m = MapReader.Of(s, node, path);
        if (m is null)
        {
            return null;
        }

        var id = m.RequiredString("id", "a slug naming the blackout");
        var job = m.RequiredString("job", "the job that must not be disturbed, e.g. PBS nightly backup");
        var days = m.Values("days", s.Enum<Weekday>);
        var daysOfMonth = m.Values("daysOfMonth", s.Int);
        var start = m.Required("start", "a time of day like 01:00", s.TimeOfDay);
        var end = m.Required("end", "a time of day like 03:00", s.TimeOfDay);
        var zone = m.OptionalRef("timeZone", s.Zone);
        var systems = m.Strings("systems");
        m.Finish();
        return id is null || job is null || start is null || end is null
            ? null
            : new BlackoutJob { Id = id, Job = job, Days = days, DaysOfMonth = daysOfMonth, Start = start.Value, End = end.Value, TimeZone = zone, Systems = systems };
    }

    private static IncidentLevel? ReadIncidentLevel(YamlSource s, YamlNode node, string path)
    {
        var m = MapReader.Of(s, node, path);
        if (m is null)
        {
            return null;
        }

        var level = m.RequiredString("level", "P1..P4");
        var definition = m.RequiredString("definition", "what the level means");
        var response = m.RequiredString("responseTime", "e.g. 15 min");
        var within = m.Optional("respondWithin", s.Duration);
        var escalation = m.RequiredString("escalation", "e.g. Immediate page");
        m.Finish();
        return level is null || definition is null || response is null || escalation is null
            ? null
            : new IncidentLevel { Level = level, Definition = definition, ResponseTime = response, RespondWithin = within, Escalation = escalation };
    }

    private static ComponentOwnership? ReadOwnership(YamlSource s, YamlNode node, string path)
    {
        var m = MapReader.Of(s, node, path);
        if (m is null)
        {
            return null;
        }

        var component = m.RequiredString("component", "e.g. Proxmox VE host");
        var owner = m.RequiredString("owner", "the team that patches it");
        var patching = m.Optional("patching", s.Enum<PatchMode>);
        var notes = m.String("notes");
        m.Finish();
        return component is null || owner is null ? null : new ComponentOwnership { Component = component, Owner = owner, Patching = patching ?? PatchMode.Restart, Notes = notes };
    }

    private static RollbackPolicy? ReadRollback(YamlSource s, YamlNode node, string path)
    {
        var m = MapReader.Of(s, node, path);
        if (m is null)
        {
            return null;
        }

        var deadline = m.Optional("deadline", s.Duration);
        var every = m.Optional("escalateEvery", s.Duration);
        m.Finish();
        var defaults = new RollbackPolicy();
        return new RollbackPolicy { Deadline = deadline ?? defaults.Deadline, EscalateEvery = every ?? defaults.EscalateEvery };
    }

    private static OverrunPolicy? ReadOverrun(YamlSource s, YamlNode node, string path)
    {
        var m = MapReader.Of(s, node, path);
        if (m is null)
        {
            return null;
        }

        var action = m.Optional("action", s.Enum<OverrunAction>);
        var extension = m.Optional("extension", s.Duration);
        var max = m.Optional("maxExtensions", s.Int);
        m.Finish();
        var defaults = new OverrunPolicy();
        return new OverrunPolicy { Action = action ?? defaults.Action, Extension = extension ?? defaults.Extension, MaxExtensions = max ?? defaults.MaxExtensions };
    }
}
