namespace MaintenanceWorkflows.Workflows.Plans;

/// <summary>
/// Checks a plan against a policy at a given "now" and returns every violation at once, each with the
/// field path, the reason and the fix. Pure: the workflow may call it with Workflow.UtcNow.
/// </summary>
public static class PlanValidator
{
    /// <param name="plan">The plan.</param>
    /// <param name="policy">The policy it must keep.</param>
    /// <param name="now">When it is judged.</param>
    /// <param name="fleets">The worker's fleets by name; null where they are not known (the starter), so named fleets are checked by the worker.</param>
    public static IReadOnlyList<PlanViolation> Validate(MaintenancePlan plan, MaintenancePolicy policy, DateTimeOffset now, IReadOnlyDictionary<string, IReadOnlyList<string>>? fleets = null)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(policy);
        var v = new ViolationList();
        v.AddRange(PolicyRules.Validate(policy));
        var zonesOk = ZoneMath.FindZone(policy.TimeZone) is not null && ZoneMath.FindZone(plan.Window.TimeZone) is not null;
        PolicyRules.CheckZone(v, plan.Window.TimeZone, "window.timeZone");

        CheckIdentity(v, plan);
        var windowOk = CheckWindow(v, plan, policy, now);
        if (windowOk && zonesOk)
        {
            CheckCalendar(v, plan, policy, now);
        }

        if (windowOk)
        {
            CheckWorkFitsWindow(v, plan, policy);
        }

        CheckSteps(v, plan);
        RolloutRules.Check(v, plan, fleets);
        CheckChecks(v, plan);
        CheckChecklist(v, plan);
        CheckApprovals(v, plan, policy, now, windowOk);
        CheckChannels(v, plan, policy);
        CheckIncident(v, plan, policy);
        CheckOwnership(v, plan, policy);
        if (plan.Verification is { } verification)
        {
            PolicyRules.CheckVerification(v, verification, "verification");
        }

