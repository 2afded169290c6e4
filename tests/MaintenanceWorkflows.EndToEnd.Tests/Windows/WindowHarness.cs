using MaintenanceWorkflows.DevServer;
using MaintenanceWorkflows.DevServer.Testing;
using MaintenanceWorkflows.Sandbox;
using MaintenanceWorkflows.Sandbox.Email;
using MaintenanceWorkflows.Starter.Commands;
using MaintenanceWorkflows.Starter.Demo;
using MaintenanceWorkflows.Workflows;
using MaintenanceWorkflows.Workflows.Plans;
using Microsoft.Extensions.Hosting;
using Temporalio.Client;

namespace MaintenanceWorkflows.EndToEnd.Tests.Windows;

/// <summary>
/// One test's world: a time-skipping devserver, the sandbox stand-ins and the production worker host
/// (real activities) on a task queue of its own, plus the example policy and plans.
/// </summary>
public sealed class WindowHarness : IAsyncDisposable
{
    private IHost? worker;

    private WindowHarness(DevServerWorkflowEnvironment env, SandboxWorld world, MaintenancePolicy policy)
    {
        Env = env;
        World = world;
        Policy = policy;
    }

    public DevServerWorkflowEnvironment Env { get; }

    public SandboxWorld World { get; }

    public MaintenancePolicy Policy { get; }

    public string TaskQueue { get; } = $"windows-{Guid.NewGuid():N}";

    /// <summary>The worker's approval key in this test (random per harness); tests scan histories for it.</summary>
    public string SigningKey { get; } = InProcessWorker.RandomSigningKey();

    public static string PolicyPath => Repo.Path("examples", "policy.yaml");

    /// <summary>
    /// A policy file for the worker made from the example by text edits (the worker reads its policy from a file,
    /// like a deployed one); pass it as <c>Policy:Path</c> to <see cref="StartAsync"/>.
    /// </summary>
    public static string PolicyVariant(Func<string, string> edit)
    {
        ArgumentNullException.ThrowIfNull(edit);
        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"policy-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, edit(File.ReadAllText(PolicyPath)));
        return path;
    }

    public ITemporalClient Client => Env.Client;

    /// <summary>Worker configuration added to the sandbox's, e.g. allow-listed runbook commands.</summary>
    public Dictionary<string, string?> ExtraConfiguration { get; } = [];

    /// <param name="timeSkipping">
    /// Off for the few tests that need time to pass while no worker runs on the wall clock.
    /// </param>
    /// <param name="limits">The devserver's limits (Temporal's defaults when null).</param>
    public static async Task<WindowHarness> StartAsync(IReadOnlyDictionary<string, string?>? extraConfiguration = null, bool timeSkipping = true, ServerLimits? limits = null)
    {
        var env = await DevServerWorkflowEnvironment.StartAsync(new DevServerOptions { TimeSkipping = timeSkipping, Limits = limits ?? new ServerLimits() });
        var world = await SandboxWorld.StartAsync();
        var policyPath = extraConfiguration?.GetValueOrDefault("Policy:Path") ?? PolicyPath;
        var harness = new WindowHarness(env, world, PlanYaml.LoadPolicyFile(policyPath));
        foreach (var (key, value) in extraConfiguration ?? new Dictionary<string, string?>())
        {
            harness.ExtraConfiguration[key] = value;
        }
        await harness.StartWorkerAsync();
        return harness;
    }

    public async Task StartWorkerAsync()
    {
        var configuration = InProcessWorker.SandboxConfiguration(World, Env.Server.Target, TaskQueue, PolicyPath, SigningKey);
        foreach (var (key, value) in ExtraConfiguration)
        {
            configuration[key] = value;
        }
        worker = await InProcessWorker.StartAsync(configuration);
    }

    public async Task StopWorkerAsync()
    {
        if (worker is { } running)
        {
            // Never stop a worker under an activity it is running: a completion after shutdown aborts the
            // process (sdk-dotnet#856), which would end the whole test run.
            await foreach (var window in Client.ListWorkflowsAsync($"TaskQueue = '{TaskQueue}' AND ExecutionStatus = 'Running'"))
            {
                await WaitForIdleActivitiesAsync(Client.GetWorkflowHandle(window.Id));
            }
            worker = null;
            await running.StopAsync();
            running.Dispose();
        }
    }

    /// <summary>An example plan with a unique id, moved to the earliest start the policy allows from the server's "now".</summary>
    public async Task<MaintenancePlan> PlanAsync(string example, DateTimeOffset? notBefore = null)
    {
        var now = new DateTimeOffset(await Env.GetCurrentTimeAsync(), TimeSpan.Zero);
        var plan = PlanYaml.LoadPlanFile(Repo.Path("examples", example), now);
        plan = plan with { Id = $"{plan.Id}-{Guid.NewGuid():N}"[..(plan.Id.Length + 9)] };
        var start = CalendarRules.EarliestLegalStart(plan, Policy, now, notBefore)
            ?? throw new InvalidOperationException($"no legal start for {example} after {now:u}");
        return plan with { Window = plan.Window with { Start = start, End = start + plan.Window.Duration } };
    }

    /// <summary>
    /// Schedules the plan and returns once the worker has prepared the window (its policy is recorded) and, when the
    /// policy asks, the requester has confirmed it with the confirm code from their own inbox, as a requester does.
    /// </summary>
    public async Task<WorkflowHandle<MaintenanceWindowWorkflow, MaintenanceReport>> ScheduleAsync(MaintenancePlan plan)
    {
        var handle = await ScheduleUnconfirmedAsync(plan);
        await RequesterConfirmation.ConfirmAsync(handle, plan, Policy, World.Ses, TimeSpan.FromSeconds(60));
        return handle;
    }

