using MaintenanceWorkflows.DevServer.Testing;
using MaintenanceWorkflows.Sandbox;
using MaintenanceWorkflows.Starter.Commands;
using MaintenanceWorkflows.Workflows;
using MaintenanceWorkflows.Workflows.Plans;
using Temporalio.Client;

namespace MaintenanceWorkflows.Starter.Demo;

/// <summary>A window scheduled for a person to approve in the Temporal web UI, and the signal that approves it.</summary>
public sealed record BrowserApprovalWindow(
    WorkflowHandle<MaintenanceWindowWorkflow, MaintenanceReport> Handle,
    MaintenancePlan Plan,
    string ApproverEmail,
    string SignalName,
    string SignalJson);

/// <summary>
/// `starter demo --ui`: after the two demo windows, a third one waits for approval while the devserver (with
/// its web UI), the worker and the sandbox stay up. A person approves it from the browser ("Send a Signal");
/// the demo follows the window live until it ends, then keeps everything up for browsing until Ctrl+C.
/// </summary>
public sealed class BrowserApprovalDemo(TextWriter output, object writeLock)
{
    public const string Approver = "T-JOSH";
    private const string Operator = "sre-oncall";

    /// <summary>
    /// Schedules the example v40 promotion again under its own id, confirms it as its requester, ticks its manual before-items so only
    /// the approval is missing, and reads the approver's proof code from the sandbox inbox (the worker mails it to T-JOSH only).
    /// Server time stays put until someone awaits the result, so the window waits for the person.
    /// </summary>
    public static async Task<BrowserApprovalWindow> ScheduleAsync(
        ITemporalClient client, string taskQueue, string examplesDirectory, SandboxWorld world, DateTimeOffset now, DateTimeOffset? notBefore)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(world);
        // After `starter demo` the first window has already promoted prod to v40; this window promotes it again
        // from the release it expects (its pre-check refuses drift), so prod goes back to that release first.
        world.Function.Alias(SandboxWorld.ProdAlias).FunctionVersion = SandboxWorld.InitialProdVersion;
        var policy = PlanYaml.LoadPolicyFile(Path.Combine(examplesDirectory, "policy.yaml"));
        var example = PlanYaml.LoadPlanFile(Path.Combine(examplesDirectory, DemoRunner.CompletingPlan), now);
        var plan = DemoRunner.Reschedule(
            example with { Id = $"{example.Id}-browser", Title = $"{example.Title} (approve me in the browser)" }, policy, now, notBefore);
        var handle = await ScheduleCommand.StartAsync(client, taskQueue, plan, "demo");
        await RequesterConfirmation.ConfirmAsync(handle, plan, policy, world.Ses, TimeSpan.FromMinutes(1));
        foreach (var item in plan.Checklist.Where(i => !i.IsAutomated && i.Phase == ChecklistPhase.Before))
        {
            await handle.ExecuteUpdateAsync(wf => wf.SubmitAcknowledgementAsync(new Acknowledgement { Item = item.Id, By = Operator, Note = "checked in the demo" }));
        }
        var address = policy.Approvals.Approvers.First(a => a.Id == Approver).Email!;
        var code = await ApprovalEmail.WaitForCodeAsync(world.Ses, handle.Id, address, "approve", TimeSpan.FromMinutes(1));
        var json = $$"""{"approver": "{{Approver}}", "code": "{{code}}", "comment": "approved in the Temporal web UI"}""";
        return new BrowserApprovalWindow(handle, plan, address, WindowHandlers.Approve, json);
    }

    /// <summary>Prints what to do in the browser, follows the window until it ends, then waits for Ctrl+C.</summary>
    public async Task RunAsync(DevServerWorkflowEnvironment env, BrowserApprovalWindow window, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(window);
        var ui = env.Server.UiAddress ?? throw new InvalidOperationException("the devserver was started without its web UI");
        var link = new Uri(ui, $"namespaces/default/workflows/{Uri.EscapeDataString(window.Handle.Id)}");
        Say(string.Empty);
        Say($"web UI      {ui}");
        if (!env.Server.UiBuilt)
        {
            Say($"              (the pages are missing: {DevServer.Http.WebUi.HowToBuild})");
        }
        Say($"approve     {window.Handle.Id} waits for {Approver}'s approval; server time stands still until it is approved.");
        Say($"              {Approver}'s approve code is in the sandbox inbox of {window.ApproverEmail} (no one else has it); it is in the JSON below.");
        Say($"              1. open {link}");
        Say("              2. top right, open the menu next to \"Request Cancellation\" and pick \"Send a Signal\"");
        Say($"              3. signal name: {window.SignalName}");
        Say($"              4. input (JSON): {window.SignalJson}");
        Say("              5. submit; the window's history continues below. Ctrl+C ends the demo.");
        Say(string.Empty);

        var narrator = new HistoryNarrator(output, writeLock);
        using var stopFollowing = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var following = FollowAsync(narrator, window.Handle, stopFollowing.Token);
        await WaitForApprovalAsync(window.Handle, ct);
        Say($"approved    {window.Handle.Id}: the window now runs through its notice period and steps (time skipping)");
        var after = await WindowDriver.AcknowledgeWhenOpenAsync(env, window.Handle, window.Plan, ChecklistPhase.After, Operator, "checked in the demo", ct);
        if (after.Count > 0)
        {
            Say($"checklist   {Operator} acknowledges the after-items {string.Join(", ", after.Select(i => i.Id))} now that the work completed");
        }
        var report = await window.Handle.GetResultAsync();
        await stopFollowing.CancelAsync();
        await following;
        Say($"outcome     {report.PlanId}: {report.Outcome}: {report.Summary}");
        Say($"              its history stays in the web UI: {link}");
        Say("              Ctrl+C ends the demo.");
        await Task.Delay(Timeout.Infinite, ct);
    }

    /// <summary>
    /// Waits until the window's approval is complete: after a signal arrives, its status is read at each
    /// completed workflow task (a vote counts only once the worker has checked its proof code).
    /// </summary>
    public static async Task WaitForApprovalAsync(WorkflowHandle<MaintenanceWindowWorkflow, MaintenanceReport> handle, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(handle);
        var options = new WorkflowHistoryEventFetchOptions { WaitNewEvent = true, Rpc = new RpcOptions { CancellationToken = ct } };
        var signalled = false;
        await foreach (var e in handle.FetchHistoryEventsAsync(options).WithCancellation(ct))
        {
            signalled |= e.WorkflowExecutionSignaledEventAttributes != null;
            if (signalled && e.WorkflowTaskCompletedEventAttributes != null &&
                (await handle.QueryAsync(wf => wf.Status, new WorkflowQueryOptions { Rpc = new RpcOptions { CancellationToken = ct } })).Approvals.Approved)
            {
                return;
            }
        }
        throw new InvalidOperationException($"{handle.Id} ended before it was approved");
    }

    private static async Task FollowAsync(HistoryNarrator narrator, WorkflowHandle handle, CancellationToken ct)
    {
        try
        {
            await narrator.FollowAsync(handle, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The window ended or the demo is being stopped.
        }
    }

    private void Say(string line)
    {
        lock (writeLock)
        {
            output.WriteLine(line);
        }
    }
}
