using MaintenanceWorkflows.Workflows;
using MaintenanceWorkflows.Workflows.Plans;
using Temporalio.Api.Enums.V1;
using Temporalio.Client;
using Temporalio.Testing;

namespace MaintenanceWorkflows.Starter.Demo;

/// <summary>
/// Acts on a window at the moment its people would under time skipping: the clock runs to the window's next
/// deadline until the work begins, then a minute at a time, until the window is where they act, e.g. waiting for its
/// after-checklist.
/// </summary>
public static class WindowDriver
{
    /// <summary>Where a window is when it takes the manual items of a checklist phase.</summary>
    public static WindowPhase OpensIn(ChecklistPhase phase) => phase switch
    {
        ChecklistPhase.Before => WindowPhase.Scheduled,
        ChecklistPhase.During => WindowPhase.InProgress,
        _ => WindowPhase.Completed,
    };

    /// <summary>
    /// Lets the clock run until the window's Status satisfies <paramref name="condition"/>, and returns it; null when
    /// the window closed first. Gives up after <paramref name="limit"/> of window time (default 30 days: a window may be
    /// scheduled a week or more ahead, and the clock jumps from deadline to deadline until it starts).
    /// </summary>
    public static async Task<WindowStatus?> RunUntilAsync(
        WorkflowEnvironment env, WorkflowHandle handle, Func<WindowStatus, bool> condition, TimeSpan? limit = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(handle);
        ArgumentNullException.ThrowIfNull(condition);
        var start = await env.GetCurrentTimeAsync();
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            var status = await handle.QueryAsync<WindowStatus>(WindowHandlers.Status, []);
            if (condition(status))
            {
                return status;
            }
            if ((await handle.DescribeAsync()).Status != WorkflowExecutionStatus.Running)
            {
                return null;
            }
            var now = new DateTimeOffset(await env.GetCurrentTimeAsync(), TimeSpan.Zero);
            if (now - start > (limit ?? TimeSpan.FromDays(30)))
            {
                throw new TimeoutException($"{handle.Id} never reached the expected state; last: {status.Phase}, waiting for {status.WaitingFor}");
            }
            // Until the work begins nothing happens between deadlines; from then on a minute at a time, so the clock never
            // jumps over a state that lasts (a manual step, a rollback waiting for people, the after-checklist).
            var waiting = status.Phase is WindowPhase.Scheduled or WindowPhase.NoticeSent or WindowPhase.AwaitingApproval;
            var hop = waiting && status.NextDeadline is { } next && next.At - now > TimeSpan.FromMinutes(1) ? next.At - now : TimeSpan.FromMinutes(1);
            await env.DelayAsync(hop, ct);
        }
    }

    /// <summary>
    /// Waits (as <see cref="RunUntilAsync"/>) until the window waits for the plan's manual items of
    /// <paramref name="phase"/>, then acknowledges them by update, so a refusal throws. Returns the items
    /// acknowledged: none when the window never reached the phase (e.g. it rolled back before its after-checklist).
    /// </summary>
    public static async Task<IReadOnlyList<ChecklistItem>> AcknowledgeWhenOpenAsync(
        WorkflowEnvironment env, WorkflowHandle handle, MaintenancePlan plan, ChecklistPhase phase, string by, string note, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var items = plan.Checklist.Where(i => !i.IsAutomated && i.Phase == phase).ToList();
        if (items.Count == 0)
        {
            return [];
        }
        var open = OpensIn(phase);
        var status = await RunUntilAsync(
            env, handle, s => (s.Phase == open && items.Any(i => s.WaitingFor?.Contains($"'{i.Id}'", StringComparison.Ordinal) == true)) || (s.Phase.IsFinal() && s.Phase != open), ct: ct);
        if (status is null || status.Phase != open)
        {
            return [];
        }
        foreach (var item in items)
        {
            await handle.ExecuteUpdateAsync<AcknowledgementReceipt>(WindowHandlers.SubmitAcknowledgement, [new Acknowledgement { Item = item.Id, By = by, Note = note }]);
        }
        return items;
    }
}
