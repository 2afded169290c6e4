using System.Diagnostics;
using System.Text.Json;
using MaintenanceWorkflows.DevServer;
using MaintenanceWorkflows.DevServer.Testing;
using MaintenanceWorkflows.Sandbox;
using MaintenanceWorkflows.Sandbox.Status;
using MaintenanceWorkflows.Starter.Commands;
using MaintenanceWorkflows.Workflows;
using MaintenanceWorkflows.Workflows.Plans;
using Temporalio.Client;
using Temporalio.Exceptions;

namespace MaintenanceWorkflows.Starter.Demo;

/// <summary>What `starter demo` runs, and where it writes.</summary>
public sealed record DemoOptions
{
    public string ExamplesDirectory { get; init; } = "examples";

    public string OutputDirectory { get; init; } = Path.Combine("out", "demo");

    /// <summary>
    /// The devserver's web UI port (0: any free port); null runs without the UI. With it, a third window
    /// then waits for approval in the browser (<see cref="BrowserApprovalDemo"/>) until Ctrl+C.
    /// </summary>
    public int? UiPort { get; init; }
}

/// <summary>The reports the demo wrote, for callers (and tests) that want to look at them.</summary>
public sealed record DemoResult(IReadOnlyList<MaintenanceReport> Reports, IReadOnlyList<string> ReportFiles, TimeSpan WallTime, TimeSpan VirtualTime);

/// <summary>
/// `starter demo`: the embedded devserver (time skipping on), the real worker in-process, local sandbox
/// targets, and two windows from examples/: the v40 promotion, which completes, and the v41 promotion,
/// whose release crash-loops so its verification fails and it rolls back. The demo acts as the operators
/// and approvers would, prints the windows' histories as they grow, and writes each report.
/// </summary>
public sealed class DemoRunner(TextWriter output)
{
    public const string CompletingPlan = "lambda-v40-promotion.yaml";
    public const string RollingBackPlan = "lambda-v41-promotion.yaml";
    private const string Approver = "T-JOSH";
    private const string Operator = "sre-oncall";

    private readonly object writeLock = new();

