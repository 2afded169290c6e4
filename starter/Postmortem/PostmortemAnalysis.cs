using System.Globalization;
using MaintenanceWorkflows.Workflows;
using MaintenanceWorkflows.Workflows.Plans;

namespace MaintenanceWorkflows.Starter.Postmortem;

/// <summary>
/// The judgements a postmortem makes from a window's history: outcome, suggested severity, when the
/// problem started, was detected and was resolved, what was undone and what is still in place.
/// </summary>
public sealed record PostmortemAnalysis
{
    public required WindowHistory History { get; init; }

    public required WindowPhase Outcome { get; init; }

    public required string OutcomeSummary { get; init; }

    /// <summary>P1..P4 from the policy, or null when nothing went wrong for users.</summary>
    public string? Severity { get; init; }

    public required string SeverityReason { get; init; }

    public DateTimeOffset? ExecutionStartedAt { get; init; }

    /// <summary>When the change that caused the problem took effect.</summary>
    public DateTimeOffset? IncidentStart { get; init; }

    public DateTimeOffset? DetectedAt { get; init; }

    public string? DetectedBy { get; init; }

    public DateTimeOffset? RollbackStartedAt { get; init; }

    /// <summary>When the system was back to a verified state (rollback verified); null while unresolved.</summary>
    public DateTimeOffset? ResolvedAt { get; init; }

    public required IReadOnlyList<UndoLine> Undone { get; init; }

    public required IReadOnlyList<UndoLine> NotUndone { get; init; }

    public required IReadOnlyList<StepLine> Steps { get; init; }

    public required IReadOnlyList<string> ObservedImpact { get; init; }

    /// <summary>Each rollout step's waves and per-host outcomes.</summary>
    public IReadOnlyList<RolloutSection> Rollouts { get; init; } = [];

    /// <summary>"Now" for durations of a window that is still running: its newest event.</summary>
    public DateTimeOffset Now => History.Closure?.At ?? History.LastEventAt;

    public static PostmortemAnalysis Analyze(WindowHistory history)
    {
        ArgumentNullException.ThrowIfNull(history);
        var report = history.Report;
        var outcome = history.CurrentPhase;
        var inProgress = history.Phases.FirstOrDefault(p => p.Phase == WindowPhase.InProgress);
        var rollingBack = history.Phases.FirstOrDefault(p => p.Phase == WindowPhase.RollingBack);
        var steps = StepLines(history);
        var (detectedAt, detectedBy) = Detection(history, inProgress?.Start);
        var incidentStart = detectedAt is { } detected ? FindIncidentStart(steps, inProgress?.Start, detected) : null;
        DateTimeOffset? resolvedAt = detectedAt is null ? null : history.Phases.FirstOrDefault(p => p.Phase == WindowPhase.RolledBack)?.Start;
        var (undone, notUndone) = UndoLines(history, steps);
        var (severity, severityReason) = JudgeSeverity(history, outcome, rollingBack is not null, notUndone.Count > 0);
        var summary = report?.Summary
            ?? (history.Closure is { } closure
                ? $"the workflow ended as {closure.Status} without a report: {closure.Failure}"
                : $"still running: in {outcome} since {ZoneMath.FormatUtc(history.Phases[^1].Start)} (as of {ZoneMath.FormatUtc(history.LastEventAt)})");
        return new PostmortemAnalysis
        {
            History = history,
            Outcome = outcome,
            OutcomeSummary = summary,
            Severity = severity,
            SeverityReason = severityReason,
            ExecutionStartedAt = report?.ExecutionStartedAt ?? inProgress?.Start,
            IncidentStart = incidentStart,
            DetectedAt = detectedAt,
            DetectedBy = detectedBy,
            RollbackStartedAt = rollingBack?.Start,
            ResolvedAt = resolvedAt,
            Undone = undone,
            NotUndone = notUndone,
            Steps = steps,
            ObservedImpact = DescribeImpact(history, incidentStart, resolvedAt),
            Rollouts = history.Rollouts.Select(RolloutSection.From).ToList(),
        };
    }

