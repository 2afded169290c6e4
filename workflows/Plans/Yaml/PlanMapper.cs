using YamlDotNet.RepresentationModel;

namespace MaintenanceWorkflows.Workflows.Plans;

/// <summary>YAML nodes to <see cref="MaintenancePlan"/>. Each Read* reports its own errors and returns null when it cannot build.</summary>
internal static class PlanMapper
{
    public static MaintenancePlan? Read(YamlSource s, YamlNode root)
    {
        var m = MapReader.Of(s, root, string.Empty);
        if (m is null)
        {
            return null;
        }

        var id = m.RequiredString("id", "a slug like lambda-v40-promotion");
        var title = m.RequiredString("title");
        var type = m.Required("type", "routine, urgent or emergency", s.Enum<MaintenanceType>);
        var priority = m.Optional("priority", s.Enum<MaintenancePriority>);
        var window = m.RequiredRef("window", "start, end or duration, timeZone", (n, p) => ReadWindow(s, n, p));
        var requester = m.RequiredString("requester", "who asks for the window");
        var scope = m.RequiredString("scope", "what is being changed");
        var reason = m.String("reason");
        var changes = m.Strings("changes");
        var tags = m.Strings("tags");
        var incident = m.OptionalRef("incident", (n, p) => ReadIncident(s, n, p));
        var impact = m.RequiredRef("impact", "summary, downtime, api/web/background, whatToExpect, userActions", (n, p) => ReadImpact(s, n, p));
        var systems = m.List("systems", (n, p) => ReadSystem(s, n, p));
        var activities = m.List("activities", (n, p) => ReadActivityGroup(s, n, p));
        var steps = m.List("steps", (n, p) => ReadStep(s, n, p, allowRollback: true));
        var checks = m.List("checks", (n, p) => ReadCheck(s, n, p));
        var rollback = m.OptionalRef("rollback", (n, p) => ReadRollbackPlan(s, n, p));
        var verification = m.OptionalRef("verification", (n, p) => ReadVerification(s, n, p));
        var notify = m.OptionalRef("notify", (n, p) => ReadNotify(s, n, p));
        var contacts = m.OptionalRef("contacts", (n, p) => ReadContacts(s, n, p));
        var checklist = m.List("checklist", (n, p) => ReadChecklistItem(s, n, p));
        var resources = m.List("resources", (n, p) => ReadResource(s, n, p));
        var freezeOverride = m.OptionalRef("freezeOverride", (n, p) => ReadFreezeOverride(s, n, p));
        m.Finish();

        if (id is null || title is null || type is null || window is null || requester is null || scope is null || impact is null)
        {
            return null;
        }

        return new MaintenancePlan
        {
            Id = id,
            Title = title,
            Type = type.Value,
            Priority = priority ?? MaintenancePriority.Medium,
            Window = window,
            Requester = requester,
            Scope = scope,
            Reason = reason,
            Changes = changes,
            Tags = tags,
            Incident = incident,
            Impact = impact,
            Systems = systems,
            Activities = activities,
            Steps = steps,
            Checks = checks,
            Rollback = rollback ?? new RollbackPlan(),
            Verification = verification,
            Notify = notify ?? new NoticeSettings(),
            Contacts = contacts ?? new ContactInfo(),
            Checklist = checklist,
            Resources = resources,
            FreezeOverride = freezeOverride,
        };
    }

    private static MaintenanceWindow? ReadWindow(YamlSource s, YamlNode node, string path)
    {
        var m = MapReader.Of(s, node, path);
        if (m is null)
        {
            return null;
        }

        var zone = m.Required("timeZone", "an IANA zone id like America/Los_Angeles", (n, p) => s.Zone(n, p) is { } z ? new ZoneId(z) : (ZoneId?)null);
        var start = m.Required("start", "a date and time like 2026-06-09T02:00, or now", (n, p) => s.Instant(n, p, zone?.Id, allowNow: true));
        var endNode = m.Raw("end");
        var durationNode = m.Raw("duration");
        DateTimeOffset? end = null;
        if (endNode is not null && durationNode is not null)
        {
            s.Error(durationNode, m.Child("duration"), "give either end or duration, not both.");
        }
        else if (endNode is not null)
        {
            end = s.Instant(endNode, m.Child("end"), zone?.Id);
        }
        else if (durationNode is not null)
        {
            end = start + s.Duration(durationNode, m.Child("duration"));
        }
        else
        {
            s.Error(node, m.Child("end"), "missing required field 'end' (a date and time) or 'duration' (e.g. 30m).");
        }

        m.Finish();
        return zone is null || start is null || end is null
            ? null
            : new MaintenanceWindow { Start = start.Value, End = end.Value, TimeZone = zone.Value.Id };
    }

