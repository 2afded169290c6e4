using System.Globalization;
using System.Text;
using MaintenanceWorkflows.Workflows;
using MaintenanceWorkflows.Workflows.Contracts;
using MaintenanceWorkflows.Workflows.Plans;
using Scriban;
using Scriban.Runtime;

namespace MaintenanceWorkflows.Starter.Postmortem;

/// <summary>Renders postmortem.md from the embedded Scriban template (strict: a misspelt field is an error, not a blank).</summary>
public static class PostmortemRenderer
{
    private const string TemplateResource = "MaintenanceWorkflows.Postmortem.postmortem.md.sbn";

    private static readonly Lazy<Template> Markdown = new(Load);

    public static string Render(PostmortemAnalysis analysis, DateTimeOffset generatedAt)
    {
        ArgumentNullException.ThrowIfNull(analysis);
        var model = new ScriptObject();
        model.Import(View(analysis, generatedAt));
        var context = new TemplateContext { StrictVariables = true, LoopLimit = 0 };
        context.PushGlobal(model);
        return Markdown.Value.Render(context).Replace("\r\n", "\n", StringComparison.Ordinal);
    }

    private static Template Load()
    {
        using var stream = typeof(PostmortemRenderer).Assembly.GetManifestResourceStream(TemplateResource)
            ?? throw new InvalidOperationException($"the postmortem template {TemplateResource} is not embedded in the starter");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var template = Template.Parse(reader.ReadToEnd(), "postmortem.md.sbn");
        if (template.HasErrors)
        {
            throw new InvalidOperationException($"the postmortem template does not parse: {string.Join("; ", template.Messages)}");
        }
        return template;
    }

