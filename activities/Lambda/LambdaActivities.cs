using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using MaintenanceWorkflows.Activities.Aws;
using MaintenanceWorkflows.Workflows.Contracts;
using MaintenanceWorkflows.Workflows.Plans;
using Microsoft.Extensions.Logging;
using Temporalio.Activities;
using Temporalio.Exceptions;

namespace MaintenanceWorkflows.Activities.Lambda;

/// <summary>Lambda alias control: promotion and restore activities, and the lambda.alias and lambda.invoke checks (run by <see cref="Checks.CheckBatchActivities"/>).</summary>
public sealed partial class LambdaActivities(ILambdaApi lambda, TimeProvider timeProvider)
{
    private const string Service = "Lambda";
    private const string MarkerPrefix = "maint:";

    public async Task<CheckResult> CheckAliasAsync(LambdaAliasCheck input)
    {
        ArgumentNullException.ThrowIfNull(input);
        Require(input.Function, nameof(input.Function), "the function name, for example beak-api");
        Require(input.Alias, nameof(input.Alias), "the alias name, for example prod");
        Require(input.ExpectedVersion, nameof(input.ExpectedVersion), "the published version the alias should point at, for example 40");
        var token = ActivityExecutionContext.Current.CancellationToken;
        var started = Stopwatch.GetTimestamp();
        var threshold = $"{input.Alias} -> {input.ExpectedVersion}";

        var (alias, notFound) = await AwsCall.RunAllowNotFoundAsync(
            Service, $"GetAlias {input.Function}:{input.Alias}", () => lambda.GetAliasAsync(input.Function, input.Alias, token));
        var latency = Stopwatch.GetElapsedTime(started);
        if (alias is null)
        {
            return Result(input.Id, input.Title, CheckStatus.Red, "not found", threshold, $"Alias {input.Alias} of {input.Function} does not exist: {notFound!.Message}", latency, []);
        }

        var details = new List<CheckDetail>
        {
            new("primary", alias.FunctionVersion == input.ExpectedVersion, alias.FunctionVersion ?? "?", $"alias points at version {alias.FunctionVersion}"),
        };
        var weights = alias.RoutingConfig?.AdditionalVersionWeights ?? new Dictionary<string, double>();
        foreach (var (version, weight) in weights.OrderBy(w => w.Key, StringComparer.Ordinal))
        {
            details.Add(new($"weighted {version}", false, weight.ToString("P0", CultureInfo.InvariantCulture), $"{weight:P0} of traffic goes to version {version}"));
        }

        var observed = alias.FunctionVersion + (weights.Count == 0 ? string.Empty : $" (+{string.Join(", ", weights.Select(w => $"{w.Key} at {w.Value:P0}"))})");
        var drift = alias.FunctionVersion != input.ExpectedVersion || weights.Count > 0;
        var message = drift
            ? $"Alias drift: {input.Function}:{input.Alias} points at {observed}, expected {input.ExpectedVersion} only."
            : $"{input.Function}:{input.Alias} points at {input.ExpectedVersion}; no drift.";
        ActivityExecutionContext.Current.Logger.LogInformation("Alias parity {Function}:{Alias}: {Message}", input.Function, input.Alias, message);
        return Result(input.Id, input.Title, drift ? CheckStatus.Red : CheckStatus.Green, observed, threshold, message, latency, details);
    }