    private static IncidentReference? ReadIncident(YamlSource s, YamlNode node, string path)
    {
        var m = MapReader.Of(s, node, path);
        if (m is null)
        {
            return null;
        }

        var level = m.RequiredString("level", "an incident level such as P1");
        var id = m.String("id");
        var summary = m.String("summary");
        m.Finish();
        return level is null ? null : new IncidentReference { Level = level, Id = id, Summary = summary };
    }

    private static ImpactAssessment? ReadImpact(YamlSource s, YamlNode node, string path)
    {
        var m = MapReader.Of(s, node, path);
        if (m is null)
        {
            return null;
        }

        var summary = m.RequiredString("summary", "the expected impact in a sentence");
        var downtime = m.Optional("downtime", s.Bool);
        var expectedDowntime = m.Optional("expectedDowntime", s.Duration);
        var api = m.String("api");
        var web = m.String("web");
        var background = m.String("background");
        var interruptions = m.String("interruptions");
        var whatToExpect = m.Strings("whatToExpect");
        var userActions = m.Strings("userActions");
        var preparation = m.OptionalRef("preparation", (n, p) => ReadPreparation(s, n, p));
        m.Finish();
        return summary is null
            ? null
            : new ImpactAssessment
            {
                Summary = summary,
                Downtime = downtime ?? false,
                ExpectedDowntime = expectedDowntime,
                Api = api,
                Web = web,
                Background = background,
                Interruptions = interruptions,
                WhatToExpect = whatToExpect,
                UserActions = userActions,
                Preparation = preparation ?? new PreparationChecklist(),
            };
    }

    private static PreparationChecklist? ReadPreparation(YamlSource s, YamlNode node, string path)
    {
        var m = MapReader.Of(s, node, path);
        if (m is null)
        {
            return null;
        }

        var result = new PreparationChecklist { Before = m.Strings("before"), During = m.Strings("during"), After = m.Strings("after") };
        m.Finish();
        return result;
    }

    private static AffectedSystem? ReadSystem(YamlSource s, YamlNode node, string path)
    {
        var m = MapReader.Of(s, node, path);
        if (m is null)
        {
            return null;
        }

        var name = m.RequiredString("name", "the system's name");
        var team = m.String("team");
        var role = m.Optional("role", s.Enum<SystemRole>);
        m.Finish();
        return name is null ? null : new AffectedSystem { Name = name, Team = team, Role = role ?? SystemRole.Primary };
    }

    private static ActivityGroup? ReadActivityGroup(YamlSource s, YamlNode node, string path)
    {
        var m = MapReader.Of(s, node, path);
        if (m is null)
        {
            return null;
        }

        var category = m.RequiredString("category", "e.g. Security updates");
        var items = m.Strings("items");
        m.Finish();
        return category is null ? null : new ActivityGroup { Category = category, Items = items };
    }