    private static PostmortemView View(PostmortemAnalysis a, DateTimeOffset generatedAt)
    {
        var h = a.History;
        var plan = h.Plan;
        var report = h.Report;
        var zone = plan.Window.TimeZone;
        var now = a.Now;
        return new PostmortemView
        {
            WindowId = h.WindowId,
            RunId = h.RunId,
            Title = Cell(plan.Title),
            Type = plan.Type.ToString().ToLowerInvariant(),
            Priority = plan.Priority.ToString().ToLowerInvariant(),
            Requester = Cell(plan.Requester),
            Scope = Cell(plan.Scope),
            Reason = plan.Reason is null ? null : Cell(plan.Reason),
            Systems = plan.Systems.Count == 0 ? "(none listed)" : Cell(string.Join(", ", plan.Systems.Select(s => s.Name))),
            WindowPlanned = $"{ZoneMath.FormatUtc(plan.Window.Start)} - {ZoneMath.FormatUtc(h.WindowEnds[^1])} ({ZoneMath.FormatLocal(plan.Window.Start, zone)} - {ZoneMath.FormatLocal(h.WindowEnds[^1], zone)})" +
                (h.WindowEnds.Count > 1 ? $"; end extended from {ZoneMath.FormatUtc(plan.Window.End)}" : string.Empty),
            State = h.Closure is { } closure ? $"closed ({closure.Status}) at {Utc(closure.At)}" : $"RUNNING - as of the last event at {Utc(h.LastEventAt)}",
            Generated = Utc(generatedAt),
            Outcome = h.IsRunning ? $"RUNNING (in {a.Outcome})" : a.Outcome.ToString(),
            OutcomeSummary = Cell(a.OutcomeSummary),
            Severity = a.Severity ?? "none",
            SeverityReason = Cell(a.SeverityReason),
            ImpactExpected = Cell($"{plan.Impact.Summary}{(plan.Impact.Downtime ? $" Downtime expected{(plan.Impact.ExpectedDowntime is { } d ? $": ~{Durations.Format(d)}" : string.Empty)}." : " No downtime expected.")}"),
            ImpactObserved = a.ObservedImpact.Select(Cell).ToList(),
            ExecutionStarted = Utc(a.ExecutionStartedAt, "never: nothing was changed"),
            IncidentStart = Utc(a.IncidentStart, "n/a (no incident)"),
            DetectedAt = Utc(a.DetectedAt, "n/a"),
            DetectedBy = a.DetectedBy is null ? null : Cell(a.DetectedBy),
            RollbackStarted = Utc(a.RollbackStartedAt, "n/a"),
            ResolvedAt = a.DetectedAt is null ? "n/a" : Utc(a.ResolvedAt, "NOT RESOLVED"),
            TimeToDetect = a.IncidentStart is { } s && a.DetectedAt is { } d1 ? Durations.Format(d1 - s) : "n/a",
            TimeToResolve = a.DetectedAt is { } d2 ? (a.ResolvedAt is { } r ? Durations.Format(r - d2) : $"unresolved after {Durations.Format(now - d2)}") : "n/a",
            Phases = h.Phases.Select(p => new PhaseView(p.Phase.ToString(), Utc(p.Start), p.End is { } end ? Utc(end) : (p.Phase.IsFinal() ? "(final)" : "(current)"), p.Phase.IsFinal() && p.End is not null ? "-" : Durations.Format(p.DurationUntil(now)))).ToList(),
            Votes = h.Votes.Select(v => new VoteView(
                Utc(v.At),
                Cell(v.Approver),
                v.Decision.ToString(),
                v.Via.ToString().ToLowerInvariant(),
                Cell(!v.Settled
                    ? $"received{(v.Comment is null ? string.Empty : $": \"{v.Comment}\"")}; not yet settled (the window lists refusals when it reports)"
                    : v.Recorded ? $"recorded{(v.Comment is null ? string.Empty : $": \"{v.Comment}\"")}" : $"refused: {v.RefusedBecause}"))).ToList(),
            Steps = a.Steps.Select(s => new StepView(
                Cell(s.StepId),
                Cell(s.Title),
                s.Type,
                s.Outcome,
                Utc(s.StartedAt, "-"),
                s.StartedAt is { } started ? (s.FinishedAt is { } f ? Durations.Format(f - started) : $"running {Durations.Format(now - started)}") : "-",
                s.Attempts,
                Cell(s.Detail))).ToList(),
            PreChecks = (report?.PreChecks ?? h.Checks.Where(c => c.Stage == CheckStage.PreCheck && c.CheckResult is not null).Select(c => c.CheckResult!).ToList()).Select(ToCheckView).ToList(),
            Verification = VerificationViews(h),
            RollbackChecks = (report?.RollbackVerification ?? h.Checks.Where(c => c.Stage == CheckStage.RollbackVerification && c.CheckResult is not null).Select(c => c.CheckResult!).ToList()).Select(ToCheckView).ToList(),
            Undone = a.Undone.Select(ToUndoView).ToList(),
            NotUndone = a.NotUndone.Select(ToUndoView).ToList(),
            Notices = h.Notices.Select(n => new NoticeView(
                Utc(n.ClosedAt ?? n.ScheduledAt),
                n.Subject,
                Cell(n.Outcome == ActivityOutcome.Succeeded
                    ? string.Join(", ", n.Deliveries.Select(d => $"{d.Channel}: {d.Status}{(d.Status == DeliveryStatus.Delivered ? string.Empty : $" ({d.Detail})")}"))
                    : $"{n.Outcome}: {n.Detail}"))).ToList(),
            Timeline = h.Timeline.Select(t => new TimelineView(Utc(t.At), t.Category.ToString().ToLowerInvariant(), Cell(t.Who ?? string.Empty), Cell(t.What))).ToList(),
            Rollouts = a.Rollouts.Select(ToRolloutView).ToList(),
        };
    }

    private static List<VerificationView> VerificationViews(WindowHistory h)
    {
        if (h.Report?.Verification is { } verification)
        {
            return verification.Checks.Select(c => new VerificationView(Cell(c.CheckId), Cell(c.Title), $"{c.Passed}/{c.Runs}", Cell(c.LastObserved ?? "-"))).ToList();
        }
        return h.Checks.Where(c => c.Stage == CheckStage.Verification && c.CheckResult is not null)
            .GroupBy(c => c.Subject)
            .Select(g => new VerificationView(Cell(g.Key), Cell(g.First().Title), $"{g.Count(c => c.CheckResult!.Passed)}/{g.Count()}", Cell(g.Last().CheckResult!.Observed)))
            .ToList();
    }

    private static CheckView ToCheckView(CheckResult c) =>
        new(Cell(c.CheckId), Cell(c.Name), c.Status.ToString().ToUpperInvariant(), Cell(c.Observed), Cell(string.IsNullOrEmpty(c.Threshold) ? "-" : c.Threshold), Cell(c.Message));

    private static RolloutView ToRolloutView(RolloutSection r) => new()
    {
        Id = Cell(r.StepId),
        Title = Cell(r.Title),
        Outcome = Cell(r.Outcome),
        Summary = Cell(r.Summary),
        Counts = r.Hosts == 0 ? null : $"{r.Hosts} host(s): {r.Patched} patched, {r.Failed} failed, {r.NotStarted} not started, {r.RolledBack} rolled back{(r.RollbackAsked ? $", {r.StillChanged} still changed" : string.Empty)}",
        Waves = r.Waves.Select(w => new WaveView(
            Cell(w.Name),
            w.Hosts,
            w.Done,
            w.Failed,
            Utc(w.StartedAt),
            Utc(w.FinishedAt, "(running)"),
            Cell(w.Note ?? "-"))).ToList(),
        Hosts = r.HostRows.Select(host => new HostView(Cell(host.Host), Cell(host.Wave), Cell(host.Result), Utc(host.At, "-"), Cell(host.RolledBack))).ToList(),
        Collapsed = r.Collapsed
            ? $"{r.Hosts} hosts: only the hosts that did not end patched are listed{(r.HostsNotListed > 0 ? $" (the first {r.HostRows.Count}; {r.HostsNotListed} more not listed)" : string.Empty)}; the others are counted per wave above."
            : null,
    };

    private static UndoView ToUndoView(UndoLine u) => new(Cell(u.StepId), Cell(u.What), Utc(u.At), Cell(u.Detail));

    private static string Utc(DateTimeOffset at) => at.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    private static string Utc(DateTimeOffset? at, string otherwise) => at is { } value ? Utc(value) : otherwise;

    /// <summary>Markdown table cells end at a pipe or a line break, so both are escaped.</summary>
    private static string Cell(string text) =>
        text.Replace("|", "\\|", StringComparison.Ordinal).Replace("\r", string.Empty, StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);

    private sealed record PostmortemView
    {
        public required string WindowId { get; init; }

        public string? RunId { get; init; }

        public required string Title { get; init; }

        public required string Type { get; init; }

        public required string Priority { get; init; }

        public required string Requester { get; init; }

        public required string Scope { get; init; }

        public string? Reason { get; init; }

        public required string Systems { get; init; }

        public required string WindowPlanned { get; init; }

        public required string State { get; init; }

        public required string Generated { get; init; }

        public required string Outcome { get; init; }

        public required string OutcomeSummary { get; init; }

        public required string Severity { get; init; }

        public required string SeverityReason { get; init; }

        public required string ImpactExpected { get; init; }

        public required IReadOnlyList<string> ImpactObserved { get; init; }

        public required string ExecutionStarted { get; init; }

        public required string IncidentStart { get; init; }

        public required string DetectedAt { get; init; }

        public string? DetectedBy { get; init; }

        public required string RollbackStarted { get; init; }

        public required string ResolvedAt { get; init; }

        public required string TimeToDetect { get; init; }

        public required string TimeToResolve { get; init; }

        public required IReadOnlyList<PhaseView> Phases { get; init; }

        public required IReadOnlyList<VoteView> Votes { get; init; }

        public required IReadOnlyList<StepView> Steps { get; init; }

        public required IReadOnlyList<CheckView> PreChecks { get; init; }

        public required IReadOnlyList<VerificationView> Verification { get; init; }

        public required IReadOnlyList<CheckView> RollbackChecks { get; init; }

        public required IReadOnlyList<UndoView> Undone { get; init; }

        public required IReadOnlyList<UndoView> NotUndone { get; init; }

        public required IReadOnlyList<NoticeView> Notices { get; init; }

        public required IReadOnlyList<TimelineView> Timeline { get; init; }

        public required IReadOnlyList<RolloutView> Rollouts { get; init; }
    }

    private sealed record RolloutView
    {
        public required string Id { get; init; }

        public required string Title { get; init; }

        public required string Outcome { get; init; }

        public required string Summary { get; init; }

        public string? Counts { get; init; }

        public required IReadOnlyList<WaveView> Waves { get; init; }

        public required IReadOnlyList<HostView> Hosts { get; init; }

        public string? Collapsed { get; init; }
    }

    private sealed record WaveView(string Name, int Hosts, int Done, int Failed, string Started, string Finished, string Note);

    private sealed record HostView(string Host, string Wave, string Result, string When, string RolledBack);

    private sealed record PhaseView(string Phase, string Start, string End, string Duration);

    private sealed record VoteView(string Time, string Approver, string Decision, string Via, string Result);

    private sealed record StepView(string Id, string Title, string Type, string Outcome, string Started, string Duration, int Attempts, string Detail);

    private sealed record CheckView(string Id, string Name, string Status, string Observed, string Expected, string Message);

    private sealed record VerificationView(string Id, string Name, string Passed, string Observed);

    private sealed record UndoView(string Step, string What, string Time, string Detail);

    private sealed record NoticeView(string Time, string Kind, string Deliveries);

    private sealed record TimelineView(string Time, string Kind, string Who, string What);
}
