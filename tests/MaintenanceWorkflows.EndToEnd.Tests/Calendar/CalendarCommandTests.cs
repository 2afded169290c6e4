using System.Globalization;
using MaintenanceWorkflows.EndToEnd.Tests.Windows;
using MaintenanceWorkflows.Starter.Commands;
using MaintenanceWorkflows.Starter.Demo;
using MaintenanceWorkflows.Workflows;
using MaintenanceWorkflows.Workflows.Plans;
using Temporalio.Client;
using Temporalio.Exceptions;

namespace MaintenanceWorkflows.EndToEnd.Tests.Calendar;

/// <summary>
/// `starter calendar` against real windows on the devserver's visibility store: one upcoming, one held
/// in progress at a manual step, one completed and one cancelled (started without the starter's memo).
/// </summary>
public sealed class CalendarCommandTests : IDisposable
{
    private readonly string temp = Directory.CreateTempSubdirectory("calendar-").FullName;

    public void Dispose() => Directory.Delete(temp, recursive: true);

    [Fact]
    public async Task Calendar_WindowsInEveryState_CountsListsAndWritesAnIcsThatParsesBack()
    {
        await using var harness = await WindowHarness.StartAsync();
        var now = new DateTimeOffset(await harness.Env.GetCurrentTimeAsync(), TimeSpan.Zero);

        // The two windows must start together (the SES window runs while the first is awaited); each type's earliest
        // legal start depends on the time of day, so move both to the first slot legal for both.
        var (completedPlan, heldPlan) = await SameStartAsync(harness, "lambda-v40-promotion.yaml", "ses-production-access.yaml");
        var completed = await harness.ScheduleAsync(completedPlan);
        var held = await harness.ScheduleAsync(heldPlan);
        var upcomingPlan = await harness.PlanAsync("lambda-v40-promotion.yaml", notBefore: now.AddDays(10));
        var upcoming = await harness.ScheduleAsync(upcomingPlan);
        foreach (var (handle, plan) in new[] { (completed, completedPlan), (held, heldPlan) })
        {
            await harness.ApproveAsync(handle);
            await WindowHarness.AcknowledgeChecklistAsync(handle, plan);
        }

        // Started the way the Temporal UI would: no memo, no search attributes (the workflow upserts its own).
        var uiPlan = (await harness.PlanAsync("lambda-v40-promotion.yaml")) with { Title = "Window started from the UI" };
        var ui = await harness.Client.StartWorkflowAsync(
            (MaintenanceWindowWorkflow wf) => wf.RunAsync(new MaintenanceWindowInput { Plan = uiPlan }),
            new WorkflowOptions(MaintenanceWindowInput.WorkflowIdFor(uiPlan.Id), harness.TaskQueue));
        await ui.QueryAsync(wf => wf.Status);
        await ui.CancelAsync();
        // Cancelled through Temporal: the workflow ends Canceled (no report); its own phase still says Cancelled.
        await Assert.ThrowsAsync<WorkflowFailedException>(() => ui.GetResultAsync());
        Assert.Equal(WindowPhase.Cancelled, (await ui.QueryAsync(wf => wf.Status)).Phase);

        // Running the first window through its start (its after-items are ticked once it completed); the SES window starts
        // with it and stops at its manual step.
        await harness.AcknowledgeWhenOpenAsync(completed, completedPlan, ChecklistPhase.After);
        Assert.Equal(WindowPhase.Completed, (await completed.GetResultAsync()).Outcome);
        var heldStatus = await WindowDriver.RunUntilAsync(harness.Env, held, s => s.Phase == WindowPhase.InProgress || s.Phase.IsFinal());
        Assert.Equal(WindowPhase.InProgress, heldStatus?.Phase);
        await harness.WaitForIdleActivitiesAsync(held);
        await harness.WaitForIdleActivitiesAsync(upcoming);
        var at = new DateTimeOffset(await harness.Env.GetCurrentTimeAsync(), TimeSpan.Zero);
        // The window end moves with extensions (the held window may have been extended automatically); the calendar shows the current one.
        var heldEnd = (await held.QueryAsync(wf => wf.Status)).WindowEnd;
        var icsPath = Path.Combine(temp, "out", "maintenance.ics");

        var (exit, output, error) = await RunAsync("calendar", "--now", Iso(at), "--ics", icsPath, "--address", harness.Env.Server.Target);

        Assert.True(exit == 0, error);
        Assert.Contains("  Upcoming: 1 (next 30 days)   In progress: 1   Completed (30d): 2 - 1 Cancelled, 1 Completed", output, StringComparison.Ordinal);
        Assert.Contains($"  Next window: {ZoneMath.FormatLocal(upcomingPlan.Window.Start, upcomingPlan.Window.TimeZone)} / {ZoneMath.FormatUtc(upcomingPlan.Window.Start)} - {upcomingPlan.Title} ({upcoming.Id})", output, StringComparison.Ordinal);
        Assert.Equal([upcoming.Id], WindowsIn(output, "UPCOMING"));
        Assert.Equal([held.Id], WindowsIn(output, "IN PROGRESS"));
        Assert.Equal(new[] { completed.Id, ui.Id }.Order(StringComparer.Ordinal), WindowsIn(output, "COMPLETED (30d)").Order(StringComparer.Ordinal));
        Assert.Contains($"    scope:   {heldPlan.Scope}", output, StringComparison.Ordinal);
        Assert.Contains($"    impact:  {heldPlan.Impact.Summary}", output, StringComparison.Ordinal);
        Assert.Contains("    outcome: completed: 1 step(s) ran and verification passed (duration ", output, StringComparison.Ordinal);
        // The UI-started window has no memo: title and impact come from its start event.
        Assert.Contains($"  Window started from the UI  [routine, Cancelled]  {ui.Id}", output, StringComparison.Ordinal);
        Assert.Contains($"    impact:  {uiPlan.Impact.Summary}", output, StringComparison.Ordinal);
        Assert.Contains("    outcome: cancelled by Temporal before the window started: workflow cancellation was requested", output, StringComparison.Ordinal);
        Assert.Contains($"wrote {icsPath} (4 event(s))", output, StringComparison.Ordinal);

        var ics = Ical.Net.Calendar.Load(await File.ReadAllTextAsync(icsPath))!;
        Assert.Equal("America/Los_Angeles", Assert.Single(ics.TimeZones).TzId);
        var events = ics.Events.ToDictionary(e => e.Uid!, StringComparer.Ordinal);
        Assert.Equal(4, events.Count);
        foreach (var (handle, plan) in new[] { (upcoming, upcomingPlan), (held, heldPlan), (completed, completedPlan), ((WorkflowHandle)ui, uiPlan) })
        {
            var e = events[$"{handle.Id}@maintenance-workflows"];
            Assert.Equal($"Maintenance: {plan.Title}", e.Summary);
            Assert.Equal("America/Los_Angeles", e.DtStart!.TzId);
            Assert.Equal(ZoneMath.ToLocal(plan.Window.Start, plan.Window.TimeZone).DateTime, e.DtStart.Value);
            Assert.Equal(plan.Window.Start.UtcDateTime, e.DtStart.AsUtc);
            Assert.Equal((handle.Id == held.Id ? heldEnd : plan.Window.End).UtcDateTime, e.DtEnd!.AsUtc);
            Assert.Contains($"Scope: {plan.Scope}", e.Description, StringComparison.Ordinal);
            Assert.Contains("routine", e.Categories);
        }
        Assert.Equal("CANCELLED", events[$"{ui.Id}@maintenance-workflows"].Status);
        Assert.Equal("CONFIRMED", events[$"{completed.Id}@maintenance-workflows"].Status);
        Assert.Contains("Outcome: completed: 1 step(s) ran", events[$"{completed.Id}@maintenance-workflows"].Description, StringComparison.Ordinal);

        var (shortExit, shortOutput, shortError) = await RunAsync("calendar", "--now", Iso(at), "--days", "5", "--address", harness.Env.Server.Target);

        Assert.True(shortExit == 0, shortError);
        Assert.Contains("  Upcoming: 0 (next 5 days)   In progress: 1", shortOutput, StringComparison.Ordinal);
        Assert.Contains("  Next window: TBD (none scheduled)", shortOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Calendar_NoWindows_ShowsZeroCountsAndAnEmptyIcs()
    {
        await using var harness = await WindowHarness.StartAsync();
        var icsPath = Path.Combine(temp, "empty.ics");

        var (exit, output, error) = await RunAsync("calendar", "--ics", icsPath, "--address", harness.Env.Server.Target);

        Assert.True(exit == 0, error);
        Assert.Contains("  Upcoming: 0 (next 30 days)   In progress: 0   Completed (30d): 0", output, StringComparison.Ordinal);
        Assert.Equal(3, output.Split('\n').Count(l => l.Trim() == "(none)"));
        var ics = Ical.Net.Calendar.Load(await File.ReadAllTextAsync(icsPath))!;
        Assert.Empty(ics.Events);
    }

    [Fact]
    public async Task Calendar_DaysZero_ExitsTwoNamingTheOption()
    {
        var (exit, _, error) = await RunAsync("calendar", "--days", "0");

        Assert.Equal(2, exit);
        Assert.Contains("--days 0", error, StringComparison.Ordinal);
    }

    private static async Task<(MaintenancePlan First, MaintenancePlan Second)> SameStartAsync(WindowHarness harness, string first, string second)
    {
        var a = await harness.PlanAsync(first);
        var b = await harness.PlanAsync(second);
        for (var attempt = 0; a.Window.Start != b.Window.Start && attempt < 10; attempt++)
        {
            var later = a.Window.Start > b.Window.Start ? a.Window.Start : b.Window.Start;
            a = await harness.PlanAsync(first, notBefore: later);
            b = await harness.PlanAsync(second, notBefore: later);
        }
        Assert.True(a.Window.Start == b.Window.Start, $"no common start for {first} ({a.Window.Start:u}) and {second} ({b.Window.Start:u})");
        return (a, b);
    }

    /// <summary>Window ids listed under a calendar section heading.</summary>
    private static List<string> WindowsIn(string output, string heading)
    {
        var lines = output.Split('\n').Select(l => l.TrimEnd()).ToList();
        var start = lines.IndexOf(heading);
        Assert.True(start >= 0, $"no section {heading} in:\n{output}");
        return lines.Skip(start + 1)
            .TakeWhile(l => l.Length > 0)
            .Where(l => l.StartsWith("  ", StringComparison.Ordinal) && !l.StartsWith("    ", StringComparison.Ordinal) && l.Trim() != "(none)")
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[^1])
            .ToList();
    }

    private static string Iso(DateTimeOffset at) => at.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static async Task<(int Exit, string Output, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await StarterCli.RunAsync(args, output, error);
        return (exit, output.ToString(), error.ToString());
    }
}
