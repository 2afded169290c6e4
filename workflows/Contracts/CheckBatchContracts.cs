namespace MaintenanceWorkflows.Workflows.Contracts;

/// <summary>
/// One check of a batch: exactly one of the inputs is set. A union of records (rather than a type
/// discriminator) keeps the payload plain JSON that reads well in the Temporal UI.
/// </summary>
public sealed record CheckRequest
{
    public StatusEndpointCheckInput? StatusEndpoint { get; init; }

    public RouteHealthCheckInput? RouteHealth { get; init; }

    public HealthScoreCheckInput? HealthScore { get; init; }

    public FreezeFlagCheckInput? FreezeFlag { get; init; }

    public LambdaAliasCheckInput? LambdaAlias { get; init; }

    public LambdaSmokeInvokeInput? SmokeInvoke { get; init; }

    public EmailQuotaCheckInput? EmailQuota { get; init; }
}

/// <summary>
/// Run several checks in one activity (a verification round): one history entry per round instead of
/// one per check keeps a day-long soak far inside Temporal's history limits.
/// </summary>
/// <param name="Checks">The checks, run concurrently.</param>
public sealed record RunChecksInput(IReadOnlyList<CheckRequest> Checks);

/// <param name="Results">One result per requested check, in the requested order; a check that could not run is red with the reason.</param>
public sealed record RunChecksResult(IReadOnlyList<CheckResult> Results);
