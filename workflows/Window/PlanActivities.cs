using MaintenanceWorkflows.Workflows.Contracts;
using MaintenanceWorkflows.Workflows.Plans;
using Temporalio.Common;
using Temporalio.Exceptions;
using Temporalio.Workflows;

namespace MaintenanceWorkflows.Workflows;

/// <summary>
/// Maps the plan's typed steps and checks onto the activities (called by name, see
/// <see cref="ActivityNames"/>) with the retry and timeout policy each kind of work deserves. Runs inside
/// the workflow, so everything here is deterministic.
/// </summary>
internal static class PlanActivities
{
    /// <summary>Checks are re-run by the soak anyway; retry only what could not run at all, briefly.</summary>
    private static readonly RetryPolicy CheckRetry = new()
    {
        InitialInterval = TimeSpan.FromSeconds(1),
        MaximumInterval = TimeSpan.FromSeconds(10),
        MaximumAttempts = 3,
    };

    private static readonly RetryPolicy StepRetry = new()
    {
        InitialInterval = TimeSpan.FromSeconds(2),
        BackoffCoefficient = 2,
        MaximumInterval = TimeSpan.FromMinutes(1),
        MaximumAttempts = 5,
    };

    /// <summary>Undoing must try hard: a failed compensation leaves production changed.</summary>
    private static readonly RetryPolicy CompensationRetry = new()
    {
        InitialInterval = TimeSpan.FromSeconds(2),
        BackoffCoefficient = 2,
        MaximumInterval = TimeSpan.FromMinutes(1),
        MaximumAttempts = 8,
    };

    /// <summary>Runs the checks as one batch activity (one history entry per round); results come back in order.</summary>
    public static async Task<IReadOnlyList<CheckResult>> RunChecksAsync(IReadOnlyList<PlanCheck> checks, CancellationToken ct)
    {
        if (checks.Count == 0)
        {
            return [];
        }
        var longest = checks.Max(c => c.TimeoutOrDefault);
        var options = new ActivityOptions
        {
            StartToCloseTimeout = longest + TimeSpan.FromSeconds(30),
            RetryPolicy = CheckRetry,
            CancellationToken = ct,
            Summary = $"checks {string.Join(", ", checks.Select(c => c.Id))}",
        };
        try
        {
            var result = await Workflow.ExecuteActivityAsync<RunChecksResult>(
                ActivityNames.RunChecks, [new RunChecksInput(checks)], options);
            return result.Results;
        }
        catch (ActivityFailureException e) when (!ct.IsCancellationRequested)
        {
            // A round that could not run at all is a round of failed observations, not a crashed window.
            return checks.Select(c => Failed(c, "not run", Describe(e))).ToList();
        }
    }

    public static CheckResult Failed(PlanCheck check, string observed, string message) => new(
        check.Id,
        check.Title,
        CheckStatus.Red,
        observed,
        string.Empty,
        message,
        TimeSpan.Zero,
        Workflow.UtcNow,
        []);

    public static CheckResult Passed(PlanCheck check, string observed, string message) => new(
        check.Id,
        check.Title,
        CheckStatus.Green,
        observed,
        string.Empty,
        message,
        TimeSpan.Zero,
        Workflow.UtcNow,
        []);

    public static Task<PromoteLambdaAliasResult> PromoteAsync(string windowId, LambdaPromoteStep step, CancellationToken ct)
    {
        var options = StepOptions(step, TimeSpan.FromMinutes(2), ct);
        // The activity heartbeats while it waits on Lambda, so an abort reaches it (a cancellation travels in heartbeat replies).
        options.HeartbeatTimeout = PromotionHeartbeat;
        return Workflow.ExecuteActivityAsync<PromoteLambdaAliasResult>(
            ActivityNames.PromoteLambdaAlias,
            [new PromoteLambdaAliasInput(windowId, step.Id, step.Function, step.Alias, step.Version, step.Publish, RunId: Workflow.Info.RunId)],
            options);
    }

    /// <summary>How long a promotion may go without a heartbeat; an abort reaches it within about this long.</summary>
    public static readonly TimeSpan PromotionHeartbeat = TimeSpan.FromSeconds(30);

    /// <summary>Undoes this run's promotion from the marker it left on the alias; <paramref name="promoted"/> is null when the promotion reported nothing.</summary>
    public static Task<RestoreLambdaAliasResult> RestoreAsync(
        string windowId, LambdaPromoteStep step, PromoteLambdaAliasResult? promoted, CancellationToken ct) =>
        Workflow.ExecuteActivityAsync<RestoreLambdaAliasResult>(
            ActivityNames.RestoreLambdaAlias,
            [new RestoreLambdaAliasInput(windowId, step.Id, step.Function, step.Alias, promoted?.PreviousVersion, promoted?.NewVersion, RunId: Workflow.Info.RunId)],
            CompensationOptions(TimeSpan.FromMinutes(2), ct));

    public static Task<HttpRequestResult> SendRequestAsync(HttpRequestStep step, bool compensation, CancellationToken ct) =>
        Workflow.ExecuteActivityAsync<HttpRequestResult>(
            ActivityNames.SendHttpRequest,
            [new HttpRequestInput(
                step.Id,
                step.Method,
                step.Url,
                step.Target,
                step.Path,
                step.Body,
                null,
                step.ExpectedStatus,
                step.Timeout ?? TimeSpan.FromSeconds(30))],
            compensation ? CompensationOptions(step.Timeout ?? TimeSpan.FromMinutes(1), ct) : StepOptions(step, TimeSpan.FromMinutes(1), ct));

    public static Task<RunCommandResult> RunCommandAsync(CommandStep step, bool compensation, CancellationToken ct)
    {
        var options = compensation ? CompensationOptions(step.Timeout ?? TimeSpan.FromMinutes(30), ct) : StepOptions(step, TimeSpan.FromMinutes(30), ct);
        options.HeartbeatTimeout = TimeSpan.FromMinutes(1);
        return Workflow.ExecuteActivityAsync<RunCommandResult>(
            ActivityNames.RunCommand,
            [new RunCommandInput(step.Id, step.Command, step.Args)],
            options);
    }

    public static string Describe(Exception e) => e switch
    {
        ActivityFailureException { InnerException: ApplicationFailureException app } => app.Message,
        ActivityFailureException { InnerException: TimeoutFailureException timeout } => $"timed out ({timeout.TimeoutType})",
        ActivityFailureException { InnerException: CanceledFailureException } => "cancelled",
        ActivityFailureException { InnerException: { } inner } => inner.Message,
        _ => e.Message,
    };

    private static ActivityOptions StepOptions(PlanStep step, TimeSpan defaultTimeout, CancellationToken ct) => new()
    {
        StartToCloseTimeout = step.Timeout ?? defaultTimeout,
        RetryPolicy = StepRetry,
        CancellationToken = ct,
        // Abort must stop a running step: wait for the activity to acknowledge the cancellation.
        CancellationType = ActivityCancellationType.WaitCancellationCompleted,
        Summary = $"step {step.Id}",
    };

    private static ActivityOptions CompensationOptions(TimeSpan timeout, CancellationToken ct) => new()
    {
        StartToCloseTimeout = timeout,
        RetryPolicy = CompensationRetry,
        CancellationToken = ct,
        Summary = "compensation",
    };
}