    /// <summary>
    /// The first sign of trouble once changes began: a failed step, a failing verification check, an abort or
    /// a cancellation request. Before execution nothing had changed, so there is nothing to detect.
    /// </summary>
    private static (DateTimeOffset? At, string? By) Detection(WindowHistory history, DateTimeOffset? executionStart)
    {
        if (executionStart is not { } start)
        {
            return (null, null);
        }
        var candidates = new List<(DateTimeOffset At, string By)>();
        foreach (var step in history.Steps.Where(s => s.Outcome is ActivityOutcome.Failed or ActivityOutcome.TimedOut))
        {
            candidates.Add((step.ClosedAt ?? step.ScheduledAt, $"step '{step.Subject}' failed: {step.Detail}"));
        }
        foreach (var check in history.Checks.Where(c => c.Stage == CheckStage.Verification && c.CheckResult is { Passed: false }))
        {
            candidates.Add((check.ClosedAt ?? check.ScheduledAt, $"verification check '{check.Subject}' (round {check.Round}): {check.Detail}"));
        }
        foreach (var entry in history.Timeline.Where(t => t.At >= start && t.Category == TimelineCategory.Operator
            && (t.What.StartsWith("abort", StringComparison.Ordinal) || t.What.StartsWith("Temporal cancellation", StringComparison.Ordinal))))
        {
            candidates.Add((entry.At, $"{entry.What} by {entry.Who ?? "(unknown)"}"));
        }
        if (history.Report?.OperatorActions.FirstOrDefault(a => a.By == "policy" && a.Action == "abort") is { } overrun)
        {
            candidates.Add((overrun.At, $"window overrun: {overrun.Reason}"));
        }
        if (candidates.Count == 0)
        {
            return (null, null);
        }
        var first = candidates.MinBy(c => c.At);
        return (first.At, first.By);
    }

    /// <summary>When the harm began: a failing step's start, else the end of the last step that succeeded before detection.</summary>
    private static DateTimeOffset? FindIncidentStart(IReadOnlyList<StepLine> steps, DateTimeOffset? executionStart, DateTimeOffset detectedAt)
    {
        var failing = steps.FirstOrDefault(s => s.Failed && s.StartedAt is { } started && started <= detectedAt);
        if (failing?.StartedAt is { } failingStart)
        {
            return failingStart;
        }
        var lastChange = steps.Where(s => s.Succeeded && s.FinishedAt is { } f && f <= detectedAt).Select(s => s.FinishedAt).Max();
        return lastChange ?? executionStart;
    }

    /// <summary>Steps from the report when the window closed (it knows manual and wait steps too), else from the activities.</summary>
    private static List<StepLine> StepLines(WindowHistory history)
    {
        var attempts = history.Steps.GroupBy(s => s.Subject).ToDictionary(g => g.Key, g => g.Max(s => s.Attempts), StringComparer.Ordinal);
        if (history.Report is { } report)
        {
            return report.Steps.Select(s => new StepLine(
                s.StepId,
                s.Title,
                s.Type,
                s.Outcome.ToString(),
                s.StartedAt,
                s.FinishedAt,
                attempts.GetValueOrDefault(s.StepId, 1),
                s.Detail)).ToList();
        }
        return history.Steps.Select(s => new StepLine(
            s.Subject,
            s.Title,
            history.Plan.Steps.FirstOrDefault(p => p.Id == s.Subject)?.StepType ?? s.ActivityType,
            s.Outcome.ToString(),
            s.ScheduledAt,
            s.ClosedAt,
            s.Attempts,
            s.Detail)).ToList();
    }

