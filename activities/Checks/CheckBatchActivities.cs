using MaintenanceWorkflows.Activities.Email;
using MaintenanceWorkflows.Activities.Http;
using MaintenanceWorkflows.Activities.Lambda;
using MaintenanceWorkflows.Workflows.Contracts;
using Temporalio.Activities;
using Temporalio.Exceptions;

namespace MaintenanceWorkflows.Activities.Checks;

/// <summary>Runs a round of checks concurrently through the single-check activities; one that cannot run is a red result, not a failed round.</summary>
public sealed class CheckBatchActivities(LambdaActivities lambda, HttpCheckActivities http, EmailActivities email)
{
    [Activity(ActivityNames.RunChecks)]
    public async Task<RunChecksResult> RunChecksAsync(RunChecksInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var context = ActivityExecutionContext.Current;
        var results = await Task.WhenAll(input.Checks.Select(check => RunOneAsync(check, context)));
        return new RunChecksResult(results);
    }

    private async Task<CheckResult> RunOneAsync(CheckRequest check, ActivityExecutionContext context)
    {
        var (id, name) = Identify(check);
        try
        {
            return check switch
            {
                { StatusEndpoint: { } i } => await http.CheckStatusEndpointAsync(i),
                { RouteHealth: { } i } => await http.CheckRouteHealthAsync(i),
                { HealthScore: { } i } => await http.CheckHealthScoreAsync(i),
                { FreezeFlag: { } i } => await http.CheckFreezeFlagAsync(i),
                { LambdaAlias: { } i } => await lambda.CheckAliasAsync(i),
                { SmokeInvoke: { } i } => await lambda.SmokeInvokeAsync(i),
                { EmailQuota: { } i } => await email.CheckQuotaAsync(i),
                _ => throw new ApplicationFailureException($"check '{id}' names no check input; set exactly one of its fields", ActivityErrorTypes.InvalidInput, nonRetryable: true),
            };
        }
#pragma warning disable CA1031 // Whatever stops one check from running is that check's red result; the round goes on.
        catch (Exception e) when (e is not OperationCanceledException || !context.CancellationToken.IsCancellationRequested)
#pragma warning restore CA1031
        {
            // Misconfiguration or an outage of the thing being checked: the check could not run, so it did not pass.
            return new CheckResult(id, name, CheckStatus.Red, "not run", string.Empty, e.Message, TimeSpan.Zero, DateTimeOffset.UtcNow, []);
        }
    }

    private static (string Id, string Name) Identify(CheckRequest check) => check switch
    {
        { StatusEndpoint: { } i } => (i.CheckId, i.Name),
        { RouteHealth: { } i } => (i.CheckId, i.Name),
        { HealthScore: { } i } => (i.CheckId, i.Name),
        { FreezeFlag: { } i } => (i.CheckId, i.Name),
        { LambdaAlias: { } i } => (i.CheckId, i.Name),
        { SmokeInvoke: { } i } => (i.CheckId, i.Name),
        { EmailQuota: { } i } => (i.CheckId, i.Name),
        _ => ("?", "?"),
    };
}
