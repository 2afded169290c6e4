using System.CommandLine;
using MaintenanceWorkflows.Activities.Notifications;
using MaintenanceWorkflows.Workflows.Plans;

namespace MaintenanceWorkflows.Starter.Commands;

/// <summary>`starter preview plan.yaml [--notice kind] [--html] [--templates dir]`: prints the notices the window would send.</summary>
public static class PreviewCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var plan = PlanInputs.PlanArgument();
        var policy = PlanInputs.PolicyOption();
        var now = PlanInputs.NowOption();
        var notice = new Option<string?>("--notice")
        {
            Description = $"Only this notice kind: {string.Join(", ", Enum.GetValues<NoticeKind>().Select(k => k.ToName()))}.",
        };
        var html = new Option<bool>("--html") { Description = "Also print the HTML flavour." };
        var templates = new Option<string?>("--templates") { Description = "Directory with *.sbn files that replace the embedded templates of the same name." };
        var command = new Command("preview", "Render the notices a plan would send (facts such as completion time are illustrative).") { plan, policy, now, notice, html, templates };
        command.SetAction(parse => Run(
            new Request(parse.GetValue(plan)!, parse.GetValue(policy), parse.GetValue(now), parse.GetValue(notice), parse.GetValue(html), parse.GetValue(templates)),
            output,
            error));
        return command;
    }

    public static int Run(Request request, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(request);
        var kinds = Enum.GetValues<NoticeKind>().ToList();
        if (request.Notice is not null)
        {
            if (!NoticeKinds.TryParse(request.Notice, out var kind))
            {
                error.WriteLine($"error: --notice '{request.Notice}' is not a notice kind; use one of: {string.Join(", ", kinds.Select(k => k.ToName()))}.");
                return PlanInputs.ExitLoadError;
            }

            kinds = [kind];
        }

        if (!PlanInputs.TryParseNow(request.Now, error, out var now))
        {
            return PlanInputs.ExitLoadError;
        }

        NoticeRenderer renderer;
        try
        {
            renderer = NoticeRenderer.Load(request.Templates);
        }
        catch (NoticeTemplateException e)
        {
            error.WriteLine("error: " + e.Message);
            return PlanInputs.ExitLoadError;
        }

        var loaded = PlanInputs.Load(request.Plan, request.Policy, now, error);
        if (loaded is null)
        {
            return PlanInputs.ExitLoadError;
        }

        var violations = PlanValidator.Validate(loaded.Plan, loaded.Policy, now);
        if (violations.HasErrors())
        {
            error.WriteLine($"note: {request.Plan} does not validate ({violations.Count(v => v.Severity == ViolationSeverity.Error)} error(s)); run `starter validate` for details. Previewing anyway.");
        }

        var schedule = ScheduleRules.Derive(loaded.Plan, loaded.Policy, now);
        foreach (var kind in kinds)
        {
            var model = NoticeModel.Create(loaded.Plan, loaded.Policy, kind, IllustrativeFacts(loaded.Plan, loaded.Policy, schedule, kind), schedule);
            var rendered = renderer.Render(kind, model);
            output.WriteLine($"===== {kind.ToName()} -> {string.Join(", ", schedule.ChannelsFor(kind))} =====");
            output.WriteLine($"Subject: {rendered.Subject}");
            output.WriteLine("----- text -----");
            output.Write(rendered.Text);
            output.WriteLine("----- short (chat / status page) -----");
            output.Write(rendered.Short);
            if (request.Html)
            {
                output.WriteLine("----- html -----");
                output.Write(rendered.Html);
            }

            output.WriteLine();
        }

        return PlanInputs.ExitOk;
    }

    /// <summary>Plausible runtime facts so every section of every notice shows up in a preview.</summary>
    private static NoticeFacts IllustrativeFacts(MaintenancePlan plan, MaintenancePolicy policy, WindowSchedule schedule, NoticeKind kind)
    {
        var window = plan.Window;
        var verify = plan.Checks.Where(c => c.RunsVerify).ToList();
        return kind switch
        {
            NoticeKind.Reminder => new NoticeFacts { At = schedule.Reminders.Count > 0 ? schedule.Reminders[0] : window.Start, ReminderNumber = 1 },
            NoticeKind.InProgress => new NoticeFacts { At = window.Start, StartedAt = window.Start },
            NoticeKind.Completion => new NoticeFacts
            {
                At = window.End,
                StartedAt = window.Start,
                CompletedAt = window.End,
                Duration = window.Duration,
                Verification = verify.Select(c => new VerificationLine { Name = c.Title, Passed = true }).ToList(),
            },
            NoticeKind.Rollback => new NoticeFacts
            {
                At = window.End,
                Reason = verify.Count > 0 ? $"verify check '{verify[0].Id}' failed (preview)" : "rollback trigger crossed (preview)",
                RolledBack = plan.Steps.Where(s => s.HasCompensation).Reverse().Select(s => s.Rollback?.Title ?? $"{s.Title}: restored the previous version").ToList(),
                Verification = plan.Checks.Where(c => c.RunsPre).Select(c => new VerificationLine { Name = c.Title, Passed = true, Detail = "preview" }).ToList(),
            },
            NoticeKind.Postponed => new NoticeFacts { At = window.Start, Reason = "a blocking pre-check failed (preview)" },
            NoticeKind.Cancelled => new NoticeFacts { At = schedule.ApprovalDeadline, Reason = "approvals were not received by the deadline (preview)" },
            NoticeKind.Escalation => new NoticeFacts { At = schedule.EscalationAt ?? schedule.ApprovalDeadline, ApprovalsMissing = schedule.RequiredApprovals, Reason = "no approval yet (preview)" },
            NoticeKind.Extended => new NoticeFacts { At = window.End, NewEnd = window.End + policy.Overrun.Extension, Reason = "verification is taking longer than planned (preview)" },
            _ => new NoticeFacts { At = schedule.NoticeAt },
        };
    }

    public sealed record Request(string Plan, string? Policy, string? Now, string? Notice, bool Html, string? Templates);
}
