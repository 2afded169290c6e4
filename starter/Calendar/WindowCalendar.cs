using MaintenanceWorkflows.Starter.Postmortem;
using MaintenanceWorkflows.Workflows;
using MaintenanceWorkflows.Workflows.Plans;
using Temporalio.Api.Enums.V1;
using Temporalio.Client;
using Temporalio.Converters;

namespace MaintenanceWorkflows.Starter.Calendar;

/// <summary>One window as the calendar shows it.</summary>
public sealed record CalendarWindow
{
    public required string WindowId { get; init; }

    public required string Title { get; init; }

    public required string Type { get; init; }

    /// <summary>The window's phase (its <c>Phase</c> search attribute).</summary>
    public required string Phase { get; init; }

    public required WorkflowExecutionStatus Status { get; init; }

    public required DateTimeOffset Start { get; init; }

    public required DateTimeOffset End { get; init; }

    public required string TimeZone { get; init; }

    public required string Scope { get; init; }

    public required string Impact { get; init; }

    public required IReadOnlyList<string> Systems { get; init; }

    public DateTimeOffset? ClosedAt { get; init; }

    /// <summary>For finished windows: the report's summary, or how the workflow ended without one.</summary>
    public string? Outcome { get; init; }

    public TimeSpan? Duration { get; init; }
}

