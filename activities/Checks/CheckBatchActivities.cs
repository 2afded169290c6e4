using MaintenanceWorkflows.Activities.Email;
using MaintenanceWorkflows.Activities.Http;
using MaintenanceWorkflows.Activities.Lambda;
using MaintenanceWorkflows.Workflows.Contracts;
using MaintenanceWorkflows.Workflows.Plans;
using Temporalio.Activities;
using Temporalio.Exceptions;

namespace MaintenanceWorkflows.Activities.Checks;

/// <summary>
/// Runs a round of the plan's checks concurrently, each check type by its one handler; one that cannot run
/// is a red result, not a failed round.
/// </summary>
public sealed class CheckBatchActivities(LambdaActivities lambda, HttpCheckActivities http, EmailChecks email)
{
    [Activity(ActivityNames.RunChecks)]
    public async Task<RunChecksResult> RunChecksAsync(RunChecksInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var context = ActivityExecutionContext.Current;
        var results = await Task.WhenAll(input.Checks.Select(check => RunOneAsync(check, context)));
        return new RunChecksResult(results);
    }

    private async Task<CheckResult> RunOneAsync(PlanCheck check, ActivityExecutionContext context)
    {
        try
        {
            return check switch
            {
                HttpStatusCheck c => await http.CheckEndpointAsync(c),
                HttpJsonCheck c => await http.CheckEndpointAsync(c),
                FreezeCheck { Source: not null } c => await http.CheckFreezeFlagAsync(c),
                LambdaAliasCheck c => await lambda.CheckAliasAsync(c),
                LambdaInvokeCheck c => await lambda.SmokeInvokeAsync(c),
                EmailQuotaCheck c => await email.CheckQuotaAsync(c),
                _ => throw new ApplicationFailureException(
                    $"check '{check.Id}' of type '{check.CheckType}' has nothing this worker can run; a freeze check runs here only with a source",
                    ActivityErrorTypes.InvalidInput,
                    nonRetryable: true),
            };
        }
#pragma warning disable CA1031 // Whatever stops one check from running is that check's red result; the round goes on.
        catch (Exception e) when (e is not OperationCanceledException || !context.CancellationToken.IsCancellationRequested)
#pragma warning restore CA1031
        {
            // Misconfiguration or an outage of the thing being checked: the check could not run, so it did not pass.
            return new CheckResult(check.Id, check.Title, CheckStatus.Red, "not run", string.Empty, e.Message, TimeSpan.Zero, DateTimeOffset.UtcNow, []);
        }
    }
}