    internal static PlanStep? ReadStep(YamlSource s, YamlNode node, string path, bool allowRollback)
    {
        var m = MapReader.Of(s, node, path);
        if (m is null)
        {
            return null;
        }

        var typeNode = m.Raw("type");
        var type = typeNode is null ? null : s.String(typeNode, m.Child("type"));
        var id = m.RequiredString("id", "a slug naming the step");
        var title = m.RequiredString("title", "what the step does");
        var timeout = m.Optional("timeout", s.Duration);
        var rollback = allowRollback ? m.OptionalRef("rollback", (n, p) => ReadStep(s, n, p, allowRollback: false)) : null;
        if (!allowRollback && m.Has("rollback"))
        {
            s.Error(m.Raw("rollback"), m.Child("rollback"), "a rollback step cannot have a rollback of its own; compensations are not compensated.");
        }

        PlanStep? step;
        switch (type)
        {
            case null when typeNode is null:
                m.Missing("type", $"one of {string.Join(", ", StepTypes.All)}");
                step = null;
                break;
            case StepTypes.LambdaPromote:
                {
                    var function = m.RequiredString("function", "the Lambda function name");
                    var alias = m.RequiredString("alias", "the alias to move, e.g. prod");
                    var version = m.String("version");
                    var publish = m.Optional("publish", s.Bool);
                    step = function is null || alias is null || id is null || title is null
                        ? null
                        : new LambdaPromoteStep { Id = id, Title = title, Function = function, Alias = alias, Version = version, Publish = publish ?? false };
                    break;
                }

            case StepTypes.HttpRequest:
                {
                    var method = m.String("method");
                    var url = m.String("url");
                    var target = m.String("target");
                    var urlPath = m.String("path");
                    var body = m.String("body");
                    var expected = m.Optional("expectedStatus", s.Int);
                    var mutates = m.Optional("mutates", s.Bool);
                    step = id is null || title is null
                        ? null
                        : new HttpRequestStep { Id = id, Title = title, Method = (method ?? "POST").ToUpperInvariant(), Url = url, Target = target, Path = urlPath, Body = body, ExpectedStatus = expected ?? 200, Mutates = mutates };
                    break;
                }

            case StepTypes.Command:
                {
                    var command = m.RequiredString("command", "the name of a command the worker allow-lists");
                    var args = m.OptionalRef("args", (n, p) => ReadArgs(s, n, p));
                    var mutates = m.Optional("mutates", s.Bool);
                    step = command is null || id is null || title is null
                        ? null
                        : new CommandStep { Id = id, Title = title, Command = command, Args = args ?? new Dictionary<string, string>(), Mutates = mutates ?? true };
                    break;
                }

            case StepTypes.Wait:
                {
                    var duration = m.Required("duration", YamlValues.DurationHint, s.Duration);
                    step = duration is null || id is null || title is null ? null : new WaitStep { Id = id, Title = title, Duration = duration.Value };
                    break;
                }

            case StepTypes.Manual:
                {
                    var instructions = m.RequiredString("instructions", "what the operator does and how they confirm it");
                    var ackBy = m.Strings("acknowledgedBy");
                    var mutates = m.Optional("mutates", s.Bool);
                    step = instructions is null || id is null || title is null
                        ? null
                        : new ManualStep { Id = id, Title = title, Instructions = instructions, AcknowledgedBy = ackBy, Mutates = mutates ?? false };
                    break;
                }

            case StepTypes.Rollout:
                step = RolloutMapper.Read(s, m, id, title);
                break;

            case null:
                step = null;
                break;
            default:
                s.Error(typeNode, m.Child("type"), $"unknown step type '{type}'.{Suggest.DidYouMean(type, StepTypes.All)} Step types: {string.Join(", ", StepTypes.All)}.");
                step = null;
                break;
        }

        if (step is null)
        {
            // Unknown fields are only meaningful once the type is known.
            if (type is not null && StepTypes.All.Contains(type))
            {
                m.Finish();
            }

            return null;
        }

        m.Finish();
        return step with { Timeout = timeout, Rollback = rollback };
    }

    private static Dictionary<string, string>? ReadArgs(YamlSource s, YamlNode node, string path)
    {
        if (node is not YamlMappingNode map)
        {
            s.Error(node, path, $"expected named arguments (name: value lines), found {YamlSource.Describe(node)}; commands take no shell strings.");
            return null;
        }

        var args = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in map.Children)
        {
            var name = key is YamlScalarNode k ? k.Value : null;
            if (string.IsNullOrEmpty(name))
            {
                s.Error(key, path, "argument names must be plain text.");
                continue;
            }

            if (s.Scalar(value, YamlSource.Join(path, name), "a text value") is { } text && !args.TryAdd(name, text))
            {
                s.Error(key, YamlSource.Join(path, name), $"argument '{name}' appears twice.");
            }
        }