    [Activity(ActivityNames.PromoteLambdaAlias)]
    public async Task<PromoteLambdaAliasResult> PromoteAliasAsync(PromoteLambdaAliasInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        Require(input.WindowId, nameof(input.WindowId), "the maintenance window id");
        Require(input.StepId, nameof(input.StepId), "the plan step id");
        Require(input.Function, nameof(input.Function), "the function name");
        Require(input.Alias, nameof(input.Alias), "the alias name, for example prod");
        if (input.Publish == (input.Version is not null))
        {
            throw AwsCall.InvalidInput(
                $"PromoteLambdaAliasInput for step '{input.StepId}': give exactly one of Version (a published version such as 40) or Publish: true.");
        }

        if (input.Version is not null)
        {
            RequireVersionNumber(input.Version, nameof(input.Version));
        }

        var token = ActivityExecutionContext.Current.CancellationToken;
        var logger = ActivityExecutionContext.Current.Logger;
        // An abort must reach a promotion waiting on Lambda; the restore then reads what it changed from the marker.
        await using var heartbeats = ActivityHeartbeats.Start(ActivityExecutionContext.Current);
        var marker = Marker(input.WindowId, input.StepId);
        var runMarker = Marker(input.WindowId, input.StepId, input.RunId);

        var alias = await AwsCall.RunAsync(Service, $"GetAlias {input.Function}:{input.Alias}", () => lambda.GetAliasAsync(input.Function, input.Alias, token));
        string? published = null;
        string target;
        if (input.Publish)
        {
            (target, published) = await PublishOnceAsync(input, marker, token);
        }
        else
        {
            target = input.Version!;
            var (version, notFound) = await AwsCall.RunAllowNotFoundAsync(
                Service, $"GetFunctionConfiguration {input.Function}:{target}", () => lambda.GetFunctionConfigurationAsync(input.Function, target, token));
            if (version is null)
            {
                throw new ApplicationFailureException(
                    $"Version {target} of {input.Function} does not exist ({notFound!.Message}). Publish it first or fix version in step '{input.StepId}'.",
                    notFound.Type,
                    nonRetryable: true);
            }
        }

        var current = alias.FunctionVersion ?? throw new ApplicationFailureException($"Lambda returned alias {input.Alias} without a FunctionVersion.", ActivityErrorTypes.RemoteUnavailable);
        var weights = alias.RoutingConfig?.AdditionalVersionWeights ?? new Dictionary<string, double>();
        var earlier = AliasMarker.Parse(alias.Description, runMarker);
        if (current == target && (earlier is not null || weights.Count == 0))
        {
            // A retry after the alias was already moved: the marker this window wrote holds the real previous version.
            var previous = earlier?.Version ?? PreviousFromMarker(alias.Description, marker);
            logger.LogInformation(
                "Alias {Function}:{Alias} already points at {Target}; {What}",
                input.Function,
                input.Alias,
                target,
                previous is null ? "nothing to change" : $"moved earlier by this step from {previous}");
            return new PromoteLambdaAliasResult(input.Function, input.Alias, previous ?? current, target, published, previous is not null, alias.RevisionId ?? string.Empty);
        }

        // The alias keeps its weighted routing (except a weight on the target itself, which Lambda refuses); the
        // description records everything this run changes, so the restore can put back exactly what was there.
        var description = input.RunId is null
            ? $"{marker} previous={current}"
            : new AliasMarker(current, weights, AliasMarker.Kept(alias.Description), target).Write(runMarker);
        if (description.Length > AliasMarker.MaxDescriptionLength)
        {
            throw new ApplicationFailureException(
                $"Not promoting {input.Function}:{input.Alias}: its description ({AliasMarker.Kept(alias.Description).Length} characters) and routing leave no room for the restore marker "
                + $"within Lambda's {AliasMarker.MaxDescriptionLength}-character limit ({description.Length} needed). Shorten the alias description, then run the window again.",
                ActivityErrorTypes.InvalidInput,
                nonRetryable: true);
        }

        var updated = await AwsCall.RunAsync(
            Service,
            $"UpdateAlias {input.Function}:{input.Alias} -> {target}",
            () => lambda.UpdateAliasAsync(
                input.Function,
                input.Alias,
                new LambdaUpdateAliasRequest
                {
                    FunctionVersion = target,
                    Description = description,
                    RoutingConfig = new LambdaAliasRoutingConfiguration { AdditionalVersionWeights = weights.Where(w => w.Key != target).ToDictionary(w => w.Key, w => w.Value, StringComparer.Ordinal) },
                    RevisionId = alias.RevisionId,
                },
                token));
        logger.LogInformation("Promoted {Function}:{Alias} from {Previous} to {Target}", input.Function, input.Alias, current, target);
        return new PromoteLambdaAliasResult(input.Function, input.Alias, current, target, published, true, updated.RevisionId ?? string.Empty);
    }

