using System.CommandLine;
using MaintenanceWorkflows.Workflows;
using MaintenanceWorkflows.Workflows.Governance;
using MaintenanceWorkflows.Workflows.Plans;
using Temporalio.Api.Enums.V1;
using Temporalio.Client;
using Temporalio.Common;
using Temporalio.Exceptions;

namespace MaintenanceWorkflows.Starter.Commands;

/// <summary>`starter schedule plan.yaml [--policy p.yaml]`: validates, then starts the window's workflow.</summary>
public static class ScheduleCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var plan = PlanInputs.PlanArgument();
        var policy = PlanInputs.PolicyOption();
        var command = new Command("schedule", "Validate a plan and start its maintenance window on Temporal.") { plan, policy };
        command.SetAction((parse, _) => RunAsync(parse, parse.GetValue(plan)!, parse.GetValue(policy), output, error));
        return command;
    }

    public static async Task<int> RunAsync(ParseResult parse, string planPath, string? policyPath, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(parse);
        var now = DateTimeOffset.UtcNow;
        var loaded = PlanInputs.Load(planPath, policyPath, now, error);
        if (loaded is null)
        {
            return PlanInputs.ExitLoadError;
        }
        var violations = PlanValidator.Validate(loaded.Plan, loaded.Policy, now);
        if (violations.HasErrors())
        {
            error.WriteLine($"{planPath}: not scheduled, the plan breaks the policy (run `starter validate {planPath}` for the fixes):");
            foreach (var v in violations.Where(v => v.Severity == ViolationSeverity.Error))
            {
                error.WriteLine($"  [{v.Code}] {v.Path}: {v.Message}");
            }
            return PlanInputs.ExitInvalid;
        }

        var client = await Connection.ConnectAsync(parse, error);
        if (client is null)
        {
            return Connection.ExitUnavailable;
        }
        var settings = Connection.Settings(parse);
        var windowId = MaintenanceWindowInput.WorkflowIdFor(loaded.Plan.Id);
        try
        {
            var handle = await StartAsync(client, settings.TaskQueue, loaded.Plan, Environment.UserName);
            var schedule = ScheduleRules.Derive(loaded.Plan, loaded.Policy, now);
            output.WriteLine($"scheduled {windowId} (run {handle.ResultRunId}) on task queue {settings.TaskQueue}");
            PlanSummary.Write(output, loaded.Plan, schedule);
            var next = schedule.NoticeImmediately
                ? $"approvals from {string.Join(", ", schedule.EligibleApprovers)} by {ZoneMath.FormatUtc(schedule.ApprovalDeadline)}"
                : $"pre-maintenance notice at {ZoneMath.FormatUtc(schedule.NoticeAt)}";
            output.WriteLine($"  next:      {next}");
            output.WriteLine($"  approve:   starter approve {windowId} --by <approver> --code <code from the approval email> [--comment ...]");
            await ComparePolicyAsync(handle, loaded.PolicyPath, parse, output, error);
            return PlanInputs.ExitOk;
        }
        catch (WorkflowAlreadyStartedException)
        {
            error.WriteLine($"error: {windowId} is already scheduled and running; see `starter status {windowId}`, or give the plan a new id.");
            return Connection.ExitRefused;
        }
        catch (RpcException e) when (e.Code == RpcException.StatusCode.InvalidArgument && e.Message.Contains("search attribute", StringComparison.OrdinalIgnoreCase))
        {
            error.WriteLine(
                $"error: Temporal refused the window's search attributes ({e.Message}). Register them once per namespace: " +
                "start the worker with Temporal__RegisterSearchAttributes=true, or run deploy/register-search-attributes.sh.");
            return Connection.ExitRefused;
        }
        catch (Exception e) when (Connection.TryExplain(e, windowId, error, out var exit))
        {
            return exit;
        }
    }

    /// <summary>
    /// The window runs under the worker's policy, not the file checked here: says so when they differ, since the
    /// validation above may then not be what the worker decides. Waits for the worker for at most --timeout.
    /// </summary>
    private static async Task ComparePolicyAsync(WorkflowHandle<MaintenanceWindowWorkflow, MaintenanceReport> handle, string localPath, ParseResult parse, TextWriter output, TextWriter error)
    {
        var local = PolicyHash.Of(await File.ReadAllBytesAsync(localPath));
        using var answer = WindowArguments.AnswerDeadline(parse);
        try
        {
            while (true)
            {
                var status = await handle.QueryAsync(wf => wf.Status, new WorkflowQueryOptions { Rpc = new RpcOptions { CancellationToken = answer.Token } });
                if (status.PolicyHash is { } governing)
                {
                    if (governing == local)
                    {
                        output.WriteLine($"  policy:    the worker's policy is the same as {localPath} (sha256 {PolicyHash.Short(local)})");
                    }
                    else
                    {
                        error.WriteLine(
                            $"warning: the worker governs {handle.Id} with a different policy (sha256 {PolicyHash.Short(governing)}) than {localPath} " +
                            $"(sha256 {PolicyHash.Short(local)}); approvers, gates and freezes are the worker's. `starter status {handle.Id}` shows the outcome of its validation.");
                    }
                    return;
                }
                // The worker records its policy in the window's first step; ask again shortly.
                await Task.Delay(TimeSpan.FromMilliseconds(200), answer.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException || e.InnerException is OperationCanceledException || e is RpcException)
        {
            output.WriteLine($"  policy:    no worker answered yet; compare `starter status {handle.Id}` (policy sha256) with {PolicyHash.Short(local)} of {localPath}");
        }
    }

    /// <summary>Starts the window; shared with `starter demo`.</summary>
    public static Task<WorkflowHandle<MaintenanceWindowWorkflow, MaintenanceReport>> StartAsync(
        ITemporalClient client, string taskQueue, MaintenancePlan plan, string scheduledBy)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(plan);
        var input = new MaintenanceWindowInput { Plan = plan, ScheduledBy = scheduledBy };
        return client.StartWorkflowAsync(
            (MaintenanceWindowWorkflow wf) => wf.RunAsync(input),
            new WorkflowOptions(MaintenanceWindowInput.WorkflowIdFor(plan.Id), taskQueue)
            {
                // A window that ended (postponed, cancelled, completed) may be scheduled again under the same id.
                IdReusePolicy = WorkflowIdReusePolicy.AllowDuplicate,
                TypedSearchAttributes = MaintenanceSearchAttributes.For(plan, WindowPhase.Scheduled),
                // The calendar shows these without reading each window's history.
                Memo = new Dictionary<string, object>
                {
                    ["Title"] = plan.Title,
                    ["Scope"] = plan.Scope,
                    ["Impact"] = plan.Impact.Summary,
                    ["TimeZone"] = plan.Window.TimeZone,
                },
                StaticSummary = $"{plan.Type} maintenance: {plan.Title}",
            });
    }
}