    /// <summary>Schedules the plan and returns once the worker has prepared the window; its requester has not confirmed it.</summary>
    public async Task<WorkflowHandle<MaintenanceWindowWorkflow, MaintenanceReport>> ScheduleUnconfirmedAsync(MaintenancePlan plan)
    {
        var handle = await ScheduleCommand.StartAsync(Client, TaskQueue, plan, "end-to-end test");
        await WaitForAsync(handle, s => s.PolicyHash is not null);
        return handle;
    }

    /// <summary>
    /// Polls the window's Status (30 s at most) until <paramref name="until"/> holds: signals whose handlers ask the
    /// worker (proof checks) take effect a moment after they are sent. Returns the status that satisfied it.
    /// </summary>
    public static async Task<WindowStatus> WaitForAsync(WorkflowHandle handle, Func<WindowStatus, bool> until)
    {
        ArgumentNullException.ThrowIfNull(handle);
        ArgumentNullException.ThrowIfNull(until);
        return await Poll.UntilAsync(
            () => handle.QueryAsync<WindowStatus>(WindowHandlers.Status, []),
            until,
            TimeSpan.FromSeconds(30),
            status => $"{handle.Id}: the window's status did not reach the expected state within 30 s (phase {status.Phase}, {status.RefusalCount} refusal(s), last: {status.LastRefusal?.Reason})");
    }

    /// <summary>
    /// Acknowledges the manual before-items of the checklist, as the operators on the window would before the work
    /// begins; during- and after-items are taken only in their phase (<see cref="AcknowledgeWhenOpenAsync"/>).
    /// </summary>
    public static async Task AcknowledgeChecklistAsync(WorkflowHandle handle, MaintenancePlan plan, string by = "ops-lead")
    {
        ArgumentNullException.ThrowIfNull(handle);
        ArgumentNullException.ThrowIfNull(plan);
        foreach (var item in plan.Checklist.Where(i => !i.IsAutomated && i.Phase == ChecklistPhase.Before))
        {
            await handle.SignalAsync(WindowHandlers.Acknowledge, [new Acknowledgement { Item = item.Id, By = by, Note = "done" }]);
        }
    }

    /// <summary>
    /// Lets the virtual clock run until the window waits for the plan's manual items of <paramref name="phase"/>,
    /// then acknowledges them (by update, so a refusal fails the test). Returns the items acknowledged.
    /// </summary>
    public Task<IReadOnlyList<ChecklistItem>> AcknowledgeWhenOpenAsync(WorkflowHandle handle, MaintenancePlan plan, ChecklistPhase phase, string by = "ops-lead") =>
        WindowDriver.AcknowledgeWhenOpenAsync(Env, handle, plan, phase, by, "done");

    /// <summary>Approves as the approver would: with the approve code from the email the worker sent to their own address.</summary>
    public async Task ApproveAsync(WorkflowHandle handle, string approver = "T-JOSH", string? comment = "approved in test")
    {
        ArgumentNullException.ThrowIfNull(handle);
        var code = await CodeAsync(handle.Id, approver, "approve");
        var before = await handle.QueryAsync<WindowStatus>(WindowHandlers.Status, []);
        await handle.SignalAsync(WindowHandlers.Approve, [new ApprovalSignal { Approver = approver, Code = code, Comment = comment }]);
        await WaitForAsync(handle, s => s.Approvals.ApprovedBy.Contains(approver, StringComparer.OrdinalIgnoreCase) || s.RefusalCount > before.RefusalCount || s.Phase.IsFinal());
    }

    /// <summary>The emails the sandbox SES received for this window, addressed to one person.</summary>
    public IReadOnlyList<LocalEmail> MailTo(string windowId, string address) =>
        World.Ses.Sent.Where(m => m.To.Contains(address, StringComparer.OrdinalIgnoreCase) && m.Subject.Contains(windowId, StringComparison.Ordinal)).ToList();

    /// <summary>The person's code for a purpose (approve, reject, extend-1), from the email the worker sent to their policy address.</summary>
    public Task<string> CodeAsync(string windowId, string person, string purpose) =>
        ApprovalEmail.WaitForCodeAsync(World.Ses, windowId, AddressOf(person), purpose, TimeSpan.FromSeconds(60));

    public string AddressOf(string person) =>
        Policy.Approvals.Approvers.Concat(Policy.Approvals.Operators).First(a => string.Equals(a.Id, person, StringComparison.OrdinalIgnoreCase)).Email!;

    /// <summary>
    /// Waits (30 s at most) until the window has no activity in flight: its history then tells everything up to
    /// now, and stopping the worker cannot race a late activity completion (sdk-dotnet#856 aborts the process).
    /// </summary>
    public async Task WaitForIdleActivitiesAsync(WorkflowHandle handle)
    {
        ArgumentNullException.ThrowIfNull(handle);
        var request = new Temporalio.Api.WorkflowService.V1.DescribeWorkflowExecutionRequest
        {
            Namespace = Client.Options.Namespace,
            Execution = new Temporalio.Api.Common.V1.WorkflowExecution { WorkflowId = handle.Id },
        };
        await Poll.UntilAsync(
            async () => (await Client.WorkflowService.DescribeWorkflowExecutionAsync(request)).PendingActivities.Count,
            pending => pending == 0,
            TimeSpan.FromSeconds(30),
            pending => $"{handle.Id} still has {pending} activities in flight after 30 s");
    }

    public async ValueTask DisposeAsync()
    {
        await StopWorkerAsync();
        await World.DisposeAsync();
        await Env.ShutdownAsync();
    }
}