        return v;
    }

    public static bool HasErrors(this IReadOnlyList<PlanViolation> violations) =>
        violations.Any(x => x.Severity == ViolationSeverity.Error);

    /// <summary>
    /// The steps' timeouts and waits plus the soak must fit the window and the extensions the overrun policy
    /// allows; otherwise the overrun watcher rolls back a healthy change mid-soak.
    /// </summary>
    private static void CheckWorkFitsWindow(ViolationList v, MaintenancePlan plan, MaintenancePolicy policy)
    {
        var soak = (plan.Verification ?? policy.Verification).Soak;
        var soakPath = plan.Verification is null ? "policy.verification.soak" : "verification.soak";
        var steps = plan.Steps.Aggregate(TimeSpan.Zero, (sum, s) => sum + (s is WaitStep w ? w.Duration : s.Timeout ?? TimeSpan.Zero));
        var extensions = policy.Overrun.Action == OverrunAction.Extend ? policy.Overrun.Extension * policy.Overrun.MaxExtensions : TimeSpan.Zero;
        var allowed = plan.Window.Duration + extensions;
        if (soak + steps > allowed)
        {
            var stepsText = steps > TimeSpan.Zero ? $" plus the steps' timeouts and waits (steps[*].timeout, steps[*].duration: {Format.Span(steps)})" : string.Empty;
            var extensionText = extensions > TimeSpan.Zero ? $" and its allowed extensions (policy.overrun: {Format.Span(extensions)})" : string.Empty;
            v.Error(
                ViolationCodes.SoakDoesNotFit,
                soakPath,
                $"The soak ({soakPath}: {Format.Span(soak)}){stepsText} takes {Format.Span(soak + steps)}, more than the window (window.start to window.end: {Format.Span(plan.Window.Duration)}){extensionText} allows ({Format.Span(allowed)}).",
                $"Shorten the soak or the step timeouts, or end the window at {Format.Iso(plan.Window.Start + soak + steps)} or later.");
        }
    }

    private static void CheckIdentity(ViolationList v, MaintenancePlan plan)
    {
        if (!PolicyRules.IsSlug(plan.Id))
        {
            v.Error(ViolationCodes.InvalidId, "id", $"'{plan.Id}' is not a valid plan id.", "Use lower-case letters, digits, '.', '_' and '-', starting with a letter or digit (e.g. lambda-v40-promotion).");
        }

        if (string.IsNullOrWhiteSpace(plan.Requester))
        {
            v.Error(ViolationCodes.InvalidValue, "requester", "The plan names no requester.", "Set requester to the person asking for the window.");
        }
    }

    private static bool CheckWindow(ViolationList v, MaintenancePlan plan, MaintenancePolicy policy, DateTimeOffset now)
    {
        var window = plan.Window;
        if (window.End <= window.Start)
        {
            v.Error(
                ViolationCodes.WindowEndBeforeStart,
                "window.end",
                $"The window ends ({Format.Iso(window.End)}) at or before its start ({Format.Iso(window.Start)}).",
                "Set end after start, or give a duration instead of an end (e.g. duration: 30m).");
            return false;
        }

        var rules = policy.Types.For(plan.Type);
        if (rules.MaxDuration is { } max && window.Duration > max)
        {
            v.Error(
                ViolationCodes.WindowTooLong,
                "window.end",
                $"The window lasts {Format.Span(window.Duration)}; {Format.Type(plan.Type)} windows may last at most {Format.Span(max)}.",
                $"Split the work into several windows or end by {Format.Iso(window.Start + max)}.");
        }

        return true;
    }

    private static void CheckCalendar(ViolationList v, MaintenancePlan plan, MaintenancePolicy policy, DateTimeOffset now)
    {
        var window = plan.Window;
        var rules = policy.Types.For(plan.Type);
        var zone = window.TimeZone;
        var lead = window.Start - now;
        var earliest = CalendarRules.EarliestLegalStart(plan, policy, now);
        var earliestText = earliest is { } e ? $"The earliest legal start is {Format.Instant(e, zone)}." : "No legal start was found in the next 120 days; check the policy's cadence, freezes and blackouts.";

        // For calendar conflicts the operator wants the nearest slot from the date they picked, not from today.
        var nearest = window.Start > now ? CalendarRules.EarliestLegalStart(plan, policy, now, window.Start) : earliest;
        var nearestText = nearest is { } n ? $"The nearest legal start at or after the planned one is {Format.Instant(n, zone)}." : earliestText;

        if (window.Start < now)
        {
            v.Error(
                ViolationCodes.WindowInPast,
                "window.start",
                $"The window starts {Format.Instant(window.Start, zone)}, {Format.Span(now - window.Start)} before now ({ZoneMath.FormatUtc(now)}); a window cannot be scheduled in the past.",
                $"Choose a new start. {earliestText}");
        }
        else if (lead < rules.Notice)
        {
            v.Error(
                ViolationCodes.NoticeTooShort,
                "window.start",
                $"{Capitalized(plan.Type)} windows need {Format.Span(rules.Notice)} notice; this one starts in {Format.Span(lead)} ({Format.Instant(window.Start, zone)}).",
                $"Move the start later. {earliestText}" + (plan.Type == MaintenanceType.Routine ? " If it cannot wait, make it type: urgent and say why in reason." : string.Empty));
        }

        if (rules.RequiresCadence && CalendarRules.ContainingSlot(policy, window.Start, window.End) is null)
        {
            v.Error(
                ViolationCodes.OutsideCadence,
                "window",
                $"{Capitalized(plan.Type)} windows must fit the cadence ({DescribeCadence(policy)}); {Format.Instant(window.Start, zone)} to {Format.Instant(window.End, zone)} does not.",
                $"Move the window into a cadence slot. {nearestText}");
        }

        foreach (var conflict in CalendarRules.Conflicts(plan, policy, window.Start, window.End))
        {
            var when = $"{Format.Instant(conflict.Start, zone)} to {Format.Instant(conflict.End, zone)}";
            if (conflict.Kind == CalendarRules.FreezeKind)
            {
                var freeze = policy.Freezes.First(f => f.Id == conflict.Id);
                var overrideHint = freeze.OverrideApprovers.Count > 0
                    ? $" or add freezeOverride (freeze: {freeze.Id}, approver: one of {string.Join(", ", freeze.OverrideApprovers)}, reason)"
                    : string.Empty;
                v.Error(
                    ViolationCodes.FreezeOverlap,
                    "window",
                    $"The window overlaps change freeze '{conflict.Id}' ({conflict.Description}), {when}.",
                    $"Move the window outside the freeze{overrideHint}. {nearestText}");
            }
            else if (plan.Type == MaintenanceType.Emergency)
            {
                // An emergency cannot wait for a backup or billing run to finish; the owners must know, though.
                v.Warning(
                    ViolationCodes.BlackoutOverlap,
                    "window",
                    $"The emergency window overlaps blackout '{conflict.Id}' ({conflict.Description}), which runs {when}.",
                    "Tell the job's owner before starting, and check the job's result afterwards.");
            }
            else
            {
                v.Error(
                    ViolationCodes.BlackoutOverlap,
                    "window",
                    $"The window overlaps blackout '{conflict.Id}' ({conflict.Description}), which runs {when}.",
                    $"Move the window so it does not run alongside that job. {nearestText}");
            }
        }

        if (plan.FreezeOverride is { } freezeOverride)
        {
            var freeze = policy.Freezes.FirstOrDefault(f => ScheduleRules.SameId(f.Id, freezeOverride.Freeze));
            if (freeze is null)
            {
                v.Error(
                    ViolationCodes.FreezeOverrideInvalid,
                    "freezeOverride.freeze",
                    $"'{freezeOverride.Freeze}' is not a freeze the policy defines.{Suggest.DidYouMean(freezeOverride.Freeze, policy.Freezes.Select(f => f.Id))}",
                    "Name the freeze being overridden by its policy id, or drop freezeOverride.");
            }
            else if (!freeze.OverrideApprovers.Contains(freezeOverride.Approver, StringComparer.OrdinalIgnoreCase))
            {
                v.Error(
                    ViolationCodes.FreezeOverrideInvalid,
                    "freezeOverride.approver",
                    $"'{freezeOverride.Approver}' may not override freeze '{freeze.Id}'.",
                    freeze.OverrideApprovers.Count > 0 ? $"Use one of: {string.Join(", ", freeze.OverrideApprovers)}." : "This freeze cannot be overridden; move the window.");
            }
            else if (!new TimeRange(freeze.Start, freeze.End).Overlaps(new TimeRange(window.Start, window.End)))
            {
                v.Warning(
                    ViolationCodes.FreezeOverrideInvalid,
                    "freezeOverride",
                    $"The window does not overlap freeze '{freeze.Id}', so the override only adds an approval gate.",
                    "Drop freezeOverride.");
            }
        }
    }

    private static void CheckSteps(ViolationList v, MaintenancePlan plan)
    {
        if (plan.Steps.Count == 0)
        {
            v.Error(ViolationCodes.NoSteps, "steps", "The plan has no steps.", "Add at least one step (a manual step for an operator-only action).");
        }

        var ids = new List<(string, string)>();
        for (var i = 0; i < plan.Steps.Count; i++)
        {
            var step = plan.Steps[i];
            var path = $"steps[{i}]";
            ids.Add((step.Id, path));
            CheckStep(v, step, path);
            if (step.ChangesState && !step.HasCompensation)
            {
                v.Error(
                    ViolationCodes.StepWithoutRollback,
                    path + ".rollback",
                    $"Step '{step.Id}' ({step.StepType}) changes state but declares no rollback.",
                    step switch
                    {
                        HttpRequestStep h => $"Add rollback: with a step that undoes the {h.Method} (e.g. an http.request or command), or set mutates: false if it changes nothing.",
                        ManualStep => "Add rollback: with a manual step describing how to undo it, or set mutates: false if it changes nothing.",
                        _ => "Add rollback: with a step that undoes it (e.g. a command the worker allow-lists), or set mutates: false if it changes nothing.",
                    });
            }

            if (step.Rollback is { } rollback)
            {
                ids.Add((rollback.Id, path + ".rollback"));
                CheckStep(v, rollback, path + ".rollback");
                if (rollback.Rollback is not null)
                {
                    v.Error(ViolationCodes.RollbackNested, path + ".rollback.rollback", $"The rollback of step '{step.Id}' has a rollback of its own.", "Remove the nested rollback; compensations are not themselves compensated.");
                }
            }
        }

        v.Duplicates(ids, "step");

        var waits = plan.Steps.OfType<WaitStep>().Aggregate(TimeSpan.Zero, (sum, w) => sum + w.Duration);
        if (waits > plan.Window.Duration && plan.Window.Duration > TimeSpan.Zero)
        {
            v.Warning(ViolationCodes.WindowTooLong, "steps", $"Wait steps alone take {Format.Span(waits)}, longer than the window ({Format.Span(plan.Window.Duration)}).", "Shorten the waits or lengthen the window.");
        }
    }

    internal static void CheckStep(ViolationList v, PlanStep step, string path)
    {
        if (!PolicyRules.IsSlug(step.Id))
        {
            v.Error(ViolationCodes.InvalidId, path + ".id", $"'{step.Id}' is not a valid step id.", "Use lower-case letters, digits, '.', '_' and '-'.");
        }

        if (step.Timeout is { } timeout && timeout <= TimeSpan.Zero)
        {
            v.Error(ViolationCodes.InvalidValue, path + ".timeout", "The timeout must be positive.", "Use e.g. 5m.");
        }

        switch (step)
        {
            case LambdaPromoteStep promote when promote.Version is null && !promote.Publish:
                v.Error(ViolationCodes.InvalidValue, path + ".version", $"Step '{step.Id}' says neither which version to promote nor to publish one.", "Set version: \"40\" or publish: true.");
                break;
            case LambdaPromoteStep promote when promote.Version is not null && promote.Publish:
                v.Error(ViolationCodes.InvalidValue, path + ".publish", $"Step '{step.Id}' sets both version and publish: true.", "Keep one: an existing version, or publish: true to publish $LATEST.");
                break;
            case LambdaPromoteStep promote when string.Equals(promote.Version, "$LATEST", StringComparison.OrdinalIgnoreCase):
                v.Error(ViolationCodes.InvalidValue, path + ".version", "A prod alias must not point at $LATEST (seed rollback checklist).", "Use a published version number, or publish: true.");
                break;
            case HttpRequestStep http:
                CheckLocation(v, http.Url, http.Target, http.Path, path);
                CheckStatus(v, http.ExpectedStatus, path + ".expectedStatus");
                break;
            case CommandStep command when !PolicyRules.IsSlug(command.Command):
                v.Error(ViolationCodes.InvalidValue, path + ".command", $"'{command.Command}' is not a command name.", "Name a command the worker allow-lists (lower-case, e.g. flask-db-upgrade); shell strings are not accepted.");
                break;
            case WaitStep wait when wait.Duration <= TimeSpan.Zero:
                v.Error(ViolationCodes.InvalidValue, path + ".duration", "A wait must be positive.", "Use e.g. 2m.");
                break;
            case ManualStep manual when string.IsNullOrWhiteSpace(manual.Instructions):
                v.Error(ViolationCodes.InvalidValue, path + ".instructions", "A manual step needs instructions for the operator.", "Say what to do and how to confirm it.");
                break;
        }
    }

    private static void CheckChecks(ViolationList v, MaintenancePlan plan)
    {
        v.Duplicates(plan.Checks.Select((c, i) => (c.Id, $"checks[{i}]")), "check");
        for (var i = 0; i < plan.Checks.Count; i++)
        {
            CheckCheck(v, plan.Checks[i], $"checks[{i}]");
        }

        if (plan.Steps.Any(s => s.ChangesState) && !plan.Checks.Any(c => c.RunsVerify && c.Blocking))
        {
            v.Warning(ViolationCodes.NoVerifyChecks, "checks", "Steps change state but no blocking check runs during verification, so nothing can trigger an automatic rollback.", "Add a verify check (e.g. http.status on the main routes).");
        }
    }

    internal static void CheckCheck(ViolationList v, PlanCheck check, string path)
    {
        if (!PolicyRules.IsSlug(check.Id))
        {
            v.Error(ViolationCodes.InvalidId, path + ".id", $"'{check.Id}' is not a valid check id.", "Use lower-case letters, digits, '.', '_' and '-'.");
        }

        switch (check)
        {
            case HttpStatusCheck http:
                CheckLocation(v, http.Url, http.Target, http.Path, path);
                CheckStatus(v, http.ExpectedStatus, path + ".expectedStatus");
                break;
            case HttpJsonCheck json:
                CheckLocation(v, json.Url, json.Target, json.Path, path);
                CheckStatus(v, json.ExpectedStatus, path + ".expectedStatus");
                if (json.RequiredKeys.Count == 0 && json.Expect.Count == 0)
                {
                    v.Error(ViolationCodes.InvalidValue, path + ".requiredKeys", $"Check '{check.Id}' checks nothing in the JSON.", "List requiredKeys (e.g. lambda.version, database, agents) or expect entries, or use http.status.");
                }

                break;
            case EmailQuotaCheck quota when quota.AmberAt <= 0 || quota.AmberAt >= quota.RedAt:
                v.Error(ViolationCodes.EmailQuotaThresholds, path + ".amberAt", $"Amber ({quota.AmberAt}) must be positive and below red ({quota.RedAt}).", "E.g. amberAt: 160, redAt: 200.");
                break;
            case LambdaInvokeCheck invoke when invoke.MaxDuration is { } limit && limit <= TimeSpan.Zero:
                v.Error(ViolationCodes.InvalidValue, path + ".maxDuration", "The cold-start limit must be positive.", "E.g. maxDuration: 2000ms.");
                break;
        }
    }

    private static void CheckChecklist(ViolationList v, MaintenancePlan plan)
    {
        v.Duplicates(plan.Checklist.Select((c, i) => (c.Id, $"checklist[{i}]")), "checklist item");
        var checkIds = plan.Checks.Select(c => c.Id).ToList();
        for (var i = 0; i < plan.Checklist.Count; i++)
        {
            var item = plan.Checklist[i];
            if (item.Check is null)
            {
                continue;
            }

            var check = plan.Checks.FirstOrDefault(c => c.Id == item.Check);
            if (check is null)
            {
                v.Error(
                    ViolationCodes.UnknownCheck,
                    $"checklist[{i}].check",
                    $"Checklist item '{item.Id}' refers to check '{item.Check}', which the plan does not define.{Suggest.DidYouMean(item.Check, checkIds)}",
                    checkIds.Count == 0 ? "Define the check under checks:, or remove check: to make the item manual." : $"Use one of: {string.Join(", ", checkIds)}; or remove check: to make the item manual.");
            }
            else if (item.Phase == ChecklistPhase.Before && !check.RunsPre)
            {
                v.Error(ViolationCodes.UnknownCheck, $"checklist[{i}].check", $"Checklist item '{item.Id}' is done before the window but check '{check.Id}' only runs during verification.", "Set the check's when: to pre or both, or move the item to during/after.");
            }
            else if (item.Phase != ChecklistPhase.Before && !check.RunsVerify)
            {
                v.Error(ViolationCodes.UnknownCheck, $"checklist[{i}].check", $"Checklist item '{item.Id}' is done {item.Phase.ToString().ToLowerInvariant()} the window but check '{check.Id}' only runs before it.", "Set the check's when: to verify or both, or move the item to before.");
            }
        }
    }

    private static void CheckApprovals(ViolationList v, MaintenancePlan plan, MaintenancePolicy policy, DateTimeOffset now, bool windowOk)
    {
        var rule = policy.Types.For(plan.Type).Approval;
        var eligible = ScheduleRules.EligibleApprovers(plan, policy);
        if (eligible.Count < rule.Required)
        {
            var requesterNote = policy.Approvals.RequesterMayApprove ? string.Empty : $" (the requester '{plan.Requester}' may not approve their own window)";
            v.Error(
                ViolationCodes.TooFewApprovers,
                "requester",
                $"{Capitalized(plan.Type)} windows need {rule.Required} approval(s) but only {eligible.Count} approver(s) are eligible{requesterNote}: {(eligible.Count == 0 ? "nobody" : string.Join(", ", eligible))}.",
                "Add approvers for this type to the policy, or have someone else request the window.");
        }

        foreach (var gate in ScheduleRules.Gates(plan, policy))
        {
            if (!gate.Approvers.Any(a => eligible.Contains(a, StringComparer.OrdinalIgnoreCase)))
            {
                v.Error(
                    ViolationCodes.GateUnsatisfiable,
                    "requester",
                    $"Gate '{gate.Id}' needs approval from {string.Join(" or ", gate.Approvers)}, but none of them can approve this window (requester '{plan.Requester}').",
                    "Have someone other than the gate approver request the window, or add another gate approver to the policy.");
            }
        }

        if (!windowOk || plan.Window.Start < now)
        {
            return;
        }

        var schedule = ScheduleRules.Derive(plan, policy, now);
        if (schedule.ApprovalDeadline < now)
        {
            v.Error(
                ViolationCodes.ApprovalDeadlinePassed,
                "window.start",
                $"Approvals for this window are due {Format.Instant(schedule.ApprovalDeadline, plan.Window.TimeZone)}, which has already passed.",
                CalendarRules.EarliestLegalStart(plan, policy, now) is { } e ? $"Start at or after {Format.Instant(e, plan.Window.TimeZone)}." : "Move the start later.");
        }
        else if (rule.EscalateAfter is { } escalate && schedule.EscalationAt is null)
        {
            v.Warning(
                ViolationCodes.EscalationAfterDeadline,
                "window.start",
                $"Escalation ({Format.Span(escalate)} after the request) would come after the approval deadline ({Format.Instant(schedule.ApprovalDeadline, plan.Window.TimeZone)}), so nobody is escalated to.",
                "Schedule the window earlier so approvers have time, or chase approvers directly.");
        }
    }

    private static void CheckChannels(ViolationList v, MaintenancePlan plan, MaintenancePolicy policy)
    {
        var known = policy.Channels.Select(c => c.Name).ToList();
        PolicyRules.KnownIds(v, plan.Notify.Channels, known, "notify.channels", "channel", ViolationCodes.UnknownChannel);
        if (ScheduleRules.Routes(plan, policy).First(r => r.Kind == NoticeKind.PreMaintenance).Channels.Count == 0)
        {
            v.Error(ViolationCodes.NoChannels, "notify.channels", "No channel would carry this window's notices.", "Add channels to the plan's notify.channels or to the policy's type.");
        }
    }

    private static void CheckIncident(ViolationList v, MaintenancePlan plan, MaintenancePolicy policy)
    {
        if (plan.Type == MaintenanceType.Emergency && plan.Incident is null)
        {
            v.Error(ViolationCodes.IncidentRequired, "incident", "Emergency windows must name the incident they respond to.", "Add incident: { level: P1, id: INC-..., summary: ... }.");
        }

        if (plan.Incident is { } incident && policy.IncidentLevels.Count > 0
            && !policy.IncidentLevels.Any(l => ScheduleRules.SameId(l.Level, incident.Level)))
        {
            var levels = policy.IncidentLevels.Select(l => l.Level).ToList();
            v.Error(ViolationCodes.UnknownIncidentLevel, "incident.level", $"'{incident.Level}' is not an incident level of the policy.{Suggest.DidYouMean(incident.Level, levels)}", $"Use one of: {string.Join(", ", levels)}.");
        }
    }

    private static void CheckOwnership(ViolationList v, MaintenancePlan plan, MaintenancePolicy policy)
    {
        for (var i = 0; i < plan.Systems.Count; i++)
        {
            var system = plan.Systems[i];
            var owner = policy.Ownership.FirstOrDefault(o => ScheduleRules.SameId(o.Component, system.Name));
            if (owner is null)
            {
                continue;
            }

            if (system.Team is not null && !ScheduleRules.SameId(system.Team, owner.Owner))
            {
                v.Error(ViolationCodes.OwnerMismatch, $"systems[{i}].team", $"The policy says '{owner.Owner}' patches {owner.Component}, not '{system.Team}'.", $"Set team: {owner.Owner} (or omit it), or update the policy's ownership list.");
            }

            if (owner.Patching == PatchMode.Shutdown && !plan.Impact.Downtime)
            {
                v.Error(ViolationCodes.DowntimeUndeclared, "impact.downtime", $"Patching {owner.Component} needs workloads shut down, but the impact declares no downtime.", "Set impact.downtime: true and describe the outage (expectedDowntime, whatToExpect).");
            }
        }
    }

    private static void CheckLocation(ViolationList v, string? url, string? target, string? targetPath, string path)
    {
        if (TargetPaths.Problem(targetPath) is { } problem)
        {
            v.Error(ViolationCodes.CheckLocation, path + ".path", $"path '{Format.Clip(targetPath!, 200)}' is refused: {problem}.", "Write a path relative to the target's base URL, e.g. path: /beak/system/status; the worker adds the target's credentials, so the path may not point anywhere else.");
        }


        if ((url is null) == (target is null))
        {
            v.Error(ViolationCodes.CheckLocation, path + ".url", url is null ? "Neither url nor target is set." : "Both url and target are set.", "Give either url: (absolute http/https) or target: (a name the worker resolves) plus path:.");
        }
        else if (url is not null && (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)))
        {
            v.Error(ViolationCodes.CheckLocation, path + ".url", $"'{url}' is not an absolute http(s) URL.", "Use e.g. https://api.example.com/beak/system/status, or target: + path:.");
        }
    }

    private static void CheckStatus(ViolationList v, int status, string path)
    {
        if (status is < 100 or > 599)
        {
            v.Error(ViolationCodes.InvalidValue, path, $"{status} is not an HTTP status.", "Use 100-599, e.g. 200.");
        }
    }

    private static string DescribeCadence(MaintenancePolicy policy) =>
        string.Join("; ", policy.Cadence.Select(DescribeSlot)) + $" {policy.TimeZone}";

    private static string DescribeSlot(CadenceSlot slot) => slot.Cron is { } cron
        ? $"cron \"{cron}\" for {Format.Span(slot.Duration ?? TimeSpan.Zero)}"
        : $"{string.Join("/", slot.Days.Select(d => d.ToString()[..3]))} {slot.Start:HH\\:mm}-{slot.End:HH\\:mm}";

    private static string Capitalized(MaintenanceType type) => type.ToString();
}