        return args;
    }

    internal static PlanCheck? ReadCheck(YamlSource s, YamlNode node, string path)
    {
        var m = MapReader.Of(s, node, path);
        if (m is null)
        {
            return null;
        }

        var typeNode = m.Raw("type");
        var type = typeNode is null ? null : s.String(typeNode, m.Child("type"));
        var id = m.RequiredString("id", "a slug naming the check");
        var title = m.RequiredString("title", "what the check confirms");
        var when = m.Optional("when", s.Enum<CheckPhase>);
        var blocking = m.Optional("blocking", s.Bool);
        var timeout = m.Optional("timeout", s.Duration);

        PlanCheck? check;
        switch (type)
        {
            case null when typeNode is null:
                m.Missing("type", $"one of {string.Join(", ", CheckTypes.All)}");
                check = null;
                break;
            case CheckTypes.HttpStatus:
                {
                    var url = m.String("url");
                    var target = m.String("target");
                    var urlPath = m.String("path");
                    var expected = m.Optional("expectedStatus", s.Int);
                    var maxLatency = m.Optional("maxLatency", s.Duration);
                    check = id is null || title is null ? null : new HttpStatusCheck { Id = id, Title = title, Url = url, Target = target, Path = urlPath, ExpectedStatus = expected ?? 200, MaxLatency = maxLatency };
                    break;
                }

            case CheckTypes.HttpJson:
                {
                    var url = m.String("url");
                    var target = m.String("target");
                    var urlPath = m.String("path");
                    var expected = m.Optional("expectedStatus", s.Int);
                    var keys = m.Strings("requiredKeys");
                    var expect = m.List("expect", (n, p) => ReadExpectation(s, n, p));
                    var maxLatency = m.Optional("maxLatency", s.Duration);
                    check = id is null || title is null ? null : new HttpJsonCheck { Id = id, Title = title, Url = url, Target = target, Path = urlPath, ExpectedStatus = expected ?? 200, RequiredKeys = keys, Expect = expect, MaxLatency = maxLatency };
                    break;
                }

            case CheckTypes.LambdaAlias:
                {
                    var function = m.RequiredString("function", "the Lambda function name");
                    var alias = m.RequiredString("alias", "the alias, e.g. prod");
                    var version = m.RequiredString("expectedVersion", "the version the alias must point at");
                    check = function is null || alias is null || version is null || id is null || title is null
                        ? null
                        : new LambdaAliasCheck { Id = id, Title = title, Function = function, Alias = alias, ExpectedVersion = version };
                    break;
                }

            case CheckTypes.LambdaInvoke:
                {
                    var function = m.RequiredString("function", "the Lambda function name");
                    var qualifier = m.RequiredString("qualifier", "the alias or version to invoke");
                    var payload = m.String("payload");
                    var maxDuration = m.Optional("maxDuration", s.Duration);
                    check = function is null || qualifier is null || id is null || title is null
                        ? null
                        : new LambdaInvokeCheck { Id = id, Title = title, Function = function, Qualifier = qualifier, Payload = payload ?? "{}", MaxDuration = maxDuration };
                    break;
                }

            case CheckTypes.EmailQuota:
                {
                    var amber = m.Required("amberAt", "emails sent in 24 h at which to warn, e.g. 160", s.Int);
                    var red = m.Required("redAt", "emails sent in 24 h at which to fail, e.g. 200", s.Int);
                    var account = m.String("account");
                    check = amber is null || red is null || id is null || title is null
                        ? null
                        : new EmailQuotaCheck { Id = id, Title = title, AmberAt = amber.Value, RedAt = red.Value, Account = account };
                    break;
                }

            case CheckTypes.Freeze:
                {
                    var source = m.String("source");
                    check = id is null || title is null ? null : new FreezeCheck { Id = id, Title = title, Source = source };
                    break;
                }

            case null:
                check = null;
                break;
            default:
                s.Error(typeNode, m.Child("type"), $"unknown check type '{type}'.{Suggest.DidYouMean(type, CheckTypes.All)} Check types: {string.Join(", ", CheckTypes.All)}.");
                check = null;
                break;
        }

        if (type is not null && CheckTypes.All.Contains(type))
        {
            m.Finish();
        }

        return check is null ? null : check with { When = when ?? CheckPhase.Both, Blocking = blocking ?? true, Timeout = timeout };
    }

    private static JsonExpectation? ReadExpectation(YamlSource s, YamlNode node, string path)
    {
        var m = MapReader.Of(s, node, path);
        if (m is null)
        {
            return null;
        }

        var jsonPath = m.RequiredString("path", "a dotted path like lambda.version");
        var equalTo = m.RequiredString("equalTo", "the expected value");
        m.Finish();
        return jsonPath is null || equalTo is null ? null : new JsonExpectation { Path = jsonPath, EqualTo = equalTo };
    }

    private static RollbackPlan? ReadRollbackPlan(YamlSource s, YamlNode node, string path)
    {
        var m = MapReader.Of(s, node, path);
        if (m is null)
        {
            return null;
        }

        var estimated = m.Optional("estimatedDuration", s.Duration);
        var procedures = m.Strings("procedures");
        var triggers = m.OptionalRef("triggers", (n, p) => ReadTriggers(s, n, p));
        m.Finish();
        return new RollbackPlan { EstimatedDuration = estimated, Procedures = procedures, Triggers = triggers ?? new RollbackTriggers() };
    }

    private static RollbackTriggers? ReadTriggers(YamlSource s, YamlNode node, string path)
    {
        var m = MapReader.Of(s, node, path);
        if (m is null)
        {
            return null;
        }

        var availability = m.Optional("availabilityBelowPercent", s.Number);
        var errorRate = m.Optional("errorRateAbovePercent", s.Number);
        var latency = m.Optional("latencyAbove", s.Duration);
        var percentile = m.Optional("latencyPercentile", s.Int);
        var failures = m.Optional("blockingCheckFailures", s.Int);
        var manual = m.Strings("manual");
        m.Finish();
        CheckPercent(s, m, "availabilityBelowPercent", availability);
        CheckPercent(s, m, "errorRateAbovePercent", errorRate);
        if (percentile is { } pct && pct is < 1 or > 100)
        {
            s.Error(m.Raw("latencyPercentile"), m.Child("latencyPercentile"), $"expected a percentile between 1 and 100, found {pct}.");
        }

        if (failures is { } f && f < 1)
        {
            s.Error(m.Raw("blockingCheckFailures"), m.Child("blockingCheckFailures"), $"expected 1 or more consecutive failures, found {f}.");
        }

        return new RollbackTriggers
        {
            AvailabilityBelowPercent = availability,
            ErrorRateAbovePercent = errorRate,
            LatencyAbove = latency,
            LatencyPercentile = percentile ?? 95,
            BlockingCheckFailures = failures ?? 1,
            Manual = manual,
        };
    }

    private static void CheckPercent(YamlSource s, MapReader m, string key, double? value)
    {
        if (value is { } v && v is < 0 or > 100)
        {
            s.Error(m.Raw(key), m.Child(key), $"expected a percentage between 0 and 100, found {v}.");
        }
    }

    internal static VerificationSettings? ReadVerification(YamlSource s, YamlNode node, string path)
    {
        var m = MapReader.Of(s, node, path);
        if (m is null)
        {
            return null;
        }

        var soak = m.Required("soak", YamlValues.DurationHint, s.Duration);
        var interval = m.Required("interval", YamlValues.DurationHint, s.Duration);
        m.Finish();
        return soak is null || interval is null ? null : new VerificationSettings { Soak = soak.Value, Interval = interval.Value };
    }

    private static NoticeSettings? ReadNotify(YamlSource s, YamlNode node, string path)
    {
        var m = MapReader.Of(s, node, path);
        if (m is null)
        {
            return null;
        }

        var result = new NoticeSettings
        {
            Channels = m.Strings("channels"),
            Audiences = m.Strings("audiences"),
            StatusPageUrl = m.String("statusPageUrl"),
            DashboardUrl = m.String("dashboardUrl"),
            ChatChannel = m.String("chatChannel"),
            AuditTrailUrl = m.String("auditTrailUrl"),
        };
        m.Finish();
        return result;
    }

    private static ContactInfo? ReadContacts(YamlSource s, YamlNode node, string path)
    {
        var m = MapReader.Of(s, node, path);
        if (m is null)
        {
            return null;
        }

        var result = new ContactInfo
        {
            Primary = m.OptionalRef("primary", (n, p) => ReadContact(s, n, p)),
            Secondary = m.OptionalRef("secondary", (n, p) => ReadContact(s, n, p)),
            Emergency = m.OptionalRef("emergency", (n, p) => ReadContact(s, n, p)),
            SupportEmail = m.String("supportEmail"),
            SupportPhone = m.String("supportPhone"),
            OnCall = m.String("onCall"),
            EmergencyHotline = m.String("emergencyHotline"),
            Team = m.List("team", (n, p) => ReadTeamMember(s, n, p)),
            Escalation = m.OptionalRef("escalation", (n, p) => ReadEscalation(s, n, p)) ?? new EscalationInfo(),
        };
        m.Finish();
        return result;
    }

    private static Contact? ReadContact(YamlSource s, YamlNode node, string path)
    {
        var m = MapReader.Of(s, node, path);
        if (m is null)
        {
            return null;
        }

        var name = m.RequiredString("name", "the person's or team's name");
        var email = m.String("email");
        var phone = m.String("phone");
        m.Finish();
        return name is null ? null : new Contact { Name = name, Email = email, Phone = phone };
    }

    private static TeamMember? ReadTeamMember(YamlSource s, YamlNode node, string path)
    {
        var m = MapReader.Of(s, node, path);
        if (m is null)
        {
            return null;
        }

        var role = m.RequiredString("role", "e.g. Technical lead");
        var name = m.RequiredString("name", "the person's name");
        m.Finish();
        return role is null || name is null ? null : new TeamMember { Role = role, Name = name };
    }

    private static EscalationInfo? ReadEscalation(YamlSource s, YamlNode node, string path)
    {
        var m = MapReader.Of(s, node, path);
        if (m is null)
        {
            return null;
        }

        var result = new EscalationInfo
        {
            After = m.Optional("after", s.Duration),
            To = m.String("to"),
            Critical = m.String("critical"),
            ReviewWithin = m.Optional("reviewWithin", s.Duration),
        };
        m.Finish();
        return result;
    }

    private static ChecklistItem? ReadChecklistItem(YamlSource s, YamlNode node, string path)
    {
        var m = MapReader.Of(s, node, path);
        if (m is null)
        {
            return null;
        }

        var id = m.RequiredString("id", "a slug naming the item");
        var text = m.RequiredString("text", "what to do or confirm");
        var phase = m.Required("phase", "before, during or after", s.Enum<ChecklistPhase>);
        var check = m.String("check");
        var blocking = m.Optional("blocking", s.Bool);
        var owner = m.String("owner");
        m.Finish();
        return id is null || text is null || phase is null
            ? null
            : new ChecklistItem { Id = id, Text = text, Phase = phase.Value, Check = check, Blocking = blocking ?? true, Owner = owner };
    }

    private static ResourceLink? ReadResource(YamlSource s, YamlNode node, string path)
    {
        var m = MapReader.Of(s, node, path);
        if (m is null)
        {
            return null;
        }

        var title = m.RequiredString("title", "e.g. API documentation");
        var url = m.RequiredString("url", "a link");
        m.Finish();
        return title is null || url is null ? null : new ResourceLink { Title = title, Url = url };
    }

    private static FreezeOverride? ReadFreezeOverride(YamlSource s, YamlNode node, string path)
    {
        var m = MapReader.Of(s, node, path);
        if (m is null)
        {
            return null;
        }

        var freeze = m.RequiredString("freeze", "the id of the policy freeze");
        var approver = m.RequiredString("approver", "who approves the override, e.g. T-JOSH");
        var reason = m.RequiredString("reason", "why the window cannot wait");
        m.Finish();
        return freeze is null || approver is null || reason is null ? null : new FreezeOverride { Freeze = freeze, Approver = approver, Reason = reason };
    }

    private readonly record struct ZoneId(string Id);
}