    [Activity(ActivityNames.RestoreLambdaAlias)]
    public async Task<RestoreLambdaAliasResult> RestoreAliasAsync(RestoreLambdaAliasInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        Require(input.WindowId, nameof(input.WindowId), "the maintenance window id");
        Require(input.StepId, nameof(input.StepId), "the plan step id");
        Require(input.Function, nameof(input.Function), "the function name");
        Require(input.Alias, nameof(input.Alias), "the alias name");
        if (input.Version is not null)
        {
            RequireVersionNumber(input.Version, nameof(input.Version));
        }

        var token = ActivityExecutionContext.Current.CancellationToken;

        var alias = await AwsCall.RunAsync(Service, $"GetAlias {input.Function}:{input.Alias}", () => lambda.GetAliasAsync(input.Function, input.Alias, token));
        var current = alias.FunctionVersion ?? "?";
        var hasWeights = alias.RoutingConfig?.AdditionalVersionWeights is { Count: > 0 };
        var recorded = input.RunId is null ? null : AliasMarker.Parse(alias.Description, Marker(input.WindowId, input.StepId, input.RunId));
        if (recorded is null && input.Version is null)
        {
            // The promotion reported nothing and left no marker of this run: it never moved the alias.
            ActivityExecutionContext.Current.Logger.LogInformation(
                "Alias {Function}:{Alias} carries no marker of this run; the promotion never moved it", input.Function, input.Alias);
            return new RestoreLambdaAliasResult(input.Function, input.Alias, current, current, false);
        }

        var version = recorded?.Version ?? input.Version!;
        var expected = recorded?.Target ?? input.ExpectedCurrentVersion;
        if (recorded is null && current == version && !hasWeights)
        {
            return new RestoreLambdaAliasResult(input.Function, input.Alias, current, version, false);
        }

        if (expected is not null && current != expected)
        {
            throw new ApplicationFailureException(
                $"Not restoring {input.Function}:{input.Alias} to {version}: it points at {current}, not at {expected} "
                + "where this window left it, so someone else moved it. Check with the owner, then restore by hand.",
                ActivityErrorTypes.AliasConflict,
                nonRetryable: true);
        }

        await AwsCall.RunAsync(
            Service,
            $"UpdateAlias {input.Function}:{input.Alias} -> {version}",
            () => lambda.UpdateAliasAsync(
                input.Function,
                input.Alias,
                new LambdaUpdateAliasRequest
                {
                    FunctionVersion = version,
                    // With this run's marker: exactly the state before the run (routing and the owner's description).
                    Description = recorded?.Description ?? $"{Marker(input.WindowId, input.StepId)} restored from={current}",
                    RoutingConfig = new LambdaAliasRoutingConfiguration { AdditionalVersionWeights = recorded?.Weights.ToDictionary(w => w.Key, w => w.Value, StringComparer.Ordinal) ?? new Dictionary<string, double>() },
                    RevisionId = alias.RevisionId,
                },
                token));
        ActivityExecutionContext.Current.Logger.LogInformation("Restored {Function}:{Alias} from {From} to {Version}", input.Function, input.Alias, current, version);
        return new RestoreLambdaAliasResult(input.Function, input.Alias, current, version, true);
    }

