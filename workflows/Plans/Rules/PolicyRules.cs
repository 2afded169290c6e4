using System.Text.RegularExpressions;

namespace MaintenanceWorkflows.Workflows.Plans;

/// <summary>Consistency of a policy on its own (every name it uses is defined, thresholds make sense).</summary>
public static partial class PolicyRules
{
    public static IReadOnlyList<PlanViolation> Validate(MaintenancePolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var v = new ViolationList();
        CheckZone(v, policy.TimeZone, "policy.timeZone");

        var channels = policy.Channels.Select(c => c.Name).ToList();
        var approvers = policy.Approvals.Approvers.Select(a => a.Id).ToList();
        v.Duplicates(policy.Channels.Select((c, i) => (c.Name, $"policy.channels[{i}]")), "channel");
        v.Duplicates(policy.Approvals.Approvers.Select((a, i) => (a.Id, $"policy.approvals.approvers[{i}]")), "approver");
        v.Duplicates(policy.Freezes.Select((f, i) => (f.Id, $"policy.freezes[{i}]")), "freeze");
        v.Duplicates(policy.Blackouts.Select((b, i) => (b.Id, $"policy.blackouts[{i}]")), "blackout");
        v.Duplicates(policy.Approvals.Gates.Select((g, i) => (g.Id, $"policy.approvals.gates[{i}]")), "gate");
        v.Duplicates(policy.IncidentLevels.Select((l, i) => (l.Level, $"policy.incidentLevels[{i}]")), "incident level");

        for (var i = 0; i < policy.Cadence.Count; i++)
        {
            CheckSlot(v, policy.Cadence[i], $"policy.cadence[{i}]");
        }

        foreach (var type in Enum.GetValues<MaintenanceType>())
        {
            CheckType(v, policy, type, channels, approvers);
        }

        for (var i = 0; i < policy.Approvals.Gates.Count; i++)
        {
            var gate = policy.Approvals.Gates[i];
            var path = $"policy.approvals.gates[{i}]";
            if (!StepTypes.All.Contains(gate.StepType))
            {
                v.Error(ViolationCodes.InvalidValue, path + ".stepType", $"'{gate.StepType}' is not a step type.{Suggest.DidYouMean(gate.StepType, StepTypes.All)}", $"Use one of: {string.Join(", ", StepTypes.All)}.");
            }

            if (gate.Approvers.Count == 0)
            {
                v.Error(ViolationCodes.InvalidValue, path + ".approvers", "The gate names no approver, so nobody could ever pass it.", "List at least one approver id.");
            }

            KnownIds(v, gate.Approvers, approvers, path + ".approvers", "approver", ViolationCodes.UnknownApprover);
        }

        KnownIds(v, policy.Approvals.Channels, channels, "policy.approvals.channels", "channel", ViolationCodes.UnknownChannel);
        KnownIds(v, policy.Approvals.EscalationChannels, channels, "policy.approvals.escalationChannels", "channel", ViolationCodes.UnknownChannel);

        for (var i = 0; i < policy.Freezes.Count; i++)
        {
            var freeze = policy.Freezes[i];
            if (freeze.End <= freeze.Start)
            {
                v.Error(ViolationCodes.WindowEndBeforeStart, $"policy.freezes[{i}].end", $"Freeze '{freeze.Id}' ends ({Format.Iso(freeze.End)}) before it starts ({Format.Iso(freeze.Start)}).", "Set end after start.");
            }

            KnownIds(v, freeze.OverrideApprovers, approvers, $"policy.freezes[{i}].overrideApprovers", "approver", ViolationCodes.UnknownApprover);
        }

        for (var i = 0; i < policy.Blackouts.Count; i++)
        {
            var blackout = policy.Blackouts[i];
            var path = $"policy.blackouts[{i}]";
            if (blackout.TimeZone is not null)
            {
                CheckZone(v, blackout.TimeZone, path + ".timeZone");
            }

            if (blackout.Start == blackout.End)
            {
                v.Error(ViolationCodes.InvalidValue, path, $"Blackout '{blackout.Id}' starts and ends at the same time.", "Give the job's real start and end times.");
            }

            foreach (var day in blackout.DaysOfMonth.Where(d => d is < 1 or > 31))
            {
                v.Error(ViolationCodes.InvalidValue, path + ".daysOfMonth", $"{day} is not a day of the month.", "Use 1 to 31.");
            }
        }

        if (policy.Rollback.Deadline <= TimeSpan.Zero)
        {
            v.Error(ViolationCodes.InvalidValue, "policy.rollback.deadline", "The rollback deadline must be positive.", "Set deadline, e.g. 2h.");
        }

        if (policy.Rollback.EscalateEvery <= TimeSpan.Zero)
        {
            v.Error(ViolationCodes.InvalidValue, "policy.rollback.escalateEvery", "The rollback escalation interval must be positive.", "Set escalateEvery, e.g. 15m.");
        }

        foreach (var (name, type) in new[] { ("routine", policy.Types.Routine), ("urgent", policy.Types.Urgent), ("emergency", policy.Types.Emergency) })
        {
            if (type.StartGrace < TimeSpan.Zero)
            {
                v.Error(ViolationCodes.InvalidValue, $"policy.types.{name}.startGrace", "The start grace must not be negative.", "Set startGrace, e.g. 30m (0 means the window must start on time).");
            }
        }

        if (policy.Overrun.Action == OverrunAction.Extend && policy.Overrun.Extension <= TimeSpan.Zero)
        {
            v.Error(ViolationCodes.InvalidValue, "policy.overrun.extension", "Overrun action is extend but the extension is not positive.", "Set extension, e.g. 30m.");
        }

        CheckVerification(v, policy.Verification, "policy.verification");
        return v;
    }

