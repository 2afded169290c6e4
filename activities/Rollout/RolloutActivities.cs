using MaintenanceWorkflows.Workflows.Contracts;
using MaintenanceWorkflows.Workflows.Plans;
using MaintenanceWorkflows.Workflows.Rollout;
using Microsoft.Extensions.Options;
using Temporalio.Activities;
using Temporalio.Client;
using Temporalio.Exceptions;

namespace MaintenanceWorkflows.Activities.Rollout;

/// <summary>The worker's side of rollouts: its fleets (configuration), and what a finished rollout left changed.</summary>
public sealed class RolloutActivities(IOptions<FleetsOptions> fleets)
{
    /// <summary>The fleet's hosts with ranges expanded, or why the name cannot be used; recorded, so replay sees the same hosts.</summary>
    [Activity(ActivityNames.ResolveFleet)]
    public ResolveFleetResult ResolveFleet(ResolveFleetInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var known = fleets.Value.Keys.FirstOrDefault(k => string.Equals(k, input.Fleet, StringComparison.OrdinalIgnoreCase));
        if (known is null)
        {
            var names = fleets.Value.Keys.Order(StringComparer.Ordinal).ToList();
            return new ResolveFleetResult([], $"the worker knows no fleet '{Clip(input.Fleet)}' ({(names.Count == 0 ? "no Fleets:<name> configured" : $"known: {string.Join(", ", names)}")})");
        }
        var errors = new List<string>();
        var hosts = RolloutRules.ExpandHosts(fleets.Value[known], errors);
        return errors.Count > 0
            ? new ResolveFleetResult([], $"Fleets:{known} on the worker is unusable: {string.Join("; ", errors)}")
            : new ResolveFleetResult(hosts, null);
    }

    /// <summary>The result of a finished rollout run (its chain's last run), read through the worker's own client.</summary>
    [Activity(ActivityNames.ReadRollout)]
    public async Task<ReadRolloutResult> ReadRolloutAsync(ReadRolloutInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var context = ActivityExecutionContext.Current;
        try
        {
            var handle = context.TemporalClient.GetWorkflowHandle(input.WorkflowId);
            var result = await handle.GetResultAsync<FleetRolloutResult>(followRuns: true, new RpcOptions { CancellationToken = context.CancellationToken });
            return new ReadRolloutResult(result, null);
        }
        catch (Temporalio.Exceptions.RpcException e) when (e.Code == Temporalio.Exceptions.RpcException.StatusCode.NotFound)
        {
            return new ReadRolloutResult(null, "the rollout never started");
        }
        catch (WorkflowFailedException e)
        {
            return new ReadRolloutResult(null, $"the rollout run failed: {e.InnerException?.Message ?? e.Message}");
        }
    }

    private static string Clip(string text) => text.Length <= 64 ? text : text[..64] + "…";
}
