using MaintenanceWorkflows.Activities.Governance;
using MaintenanceWorkflows.Workflows.Plans;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MaintenanceWorkflows.Worker;

/// <summary>Says at start which policy governs this worker (file and hash) and warns for every type whose votes need no proof.</summary>
public sealed class GovernanceStartupCheck(WorkerPolicy policy, ILogger<GovernanceStartupCheck> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        logger.LogInformation("Governing windows with policy {Path} (sha256 {Hash})", policy.Path, policy.Hash);
        var types = policy.Policy.Types;
        foreach (var (name, type) in new[] { ("routine", types.Routine), ("urgent", types.Urgent), ("emergency", types.Emergency) })
        {
            if (type.Approval.Proof == ProofMode.None)
            {
                logger.LogWarning(
                    "Policy {Path}: {Type} windows run with proof: none, so anyone who can reach Temporal can approve, reject or extend them under any approver's name",
                    policy.Path,
                    name);
            }
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