    private static void CheckSlot(ViolationList v, CadenceSlot slot, string path)
    {
        const string Forms = "Keep either days, start and end (e.g. days: [Tuesday, Thursday], start: 02:00, end: 04:00) or cron and duration (e.g. cron: \"0 2 * * TUE,THU\", duration: 2h).";
        var daysForm = slot.Start is not null || slot.End is not null || slot.Days.Count > 0;
        var cronForm = slot.Cron is not null || slot.Duration is not null;
        if (daysForm == cronForm)
        {
            v.Error(ViolationCodes.InvalidValue, path, daysForm ? "The slot mixes the day/time form and the cron form." : "The slot gives neither days, start and end nor cron and duration.", Forms);
            return;
        }

        if (cronForm)
        {
            if (slot.Cron is null)
            {
                v.Error(ViolationCodes.InvalidValue, path + ".cron", "The slot has a duration but no cron expression.", $"Add cron: {CronExpression.Hint}.");
            }
            else if (!CronExpression.TryParse(slot.Cron, out _, out var error))
            {
                v.Error(ViolationCodes.InvalidValue, path + ".cron", $"cron \"{slot.Cron}\": {error}", $"Write {CronExpression.Hint}.");
            }

            if (slot.Duration is not { } duration || duration <= TimeSpan.Zero)
            {
                v.Error(ViolationCodes.InvalidValue, path + ".duration", "A cron slot needs a positive duration.", "Set duration to the slot's length, e.g. 2h.");
            }

            return;
        }

        if (slot.Days.Count == 0)
        {
            v.Error(ViolationCodes.InvalidValue, path + ".days", "The slot lists no days.", "List the weekdays, e.g. days: [Tuesday, Thursday].");
        }

        if (slot.Start is null || slot.End is null)
        {
            v.Error(ViolationCodes.InvalidValue, path, "The slot lacks a start or an end.", "Give both, e.g. start: 02:00, end: 04:00.");
        }
        else if (slot.Start == slot.End)
        {
            v.Error(ViolationCodes.InvalidValue, path, "The slot starts and ends at the same time.", "Give the slot an end after its start, e.g. 02:00-04:00.");
        }
    }

