using MaintenanceWorkflows.Workflows;
using ScottPlot;

namespace MaintenanceWorkflows.Starter.Postmortem;

/// <summary>
/// timeline.png: the window's phases, steps, compensations, checks and notices on a UTC time axis. The
/// lead-up (a day of notice) dwarfs the execution (minutes), so the whole lifecycle and the execution
/// each get a panel of their own.
/// </summary>
public static class TimelineChart
{
    public const int Width = 1400;

    private static readonly Dictionary<WindowPhase, Color> PhaseColors = new()
    {
        [WindowPhase.Scheduled] = Color.FromHex("#B0BEC5"),
        [WindowPhase.NoticeSent] = Color.FromHex("#90CAF9"),
        [WindowPhase.AwaitingApproval] = Color.FromHex("#FFE082"),
        [WindowPhase.PreChecks] = Color.FromHex("#CE93D8"),
        [WindowPhase.InProgress] = Color.FromHex("#42A5F5"),
        [WindowPhase.Verifying] = Color.FromHex("#26A69A"),
        [WindowPhase.RollingBack] = Color.FromHex("#FF7043"),
        [WindowPhase.Completed] = Color.FromHex("#66BB6A"),
        [WindowPhase.RolledBack] = Color.FromHex("#FFA726"),
        [WindowPhase.Postponed] = Color.FromHex("#BDBDBD"),
        [WindowPhase.Cancelled] = Color.FromHex("#9E9E9E"),
        [WindowPhase.Rejected] = Color.FromHex("#8D6E63"),
        [WindowPhase.Failed] = Color.FromHex("#E53935"),
    };

    private static readonly Color Succeeded = Color.FromHex("#43A047");
    private static readonly Color Failed = Color.FromHex("#E53935");
    private static readonly Color Running = Color.FromHex("#FDD835");
    private static readonly Color Undo = Color.FromHex("#FB8C00");
    private static readonly Color WaveShade = Color.FromHex("#81C784");
    private static readonly Color Notice = Color.FromHex("#5C6BC0");

    /// <summary>Writes the chart; returns the number of rows drawn in the execution panel (0 when nothing ran).</summary>
    public static int Save(PostmortemAnalysis analysis, string path)
    {
        ArgumentNullException.ThrowIfNull(analysis);
        var h = analysis.History;
        var now = analysis.Now;
        var executionStart = h.Phases.FirstOrDefault(p => p.Phase == WindowPhase.PreChecks)?.Start;
        var rows = executionStart is { } from ? ExecutionRows(h, from, now) : [];

        var multiplot = new Multiplot();
        var lifecycle = new Plot();
        DrawLifecycle(lifecycle, h, now);
        multiplot.Reset(lifecycle);
        if (rows.Count > 0)
        {
            var execution = new Plot();
            DrawExecution(execution, h, rows, executionStart!.Value, now);
            multiplot.AddPlot(execution);
        }
        var layout = new ScottPlot.MultiplotLayouts.DraggableRows();
        multiplot.Layout = layout;
        var lifecycleHeight = 300;
        var executionHeight = rows.Count == 0 ? 0 : 140 + (rows.Count * 34);
        layout.SetHeights(rows.Count == 0 ? [lifecycleHeight] : [lifecycleHeight, executionHeight]);
        multiplot.SavePng(path, Width, lifecycleHeight + executionHeight);
        return rows.Count;
    }

    private static void DrawLifecycle(Plot plot, WindowHistory h, DateTimeOffset now)
    {
        plot.Title($"{h.WindowId}: {h.Plan.Title} - {h.CurrentPhase}{(h.IsRunning ? " (running)" : string.Empty)}");
        plot.XLabel("time (UTC)");
        var plannedStart = X(h.Plan.Window.Start);
        var plannedEnd = X(h.WindowEnds[^1]);
        var first = X(h.StartedAt);
        var last = Math.Max(X(now), plannedEnd);
        var minimum = (last - first) * 0.004;
        var planned = plot.Add.HorizontalSpan(plannedStart, plannedEnd, Color.FromHex("#1E88E5").WithAlpha(0.12));
        planned.LegendText = "planned window";
        foreach (var phase in h.Phases)
        {
            var left = X(phase.Start);
            var right = Math.Max(X(phase.End ?? now), left + minimum);
            var rectangle = plot.Add.Rectangle(left, right, 2 - 0.35, 2 + 0.35);
            rectangle.FillColor = PhaseColors[phase.Phase];
            rectangle.LineWidth = 0;
        }
        foreach (var notice in h.Notices)
        {
            plot.Add.Marker(X(notice.ClosedAt ?? notice.ScheduledAt), 1, MarkerShape.FilledDiamond, 9, Notice);
        }
        Rows(plot, ["phases", "notices"]);
        plot.Axes.DateTimeTicksBottom();
        var pad = Math.Max((last - first) * 0.02, 1.0 / 24 / 60);
        plot.Axes.SetLimitsX(first - pad, last + pad);
        Legend(plot, h.Phases.Select(p => p.Phase).Distinct());
    }