/// <summary>The seeds' "Maintenance Window" page: upcoming, in progress and recently completed windows.</summary>
public sealed record WindowCalendar(
    DateTimeOffset Now,
    int Days,
    IReadOnlyList<CalendarWindow> Upcoming,
    IReadOnlyList<CalendarWindow> InProgress,
    IReadOnlyList<CalendarWindow> Completed)
{
    /// <summary>How far back "completed" reaches, as on the seeds' page.</summary>
    public static readonly TimeSpan CompletedLookback = TimeSpan.FromDays(30);

    public static readonly IReadOnlyList<WindowPhase> BeforeStart = [WindowPhase.Scheduled, WindowPhase.NoticeSent, WindowPhase.AwaitingApproval];

    public static readonly IReadOnlyList<WindowPhase> Running = [WindowPhase.PreChecks, WindowPhase.InProgress, WindowPhase.Verifying, WindowPhase.RollingBack];

    public static readonly IReadOnlyList<WindowPhase> Final = Enum.GetValues<WindowPhase>().Where(p => p.IsFinal()).ToList();

    public IEnumerable<CalendarWindow> All => Upcoming.Concat(InProgress).Concat(Completed);

    /// <summary>Running windows that have not started yet and start within the next <paramref name="days"/> days.</summary>
    public static string UpcomingQuery(DateTimeOffset now, int days) =>
        $"{Base} AND ExecutionStatus = 'Running' AND {PhaseIn(BeforeStart)} AND WindowStart <= '{Rfc3339(now.AddDays(days))}' ORDER BY WindowStart ASC";

    public static string InProgressQuery() =>
        $"{Base} AND ExecutionStatus = 'Running' AND {PhaseIn(Running)} ORDER BY WindowStart ASC";

    /// <summary>Finished windows closed in the lookback, plus those that finished their work but still wait for after-items.</summary>
    public static string CompletedQuery(DateTimeOffset now) =>
        $"{Base} AND ((ExecutionStatus = 'Running' AND {PhaseIn(Final)}) OR (ExecutionStatus != 'Running' AND CloseTime >= '{Rfc3339(now - CompletedLookback)}')) ORDER BY WindowStart DESC";

    public static async Task<WindowCalendar> LoadAsync(ITemporalClient client, DateTimeOffset now, int days)
    {
        ArgumentNullException.ThrowIfNull(client);
        var upcoming = await ListAsync(client, UpcomingQuery(now, days), withOutcome: false);
        var inProgress = await ListAsync(client, InProgressQuery(), withOutcome: false);
        var completed = await ListAsync(client, CompletedQuery(now), withOutcome: true);
        return new WindowCalendar(now, days, upcoming, inProgress, completed);
    }

    private static string Base => $"WorkflowType = '{nameof(MaintenanceWindowWorkflow)}'";

    private static string PhaseIn(IEnumerable<WindowPhase> phases) => $"Phase IN ({string.Join(", ", phases.Select(p => $"'{p}'"))})";

    private static string Rfc3339(DateTimeOffset at) => at.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

    private static async Task<List<CalendarWindow>> ListAsync(ITemporalClient client, string query, bool withOutcome)
    {
        var windows = new List<CalendarWindow>();
        await foreach (var execution in client.ListWorkflowsAsync(query))
        {
            windows.Add(await DescribeAsync(client, execution, withOutcome));
        }
        return windows;
    }

    /// <summary>
    /// Search attributes and memo first; a window started without the starter's memo (e.g. from the Temporal
    /// UI) is filled in from its start event, and a finished one gets its outcome from its report.
    /// </summary>
    private static async Task<CalendarWindow> DescribeAsync(ITemporalClient client, WorkflowExecution execution, bool withOutcome)
    {
        var attributes = execution.TypedSearchAttributes;
        attributes.TryGetValue(MaintenanceSearchAttributes.Phase, out var phase);
        attributes.TryGetValue(MaintenanceSearchAttributes.MaintenanceType, out var type);
        attributes.TryGetValue(MaintenanceSearchAttributes.WindowStart, out var start);
        attributes.TryGetValue(MaintenanceSearchAttributes.WindowEnd, out var end);
        attributes.TryGetValue(MaintenanceSearchAttributes.AffectedSystems, out var systems);
        var title = await MemoAsync(execution, "Title");
        var scope = await MemoAsync(execution, "Scope");
        var impact = await MemoAsync(execution, "Impact");
        var zone = await MemoAsync(execution, "TimeZone");
        var handle = client.GetWorkflowHandle(execution.Id, execution.RunId);
        if (title is null || scope is null || impact is null || zone is null)
        {
            var plan = await StartPlanAsync(handle);
            title ??= plan?.Title;
            scope ??= plan?.Scope;
            impact ??= plan?.Impact.Summary;
            zone ??= plan?.Window.TimeZone;
        }
        var window = new CalendarWindow
        {
            WindowId = execution.Id,
            Title = title ?? execution.Id,
            Type = (type ?? "?").ToLowerInvariant(),
            Phase = Commands.ListCommand.SplitPhase(phase).Phase,
            Status = execution.Status,
            Start = start,
            End = end,
            TimeZone = zone ?? "UTC",
            Scope = scope ?? string.Empty,
            Impact = impact ?? string.Empty,
            Systems = systems?.ToList() ?? [],
            ClosedAt = execution.CloseTime is { } closed ? new DateTimeOffset(closed, TimeSpan.Zero) : null,
        };
        if (!withOutcome)
        {
            return window;
        }
        if (execution.Status == WorkflowExecutionStatus.Completed)
        {
            var report = await handle.GetResultAsync<MaintenanceReport>();
            return window with
            {
                Outcome = report.Summary,
                Duration = report.ExecutionStartedAt is { } began ? report.FinishedAt - began : null,
            };
        }
        if (execution.Status == WorkflowExecutionStatus.Canceled && await MemoAsync(execution, MaintenanceWindowWorkflow.OutcomeMemo) is { } outcome)
        {
            // A window cancelled through Temporal ends Canceled, without a result; it leaves its closing summary in the memo.
            return window with { Outcome = outcome };
        }
        return window with
        {
            Outcome = execution.Status == WorkflowExecutionStatus.Running
                ? $"{phase}; the after-maintenance checklist is still open"
                : $"the workflow ended as {execution.Status} without a report",
        };
    }

    private static async Task<string?> MemoAsync(WorkflowExecution execution, string key) =>
        execution.Memo.TryGetValue(key, out var value) ? await value.ToValueAsync<string>() : null;

    private static async Task<MaintenancePlan?> StartPlanAsync(WorkflowHandle handle)
    {
        await foreach (var e in handle.FetchHistoryEventsAsync())
        {
            // The first event is the start; the one history reader decodes it (null when it is not a window's).
            return new HistoryReader().Read(e).OfType<WindowStarted>().FirstOrDefault()?.Input?.Plan;
        }
        return null;
    }
}