    internal static void CheckZone(ViolationList v, string zone, string path)
    {
        if (ZoneMath.FindZone(zone) is null)
        {
            var suggestions = ZoneMath.SuggestZones(zone ?? string.Empty);
            v.Error(
                ViolationCodes.UnknownTimeZone,
                path,
                $"'{zone}' is not an IANA time zone id.",
                suggestions.Count > 0 ? $"Did you mean {string.Join(" or ", suggestions.Select(s => $"'{s}'"))}?" : "Use an IANA id such as America/Los_Angeles or UTC.");
        }
    }

    internal static void CheckVerification(ViolationList v, VerificationSettings settings, string path)
    {
        if (settings.Interval <= TimeSpan.Zero)
        {
            v.Error(ViolationCodes.VerificationInterval, path + ".interval", "The verification interval must be positive.", "Set interval, e.g. 1m.");
        }
        else if (settings.Interval > settings.Soak)
        {
            v.Error(ViolationCodes.VerificationInterval, path + ".interval", $"The interval ({Format.Span(settings.Interval)}) is longer than the soak ({Format.Span(settings.Soak)}), so checks would run once at most.", "Make the interval shorter than the soak.");
        }
    }

    internal static void KnownIds(ViolationList v, IReadOnlyList<string> used, IReadOnlyList<string> known, string path, string what, string code)
    {
        for (var i = 0; i < used.Count; i++)
        {
            if (!known.Contains(used[i], StringComparer.OrdinalIgnoreCase))
            {
                v.Error(
                    code,
                    $"{path}[{i}]",
                    $"'{used[i]}' is not a {what} the policy defines.{Suggest.DidYouMean(used[i], known)}",
                    known.Count == 0 ? $"Define the {what} in the policy first." : $"Use one of: {string.Join(", ", known)}.");
            }
        }
    }

    internal static bool IsSlug(string id) => SlugPattern().IsMatch(id);

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]*$")]
    private static partial Regex SlugPattern();

    private static void CheckType(ViolationList v, MaintenancePolicy policy, MaintenanceType type, IReadOnlyList<string> channels, IReadOnlyList<string> approvers)
    {
        var rules = policy.Types.For(type);
        var path = $"policy.types.{Format.Type(type)}";
        if (rules.Notice < TimeSpan.Zero)
        {
            v.Error(ViolationCodes.InvalidValue, path + ".notice", "The notice period is negative.", "Use 0s or more.");
        }

        if (rules.RequiresCadence && policy.Cadence.Count == 0)
        {
            v.Error(ViolationCodes.InvalidValue, path + ".requiresCadence", $"{type} windows must fit the cadence, but the policy defines no cadence.", "Add cadence slots or set requiresCadence: false.");
        }

        if (!rules.AllChannels && rules.Channels.Count == 0)
        {
            v.Error(ViolationCodes.NoChannels, path + ".channels", $"{type} notices go to no channel.", "List channels or set allChannels: true.");
        }

        KnownIds(v, rules.Channels, channels, path + ".channels", "channel", ViolationCodes.UnknownChannel);
        KnownIds(v, rules.Approval.Approvers, approvers, path + ".approval.approvers", "approver", ViolationCodes.UnknownApprover);
        for (var i = 0; i < rules.Reminders.Count; i++)
        {
            if (rules.Reminders[i] <= TimeSpan.Zero)
            {
                v.Error(ViolationCodes.InvalidValue, $"{path}.reminders[{i}]", "A reminder must come before the start.", "Use a positive lead, e.g. 1h.");
            }
        }

        if (rules.Approval.Required < 0)
        {
            v.Error(ViolationCodes.InvalidValue, path + ".approval.required", "The approval count is negative.", "Use 0 or more.");
        }

        if (rules.Approval.DeadlineBeforeStart is not null && rules.Approval.DeadlineAfterRequest is not null)
        {
            v.Error(ViolationCodes.InvalidValue, path + ".approval", "Both deadlineBeforeStart and deadlineAfterRequest are set.", "Keep one of them.");
        }
    }
}