    private static (List<UndoLine> Undone, List<UndoLine> NotUndone) UndoLines(WindowHistory history, IReadOnlyList<StepLine> steps)
    {
        var undone = new List<UndoLine>();
        var notUndone = new List<UndoLine>();
        if (history.Report is { } report)
        {
            foreach (var c in report.Compensations)
            {
                (c.Outcome == CompensationOutcome.Undone ? undone : notUndone).Add(new UndoLine(c.StepId, c.Description, c.At, c.Detail));
            }
        }
        else
        {
            foreach (var c in history.Compensations.Where(c => c.Outcome != ActivityOutcome.Running))
            {
                (c.Outcome == ActivityOutcome.Succeeded ? undone : notUndone).Add(new UndoLine(c.Subject, c.Title, c.ClosedAt ?? c.ScheduledAt, c.Detail));
            }
        }
        if (history.Phases.Any(p => p.Phase == WindowPhase.RollingBack) && history.CurrentPhase != WindowPhase.RollingBack)
        {
            // A step that changed something but has no way back stays in place after a rollback.
            foreach (var step in steps.Where(s => s.Succeeded))
            {
                var planned = history.Plan.Steps.FirstOrDefault(p => p.Id == step.StepId);
                if (planned is not null && planned is not WaitStep && !planned.HasCompensation
                    && undone.All(u => u.StepId != step.StepId) && notUndone.All(u => u.StepId != step.StepId))
                {
                    notUndone.Add(new UndoLine(step.StepId, step.Title, step.FinishedAt ?? step.StartedAt ?? history.LastEventAt, "the step has no rollback; its change is still in place"));
                }
            }
        }
        return (undone, notUndone);
    }

    private static (string? Severity, string Reason) JudgeSeverity(WindowHistory history, WindowPhase outcome, bool rolledBack, bool somethingNotUndone)
    {
        var plan = history.Plan;
        var incident = plan.Incident is { } i ? $" The window itself responded to incident {i.Id ?? "(no id)"} ({i.Level}{(i.Summary is null ? string.Empty : $": {i.Summary}")})." : string.Empty;
        if (rolledBack && (outcome == WindowPhase.Failed || somethingNotUndone))
        {
            return ("P1", $"{Level(history, "P1")}: the rollback did not restore everything, so production is still changed; the window escalated at P1.{incident}");
        }
        if (rolledBack && outcome == WindowPhase.RollingBack)
        {
            return ("P2", $"{Level(history, "P2")} (provisional): the change failed verification and the rollback is still under way.{incident}");
        }
        if (rolledBack)
        {
            return ("P2", $"{Level(history, "P2")}: the change failed while live and was rolled back automatically; confirm the level against the impact below.{incident}");
        }
        return outcome switch
        {
            WindowPhase.Completed => (null, $"none: the change went live and passed verification.{incident}"),
            WindowPhase.Cancelled or WindowPhase.Rejected or WindowPhase.Postponed => (null, $"none: the window ended as {outcome} before anything changed.{incident}"),
            WindowPhase.Failed => (null, $"none for users: the window failed before changing anything ({history.Report?.Summary}).{incident}"),
            _ => (null, $"none so far: the window is {outcome}.{incident}"),
        };
    }

    private static string Level(WindowHistory history, string level) =>
        history.Policy.IncidentLevels.FirstOrDefault(l => string.Equals(l.Level, level, StringComparison.OrdinalIgnoreCase)) is { } found
            ? $"{found.Level} ({found.Definition}; respond within {found.ResponseTime}; {found.Escalation})"
            : level;