    private static void DrawExecution(Plot plot, WindowHistory h, IReadOnlyList<ChartRow> rows, DateTimeOffset from, DateTimeOffset now)
    {
        plot.Title("execution: pre-checks to close");
        plot.XLabel("time (UTC)");
        var labels = new List<string>();
        for (var i = 0; i < rows.Count; i++)
        {
            var y = rows.Count - i;
            var row = rows[i];
            labels.Add(row.Label);
            foreach (var bar in row.Bars)
            {
                var left = X(bar.Start);
                var right = Math.Max(X(bar.End), left + MinimumWidth(from, now));
                var rectangle = plot.Add.Rectangle(left, right, y - 0.35, y + 0.35);
                rectangle.FillColor = bar.Color;
                rectangle.LineWidth = 0;
            }
            foreach (var marker in row.Markers)
            {
                plot.Add.Marker(X(marker.At), y, marker.Shape, 8, marker.Color);
            }
        }
        Rows(plot, labels);
        plot.Axes.DateTimeTicksBottom();
        var pad = Math.Max((X(now) - X(from)) * 0.02, 1.0 / 24 / 3600 / 1000);
        plot.Axes.SetLimitsX(X(from) - pad, X(now) + pad);
        plot.Axes.SetLimitsY(0.3, rows.Count + 0.7);
    }

    /// <summary>Phases, then each step, each compensation, the checks, and the notices, top to bottom.</summary>
    private static List<ChartRow> ExecutionRows(WindowHistory h, DateTimeOffset from, DateTimeOffset now)
    {
        var rows = new List<ChartRow>
        {
            new("phases", h.Phases.Where(p => (p.End ?? now) >= from).Select(p => new Bar(p.Start < from ? from : p.Start, p.End ?? now, PhaseColors[p.Phase])).ToList(), []),
        };
        foreach (var step in h.Steps.GroupBy(s => s.Subject))
        {
            rows.Add(new($"step {step.Key}", step.Select(s => new Bar(s.ScheduledAt, s.End(now), OutcomeColor(s.Outcome, Succeeded))).ToList(), []));
        }
        foreach (var rollout in h.Rollouts)
        {
            // One bar per wave (alternating shades so neighbouring waves stay apart), red where a host failed.
            var waves = rollout.Patch?.Waves ?? [];
            var bars = waves.Count > 0
                ? waves.Select((w, i) => new Bar(w.StartedAt, w.FinishedAt ?? rollout.ClosedAt ?? now, w.Failed > 0 ? Failed : i % 2 == 0 ? Succeeded : WaveShade)).ToList()
                : [new Bar(rollout.StartedAt, rollout.ClosedAt ?? now, rollout.ClosedAt is null ? Running : Failed)];
            rows.Add(new($"rollout {rollout.Step.Id} ({waves.Count} wave(s))", bars, []));
            if (rollout.UndoStartedAt is { } undoStart)
            {
                rows.Add(new($"undo rollout {rollout.Step.Id}", [new Bar(undoStart, rollout.UndoClosedAt ?? now, rollout.UndoClosedAt is null ? Running : rollout.Undo?.Outcome == Workflows.Rollout.RolloutOutcome.Undone ? Undo : Failed)], []));
            }
        }
        foreach (var undo in h.Compensations.GroupBy(s => s.Subject))
        {
            rows.Add(new($"undo {undo.Key}", undo.Select(s => new Bar(s.ScheduledAt, s.End(now), OutcomeColor(s.Outcome, Undo))).ToList(), []));
        }
        var checks = h.Checks.Where(c => c.ScheduledAt >= from).ToList();
        if (checks.Count > 0)
        {
            rows.Add(new("checks", [], checks.Select(c => new Mark(
                c.ClosedAt ?? c.ScheduledAt,
                c.CheckResult?.Passed == true ? MarkerShape.FilledCircle : MarkerShape.Cross,
                c.CheckResult?.Passed == true ? Succeeded : c.Outcome == ActivityOutcome.Running ? Running : Failed)).ToList()));
        }
        var notices = h.Notices.Where(n => n.ScheduledAt >= from).ToList();
        if (notices.Count > 0)
        {
            rows.Add(new("notices", [], notices.Select(n => new Mark(n.ClosedAt ?? n.ScheduledAt, MarkerShape.FilledDiamond, Notice)).ToList()));
        }
        return rows;
    }

    private static Color OutcomeColor(ActivityOutcome outcome, Color success) => outcome switch
    {
        ActivityOutcome.Succeeded => success,
        ActivityOutcome.Running => Running,
        _ => Failed,
    };

    /// <summary>Labels the rows, top first: row i sits at y = count - i.</summary>
    private static void Rows(Plot plot, IReadOnlyList<string> labels)
    {
        var positions = Enumerable.Range(0, labels.Count).Select(i => (double)(labels.Count - i)).ToArray();
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(positions, labels.ToArray());
        plot.Axes.SetLimitsY(0.3, labels.Count + 0.7);
        plot.Grid.YAxisStyle.IsVisible = false;
    }

    private static void Legend(Plot plot, IEnumerable<WindowPhase> phases)
    {
        foreach (var phase in phases)
        {
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = phase.ToString(), FillColor = PhaseColors[phase] });
        }
        plot.Legend.ManualItems.Add(new LegendItem { LabelText = "notice", MarkerShape = MarkerShape.FilledDiamond, MarkerFillColor = Notice, MarkerLineColor = Notice, MarkerSize = 9 });
        plot.Legend.Orientation = Orientation.Horizontal;
        plot.ShowLegend(Edge.Bottom);
    }

    /// <summary>So a step of a few milliseconds still shows as a sliver: 0.3% of the panel.</summary>
    private static double MinimumWidth(DateTimeOffset from, DateTimeOffset to) => Math.Max(X(to) - X(from), 1e-9) * 0.003;

    private static double X(DateTimeOffset at) => at.UtcDateTime.ToOADate();

    private sealed record ChartRow(string Label, IReadOnlyList<Bar> Bars, IReadOnlyList<Mark> Markers);

    private sealed record Bar(DateTimeOffset Start, DateTimeOffset End, Color Color);

    private sealed record Mark(DateTimeOffset At, MarkerShape Shape, Color Color);
}