    public async Task<CheckResult> SmokeInvokeAsync(LambdaInvokeCheck input)
    {
        ArgumentNullException.ThrowIfNull(input);
        Require(input.Function, nameof(input.Function), "the function name");
        Require(input.Qualifier, nameof(input.Qualifier), "the alias or version to invoke, for example prod");
        var payload = string.IsNullOrWhiteSpace(input.Payload) ? "{}" : input.Payload;
        try
        {
            using var parsed = JsonDocument.Parse(payload);
        }
        catch (JsonException e)
        {
            throw AwsCall.InvalidInput($"The payload of check '{input.Id}' is not valid JSON ({e.Message}); give a JSON document such as {{\"ping\":true}}.");
        }

        var token = ActivityExecutionContext.Current.CancellationToken;
        var maxDuration = input.MaxDurationOrDefault;
        var threshold = $"no function error; init + run <= {Ms(maxDuration)}";
        using var content = new StringContent(payload, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var started = Stopwatch.GetTimestamp();
        using var response = await AwsCall.RunAsync(Service, $"Invoke {input.Function}:{input.Qualifier}", () => lambda.InvokeAsync(input.Function, input.Qualifier, "RequestResponse", "Tail", content, token));
        var roundTrip = Stopwatch.GetElapsedTime(started);
        var body = await response.Content.ReadAsStringAsync(token);

        if (!response.IsSuccessStatusCode)
        {
            var error = AwsError.Parse(Service, response.StatusCode, Header(response, "x-amzn-ErrorType"), body);
            if (!error.NotFound)
            {
                throw error.ToFailure($"Invoke {input.Function}:{input.Qualifier}");
            }

            return Result(input.Id, input.Title, CheckStatus.Red, "not found", threshold, $"{input.Function}:{input.Qualifier} does not exist: {error.Message}", roundTrip, []);
        }

        var executedVersion = Header(response, "X-Amz-Executed-Version") ?? "?";
        var report = ParseReport(Header(response, "X-Amz-Log-Result"));
        var details = new List<CheckDetail>();
        var functionError = Header(response, "X-Amz-Function-Error");
        if (functionError is not null)
        {
            var (errorType, errorMessage) = FunctionErrorOf(body);
            var text = $"Function error ({functionError}) in version {executedVersion}: {errorType}: {errorMessage}";
            details.Add(new("function error", false, errorType, errorMessage));
            return Result(input.Id, input.Title, CheckStatus.Red, $"{functionError}: {errorType}", threshold, text, roundTrip, details);
        }

        var measured = report is null ? roundTrip : report.Value.Init + report.Value.Run;
        var observed = report is null
            ? $"version {executedVersion}, {Ms(roundTrip)} round trip (no REPORT line in the log tail)"
            : $"version {executedVersion}, run {Ms(report.Value.Run)}" + (report.Value.Init > TimeSpan.Zero ? $", cold start {Ms(report.Value.Init)}" : ", warm");
        if (report is { } r)
        {
            details.Add(new("duration", true, Ms(r.Run), "run duration reported by Lambda"));
            details.Add(new("init duration", r.Init + r.Run <= maxDuration, Ms(r.Init), r.Init > TimeSpan.Zero ? "cold start" : "warm start"));
        }

        if (measured > maxDuration)
        {
            var text = report is { Init: var init } && init > TimeSpan.Zero
                ? $"Cold start too slow: init {Ms(init)} + run {Ms(report.Value.Run)} exceeds {Ms(maxDuration)}; review the function's logs."
                : $"Invocation took {Ms(measured)}, over the {Ms(maxDuration)} limit.";
            return Result(input.Id, input.Title, CheckStatus.Red, observed, threshold, text, roundTrip, details);
        }

        return Result(input.Id, input.Title, CheckStatus.Green, observed, threshold, $"Invoked {input.Function}:{input.Qualifier} without error.", roundTrip, details);
    }

    internal static string Marker(string windowId, string stepId) => $"{MarkerPrefix}{windowId}/{stepId}";

    /// <summary>The marker of one run's step: a new window of the same id (another run) never mistakes it for its own.</summary>
    internal static string Marker(string windowId, string stepId, string? runId) =>
        runId is null ? Marker(windowId, stepId) : $"{MarkerPrefix}{windowId}/{runId}/{stepId}";

    /// <summary>Reads "maint:&lt;window&gt;/&lt;step&gt; previous=&lt;v&gt;" back from an alias description this step wrote.</summary>
    internal static string? PreviousFromMarker(string? description, string marker)
    {
        if (description is null || !description.StartsWith(marker + " previous=", StringComparison.Ordinal))
        {
            return null;
        }

        var previous = description[(marker.Length + " previous=".Length)..].Trim();
        return previous.Length == 0 ? null : previous;
    }

    /// <summary>Parses Lambda's REPORT line: "Duration: 12.3 ms ... Init Duration: 1830.1 ms".</summary>
    internal static (TimeSpan Run, TimeSpan Init)? ParseReport(string? base64Log)
    {
        if (string.IsNullOrEmpty(base64Log))
        {
            return null;
        }

        string log;
        try
        {
            log = Encoding.UTF8.GetString(Convert.FromBase64String(base64Log));
        }
        catch (FormatException)
        {
            return null;
        }

        var report = log.Split('\n').LastOrDefault(l => l.StartsWith("REPORT", StringComparison.Ordinal));
        if (report is null)
        {
            return null;
        }

        var run = DurationRegex().Match(report);
        if (!run.Success)
        {
            return null;
        }

        var init = InitDurationRegex().Match(report);
        return (
            TimeSpan.FromMilliseconds(double.Parse(run.Groups[1].Value, CultureInfo.InvariantCulture)),
            init.Success ? TimeSpan.FromMilliseconds(double.Parse(init.Groups[1].Value, CultureInfo.InvariantCulture)) : TimeSpan.Zero);
    }

    private async Task<(string Version, string Published)> PublishOnceAsync(PromoteLambdaAliasInput input, string marker, CancellationToken token)
    {
        var latest = await AwsCall.RunAsync(Service, $"GetFunctionConfiguration {input.Function}", () => lambda.GetFunctionConfigurationAsync(input.Function, "$LATEST", token));
        // A previous attempt may have published already; the description marker finds that version again.
        string? nextPage = null;
        do
        {
            var page = await AwsCall.RunAsync(Service, $"ListVersionsByFunction {input.Function}", () => lambda.ListVersionsByFunctionAsync(input.Function, nextPage, 50, token));
            var mine = page.Versions?.FirstOrDefault(v => v.Version != "$LATEST" && v.Description == marker && v.CodeSha256 == latest.CodeSha256);
            if (mine?.Version is { } existing)
            {
                ActivityExecutionContext.Current.Logger.LogInformation("Reusing version {Version} published earlier by {Marker}", existing, marker);
                return (existing, existing);
            }

            nextPage = page.NextMarker;
        }
        while (!string.IsNullOrEmpty(nextPage));

        var published = await AwsCall.RunAsync(
            Service,
            $"PublishVersion {input.Function}",
            () => lambda.PublishVersionAsync(
                input.Function,
                new LambdaPublishVersionRequest { CodeSha256 = latest.CodeSha256, Description = marker, RevisionId = latest.RevisionId },
                token));
        var version = published.Version ?? throw new ApplicationFailureException("Lambda PublishVersion returned no Version.", ActivityErrorTypes.RemoteUnavailable);
        ActivityExecutionContext.Current.Logger.LogInformation("Published {Function} version {Version}", input.Function, version);
        return (version, version);
    }

    private static (string Type, string Message) FunctionErrorOf(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind == JsonValueKind.Object)
            {
                var type = document.RootElement.TryGetProperty("errorType", out var t) ? t.GetString() : null;
                var message = document.RootElement.TryGetProperty("errorMessage", out var m) ? m.GetString() : null;
                return (type ?? "Error", message ?? body);
            }
        }
        catch (JsonException)
        {
            // Not JSON: the raw body is the best description there is.
        }