    private static List<string> DescribeImpact(WindowHistory history, DateTimeOffset? incidentStart, DateTimeOffset? resolvedAt)
    {
        var lines = new List<string>();
        var verification = history.Report?.Verification;
        if (verification is not null)
        {
            lines.Add(string.Create(
                CultureInfo.InvariantCulture,
                $"verification: {verification.RoundsRun}/{verification.PlannedRounds} soak rounds run every {Durations.Format(verification.Interval)}; " +
                $"availability {Percent(verification.AvailabilityPercent)}, error rate {Percent(verification.ErrorRatePercent)}, " +
                $"p{verification.LatencyPercentile} latency {(verification.LatencyAtPercentile is { } l ? Durations.Format(l) : "n/a")}"));
            if (verification.Trigger is { } trigger)
            {
                lines.Add($"rollback trigger: {trigger}");
            }
        }
        else
        {
            var probes = history.Checks.Where(c => c.Stage == CheckStage.Verification && c.CheckResult is not null).ToList();
            if (probes.Count > 0)
            {
                var passed = probes.Count(p => p.CheckResult!.Passed);
                lines.Add(string.Create(
                    CultureInfo.InvariantCulture,
                    $"verification so far: {probes.Select(p => p.Round).Distinct().Count()} round(s), {passed}/{probes.Count} probes passed ({100.0 * passed / probes.Count:0.##}% availability)"));
            }
        }
        if (incidentStart is { } start)
        {
            var end = resolvedAt ?? history.Closure?.At ?? history.LastEventAt;
            lines.Add($"exposure: {Durations.Format(end - start)} from {ZoneMath.FormatUtc(start)} to {(resolvedAt is null ? $"{ZoneMath.FormatUtc(end)} (not resolved)" : ZoneMath.FormatUtc(end))}");
        }
        var failedNotices = history.Notices.SelectMany(n => n.Deliveries.Where(d => d.Status == Workflows.Contracts.DeliveryStatus.Failed).Select(d => $"{n.Subject} on {d.Channel}: {d.Detail}")).ToList();
        if (failedNotices.Count > 0)
        {
            lines.Add($"notices that did not reach their channel: {string.Join("; ", failedNotices)}");
        }
        return lines;
    }

    private static string Percent(double? value) => value is { } v ? string.Create(CultureInfo.InvariantCulture, $"{v:0.##}%") : "n/a";
}

/// <summary>A step as the postmortem lists it.</summary>
public sealed record StepLine(string StepId, string Title, string Type, string Outcome, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, int Attempts, string Detail)
{
    public bool Succeeded => Outcome == nameof(StepOutcome.Succeeded);

    public bool Failed => Outcome is nameof(StepOutcome.Failed) or nameof(ActivityOutcome.TimedOut);
}

/// <summary>A change that was (or could not be) undone.</summary>
public sealed record UndoLine(string StepId, string What, DateTimeOffset At, string Detail);

/// <summary>Durations the way people read them in a postmortem.</summary>
public static class Durations
{
    public static string Format(TimeSpan span)
    {
        if (span < TimeSpan.Zero)
        {
            span = TimeSpan.Zero;
        }
        // Round to the unit shown, so 23:59:59.96 reads as a day rather than "23 h 59 min".
        if (span.TotalHours >= 1)
        {
            span = TimeSpan.FromMinutes(Math.Round(span.TotalMinutes));
        }
        else if (span.TotalMinutes >= 1)
        {
            span = TimeSpan.FromSeconds(Math.Round(span.TotalSeconds));
        }
        if (span.TotalMinutes >= 1)
        {
            // Largest units first, zero parts left out: "1 d", "1 h 45 min", "2 min 05 s".
            var parts = new List<string>();
            if (span.Days > 0)
            {
                parts.Add(string.Create(CultureInfo.InvariantCulture, $"{span.Days} d"));
            }
            if (span.Hours > 0)
            {
                parts.Add(string.Create(CultureInfo.InvariantCulture, $"{span.Hours} h"));
            }
            if (span.Minutes > 0)
            {
                parts.Add(string.Create(CultureInfo.InvariantCulture, $"{span.Minutes} min"));
            }
            if (span.TotalHours < 1 && span.Seconds > 0)
            {
                parts.Add(string.Create(CultureInfo.InvariantCulture, $"{span.Seconds:00} s"));
            }
            return string.Join(' ', parts);
        }
        return span.TotalSeconds >= 1
            ? string.Create(CultureInfo.InvariantCulture, $"{span.TotalSeconds:0.#} s")
            : string.Create(CultureInfo.InvariantCulture, $"{span.TotalMilliseconds:0} ms");
    }
}
