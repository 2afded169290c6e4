using MaintenanceWorkflows.Sandbox.Email;
using MaintenanceWorkflows.Workflows;
using MaintenanceWorkflows.Workflows.Plans;
using Temporalio.Client;

namespace MaintenanceWorkflows.Starter.Demo;

/// <summary>
/// What a window's requester does right after scheduling it when the policy asks (<c>requesterConfirms</c>): reads
/// the confirm code from the codes email the worker sent to their own address and confirms with it, as
/// `starter confirm` does. Used by the demo, the benches and the tests' harness.
/// </summary>
public static class RequesterConfirmation
{
    /// <summary>Confirms as the plan's requester; returns null when the worker's policy takes no confirmation for this window.</summary>
    public static async Task<ConfirmationReceipt?> ConfirmAsync(
        WorkflowHandle<MaintenanceWindowWorkflow> handle, MaintenancePlan plan, MaintenancePolicy policy, LocalSesServer ses, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(handle);
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(policy);
        using var patience = new CancellationTokenSource(timeout);
        var status = await handle.QueryAsync(wf => wf.Status);
        while (status.PolicyHash is null)
        {
            // The worker prepares the window a moment after the start; until then the status cannot say what it needs.
            await Task.Delay(TimeSpan.FromMilliseconds(20), patience.Token);
            status = await handle.QueryAsync(wf => wf.Status);
        }
        var requester = policy.Approvals.Approvers.Concat(policy.Approvals.Operators)
            .FirstOrDefault(p => string.Equals(p.Id, plan.Requester.Trim(), StringComparison.OrdinalIgnoreCase));
        if (requester is null || status.Phase.IsFinal() || !status.Approvals.MissingGates.Any(g => g.Id == MaintenanceWindowWorkflow.RequesterConfirmationGate))
        {
            // Nothing to confirm, or a requester the policy does not know (the worker refused such a plan).
            return null;
        }
        var code = await ApprovalEmail.WaitForCodeAsync(ses, handle.Id, requester.Email!, "confirm", timeout);
        return await handle.ExecuteUpdateAsync(wf => wf.SubmitConfirmationAsync(new ConfirmCommand { By = requester.Id, Code = code }));
    }
}