        return ("Error", body.Length > 500 ? body[..500] : body);
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    private static string Ms(TimeSpan value) => $"{value.TotalMilliseconds.ToString("#,0", CultureInfo.InvariantCulture)} ms";

    private static void Require(string? value, string field, string what)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw AwsCall.InvalidInput($"{field} is required: give {what}.");
        }
    }

    private static void RequireVersionNumber(string value, string field)
    {
        if (value == "$LATEST")
        {
            throw AwsCall.InvalidInput($"{field} must be a published version number, not $LATEST (never point a production alias at $LATEST).");
        }

        if (!VersionRegex().IsMatch(value))
        {
            throw AwsCall.InvalidInput($"{field} '{value}' is not a published version number; give digits such as 40.");
        }
    }

    private CheckResult Result(string checkId, string name, CheckStatus status, string observed, string threshold, string message, TimeSpan latency, IReadOnlyList<CheckDetail> details) =>
        new(checkId, name, status, observed, threshold, message, latency, timeProvider.GetUtcNow(), details);

    [GeneratedRegex(@"(?<!Billed |Init )Duration:\s*([0-9.]+)\s*ms")]
    private static partial Regex DurationRegex();

    [GeneratedRegex(@"Init Duration:\s*([0-9.]+)\s*ms")]
    private static partial Regex InitDurationRegex();

    [GeneratedRegex("^[0-9]+$")]
    private static partial Regex VersionRegex();
}