    public async Task<DemoResult> RunAsync(DemoOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var wall = Stopwatch.StartNew();
        Say("MaintenanceWorkflows demo: three maintenance windows (two Lambda promotions and a fleet rollout) on the embedded Temporal-compatible server.");
        Say(string.Empty);

        await using var env = await DevServerWorkflowEnvironment.StartAsync(new DevServerOptions { TimeSkipping = true, UiPort = options.UiPort }, ct: ct);
        var started = new DateTimeOffset(await env.GetCurrentTimeAsync(), TimeSpan.Zero);
        Say($"devserver   {env.Server.Target} (time skipping: the notice periods pass in seconds; times below are server time)");

        await using var world = await SandboxWorld.StartAsync();
        Say("sandbox     LOCAL SANDBOX TARGETS on loopback, no real AWS, status page or chat is touched:");
        Say($"              Lambda API (SigV4-verified)  {world.Lambda.BaseAddress}  function {SandboxWorld.FunctionName}, alias {SandboxWorld.ProdAlias} -> v{SandboxWorld.InitialProdVersion}");
        Say($"              status service (/beak...)    {world.Service.BaseAddress}");
        Say($"              SES v2, Statuspage, chat     {world.Ses.BaseAddress}, {world.StatusPage.BaseAddress}, {world.Chat.BaseAddress}");
        world.Service.Break("41", VersionFault.BadGateway);
        Say("              fault injected: v41 crash-loops behind API Gateway (its routes answer 502)");

        var taskQueue = $"demo-{Guid.NewGuid():N}";
        var policyPath = Path.Combine(options.ExamplesDirectory, "policy.yaml");
        using var worker = await InProcessWorker.StartAsync(
            InProcessWorker.SandboxConfiguration(world, env.Server.Target, taskQueue, policyPath, InProcessWorker.RandomSigningKey()), ct: ct);
        Say($"worker      in-process, task queue {taskQueue} (the same host as `dotnet run --project worker`)");
        Say($"              governs with its own policy {policyPath} and a random approval-code key that exists only in this process");
        Say(string.Empty);

        var policy = PlanYaml.LoadPolicyFile(policyPath);
        var first = Reschedule(PlanYaml.LoadPlanFile(Path.Combine(options.ExamplesDirectory, CompletingPlan), started), policy, started, null);
        var second = Reschedule(PlanYaml.LoadPlanFile(Path.Combine(options.ExamplesDirectory, RollingBackPlan), started), policy, started, first.Window.End);

        var handles = new List<WorkflowHandle<MaintenanceWindowWorkflow, MaintenanceReport>>();
        var plans = new[] { first, second };
        foreach (var plan in plans)
        {
            var handle = await ScheduleCommand.StartAsync(env.Client, taskQueue, plan, "demo");
            Say($"schedule    {handle.Id}: {plan.Title}");
            Say($"              window {ZoneMath.FormatUtc(plan.Window.Start)} | {ZoneMath.FormatLocal(plan.Window.Start, plan.Window.TimeZone)} (earliest start the policy allows: cadence, 24 h notice, freezes, blackouts)");
            await ActAsApproversAsync(handle, plan, world, policy);
            handles.Add(handle);
        }
        // The rollout runs in the plain demo; with --ui the browser window comes third instead, as before.
        var rollout = options.UiPort is null ? new RolloutDemo(Say) : null;
        if (rollout is not null)
        {
            handles.Add(await rollout.ScheduleAsync(env.Client, taskQueue, options.ExamplesDirectory, world, policy, started, second.Window.End));
        }
        Say(string.Empty);
        Say("history     (followed live from the server; checks that pass are not listed)");

        using var stopFollowing = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var narrator = new HistoryNarrator(output, writeLock);
        var following = handles.Select(h => FollowQuietlyAsync(narrator, h, stopFollowing.Token)).ToList();
        var reports = new List<MaintenanceReport>();
        foreach (var (handle, index) in handles.Select((h, i) => (h, i)))
        {
            if (index < plans.Length)
            {
                // The operator ticks the during- and after-items when the window reaches them (none once it rolled back).
                foreach (var phase in new[] { ChecklistPhase.During, ChecklistPhase.After })
                {
                    var done = await WindowDriver.AcknowledgeWhenOpenAsync(env, handle, plans[index], phase, Operator, "checked in the demo", ct);
                    if (done.Count > 0)
                    {
                        Say($"checklist   {handle.Id}: {Operator} acknowledges the {phase.ToString().ToLowerInvariant()}-items {string.Join(", ", done.Select(i => i.Id))} now that the window is {WindowDriver.OpensIn(phase)}");
                    }
                }
            }
            // Awaiting the result lets the server skip time while nothing is running.
            reports.Add(await handle.GetResultAsync());
        }
        await Task.WhenAll(following);
        if (rollout is not null)
        {
            Say(string.Empty);
            await rollout.DescribeAsync(env.Client, handles[^1].Id, world);
        }

        Directory.CreateDirectory(options.OutputDirectory);
        var files = new List<string>();
        foreach (var (handle, report) in handles.Zip(reports))
        {
            var file = Path.GetFullPath(Path.Combine(options.OutputDirectory, $"{handle.Id}.report.json"));
            await File.WriteAllTextAsync(file, JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true }), ct);
            files.Add(file);
        }

        var virtualTime = new DateTimeOffset(await env.GetCurrentTimeAsync(), TimeSpan.Zero) - started;
        Say(string.Empty);
        foreach (var (report, file) in reports.Zip(files))
        {
            Say($"outcome     {report.PlanId}: {report.Outcome}: {report.Summary}");
            Say($"              report {file}");
        }
        Say($"sandbox     alias {SandboxWorld.ProdAlias} now -> v{world.Function.Alias(SandboxWorld.ProdAlias).FunctionVersion}; " +
            $"{world.StatusPage.Incidents.Count} status-page maintenances; {world.Ses.Sent.Count} emails; {world.Chat.Received.Count} chat channels posted to");
        Say($"time        {virtualTime.TotalHours:0.#} h of server time in {wall.Elapsed.TotalSeconds:0.#} s of wall time");
        if (options.UiPort != null)
        {
            var now = new DateTimeOffset(await env.GetCurrentTimeAsync(), TimeSpan.Zero);
            var waiting = await BrowserApprovalDemo.ScheduleAsync(env.Client, taskQueue, options.ExamplesDirectory, world, now, null);
            await new BrowserApprovalDemo(output, writeLock).RunAsync(env, waiting, ct);
        }
        return new DemoResult(reports, files, wall.Elapsed, virtualTime);
    }

    /// <summary>Moves an example plan to the earliest start the policy allows (cadence, notice, freezes, blackouts).</summary>
    public static MaintenancePlan Reschedule(MaintenancePlan plan, MaintenancePolicy policy, DateTimeOffset now, DateTimeOffset? notBefore)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var start = CalendarRules.EarliestLegalStart(plan, policy, now, notBefore)
            ?? throw new InvalidOperationException($"{plan.Id}: the policy allows no start within 120 days of {ZoneMath.FormatUtc(now)}");
        return plan with { Window = plan.Window with { Start = start, End = start + plan.Window.Duration } };
    }

    /// <summary>
    /// What the people around a window do: someone forges T-JOSH's approval without proof, the requester tries to
    /// approve their own window, T-JOSH approves with the code from the email only he received, operators tick the checklist.
    /// </summary>
    private async Task ActAsApproversAsync(WorkflowHandle<MaintenanceWindowWorkflow, MaintenanceReport> handle, MaintenancePlan plan, SandboxWorld world, MaintenancePolicy policy)
    {
        var prepared = await StatusWhenAsync(handle, s => s.PolicyHash is not null);
        Say($"              the worker recorded its policy for the window: sha256 {prepared.PolicyHash![..12]}");

        // Anyone who can reach Temporal can send this signal; without T-JOSH's code it changes nothing.
        await handle.SignalAsync(WindowHandlers.Approve, [new ApprovalSignal { Approver = Approver, Comment = "forged" }]);
        var forged = (await StatusWhenAsync(handle, s => s.RefusalCount > 0)).LastRefusal!;
        Say($"              a forged Approve {{\"approver\": \"{Approver}\"}} without proof: refused: {forged.Reason}");
        try
        {
            await handle.ExecuteUpdateAsync(wf => wf.SubmitApprovalAsync(new ApprovalVote { Approver = plan.Requester, Decision = VoteDecision.Approve }));
        }
        catch (WorkflowUpdateFailedException e) when (e.InnerException is ApplicationFailureException refusal)
        {
            Say($"              {plan.Requester} tries to approve their own window: refused: {refusal.Message}");
        }
        // The policy has the requester confirm the request with their own code before votes count, so naming someone
        // else as requester to approve one's own change does not work.
        var confirmed = await RequesterConfirmation.ConfirmAsync(handle, plan, policy, world.Ses, TimeSpan.FromMinutes(1));
        if (confirmed is not null)
        {
            Say($"              {confirmed.By} (the requester) confirms the request with the confirm code from their own inbox");
        }
        var address = policy.Approvals.Approvers.First(a => a.Id == Approver).Email!;
        var code = await ApprovalEmail.WaitForCodeAsync(world.Ses, handle.Id, address, "approve", TimeSpan.FromMinutes(1));
        Say($"              inbox of {address}: 'Your approval codes' for {handle.Id}, approve code {code[..7]}… (sent to {Approver} only)");
        var receipt = await handle.ExecuteUpdateAsync(wf => wf.SubmitApprovalAsync(new ApprovalVote { Approver = Approver, Decision = VoteDecision.Approve, Code = code, Comment = "T-JOSH gate: promotion approved" }));
        Say($"              {Approver} approves with that code: {receipt.Vote.Proof}; {(receipt.Status.Approved ? "approved" : $"{receipt.Status.Approvals}/{receipt.Status.Required}")}");
        var manual = plan.Checklist.Where(i => !i.IsAutomated && i.Phase == ChecklistPhase.Before).ToList();
        foreach (var item in manual)
        {
            await handle.ExecuteUpdateAsync(wf => wf.SubmitAcknowledgementAsync(new Acknowledgement { Item = item.Id, By = Operator, Note = "checked in the demo" }));
        }
        Say($"              {Operator} acknowledges the {manual.Count} manual before-items of the checklist ({string.Join(", ", manual.Select(i => i.Id))})");
        if (plan.Checklist.FirstOrDefault(i => !i.IsAutomated && i.Phase == ChecklistPhase.After) is { } early)
        {
            // Checklist items count only in their phase: ticking an after-item before the work is refused and changes nothing.
            try
            {
                await handle.ExecuteUpdateAsync(wf => wf.SubmitAcknowledgementAsync(new Acknowledgement { Item = early.Id, By = Operator, Note = "too early" }));
            }
            catch (WorkflowUpdateFailedException e) when (e.InnerException is ApplicationFailureException refusal)
            {
                Say($"              {Operator} tries to tick after-item '{early.Id}' now: refused: {refusal.Message}");
            }
        }
    }

    /// <summary>Asks the window's Status until it shows what the demo waits for (the worker answers within moments).</summary>
    private static async Task<WindowStatus> StatusWhenAsync(WorkflowHandle<MaintenanceWindowWorkflow, MaintenanceReport> handle, Func<WindowStatus, bool> until)
    {
        using var patience = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        while (true)
        {
            var status = await handle.QueryAsync(wf => wf.Status);
            if (until(status))
            {
                return status;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(20), patience.Token);
        }
    }

    private static async Task FollowQuietlyAsync(HistoryNarrator narrator, WorkflowHandle handle, CancellationToken ct)
    {
        try
        {
            await narrator.FollowAsync(handle, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The demo is being stopped.
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
