using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using MaintenanceWorkflows.Workflows.Contracts;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Temporalio.Activities;
using MaintenanceWorkflows.Activities.Redaction;
using Temporalio.Exceptions;

namespace MaintenanceWorkflows.Activities.Http;

/// <summary>HTTP health checks and the http.request step. A failing check is a red result, not an exception.</summary>
public sealed class HttpCheckActivities(
    IHttpClientFactory httpClientFactory,
    HttpTargets targets,
    IOptions<FreezeSourcesOptions> freezeSources,
    SecretRedactor redactor,
    TimeProvider timeProvider)
{
    /// <summary>Name of the HttpClient the checks use (no retries of its own, no client-wide timeout).</summary>
    public const string ClientName = "maintenance-http-checks";

    /// <summary>A health answer is small; anything bigger is read no further and fails the check, so the worker's memory stays bounded.</summary>
    public const int MaxResponseBytes = 4 * 1024 * 1024;

    private const int BodyTailLength = 2000;

    [Activity(ActivityNames.CheckStatusEndpoint)]
    public async Task<CheckResult> CheckStatusEndpointAsync(StatusEndpointCheckInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var owner = $"check '{input.CheckId}'";
        var (url, headers) = targets.Resolve(input.Url, input.Target, input.Path, owner);
        var requiredKeys = input.RequiredKeys ?? [];
        var expectedValues = input.ExpectedValues ?? [];
        var thresholdParts = new List<string> { $"HTTP {input.ExpectedStatus}" };
        if (requiredKeys.Count > 0)
        {
            thresholdParts.Add("keys " + string.Join(", ", requiredKeys));
        }

        thresholdParts.AddRange(expectedValues.Select(v => $"{v.Path} = {v.Value}"));
        if (input.LatencyLimit is { } limit)
        {
            thresholdParts.Add($"within {Ms(limit)}");
        }

        var threshold = string.Join("; ", thresholdParts);
        var probe = await ProbeAsync(HttpMethod.Get, url, headers, null, null, input.Timeout);
        if (probe.Error is not null)
        {
            return Result(input.CheckId, input.Name, CheckStatus.Red, probe.Error, threshold, $"{url} {probe.Error}.", probe.Latency, []);
        }

        var details = new List<CheckDetail>
        {
            new("status", probe.Status == input.ExpectedStatus, $"HTTP {probe.Status}", StatusMeaning(probe.Status)),
        };
        if (input.LatencyLimit is { } latencyLimit)
        {
            details.Add(new("latency", probe.Latency <= latencyLimit, Ms(probe.Latency), $"limit {Ms(latencyLimit)}"));
        }

        if (requiredKeys.Count > 0 || expectedValues.Count > 0)
        {
            JsonDocument? document = null;
            try
            {
                document = JsonDocument.Parse(probe.Body);
            }
            catch (JsonException e)
            {
                details.Add(new("json", false, Tail(probe.Body, 80), $"body is not valid JSON: {e.Message}"));
            }

            using (document)
            {
                if (document is not null)
                {
                    foreach (var key in requiredKeys)
                    {
                        var present = JsonPaths.TryGet(document.RootElement, key, out var value);
                        details.Add(new(key, present, present ? JsonPaths.Text(value) : "missing", present ? "present" : "required key is missing"));
                    }

                    foreach (var expected in expectedValues)
                    {
                        var present = JsonPaths.TryGet(document.RootElement, expected.Path, out var value);
                        var actual = present ? JsonPaths.Text(value) : "missing";
                        var matches = present && actual == expected.Value;
                        details.Add(new(expected.Path, matches, actual, matches ? "as expected" : $"expected {expected.Value}"));
                    }
                }
            }
        }

        var failed = details.Where(d => !d.Passed).ToList();
        var observed = $"HTTP {probe.Status} in {Ms(probe.Latency)}";
        var message = failed.Count == 0
            ? $"{url} answered HTTP {probe.Status} in {Ms(probe.Latency)} with everything expected."
            : $"{url}: " + string.Join("; ", failed.Select(d => $"{d.Name} {d.Observed} ({d.Message})"));
        Log(input.CheckId, failed.Count == 0, message);
        return Result(input.CheckId, input.Name, failed.Count == 0 ? CheckStatus.Green : CheckStatus.Red, observed, threshold, message, probe.Latency, details);
    }

    [Activity(ActivityNames.CheckRouteHealth)]
    public async Task<CheckResult> CheckRouteHealthAsync(RouteHealthCheckInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var owner = $"check '{input.CheckId}'";
        if (input.Routes is null || input.Routes.Count == 0)
        {
            throw new ApplicationFailureException($"RouteHealthCheckInput.Routes of {owner} is empty; list routes such as /beak, /beak/metrics, /beak/system/status.", ActivityErrorTypes.InvalidInput, nonRetryable: true);
        }

        var healthy = input.ExpectedStatuses is { Count: > 0 } statuses ? statuses : [200];
        var threshold = $"HTTP {string.Join("/", healthy)}" + (input.LatencyLimit is { } l ? $" within {Ms(l)}" : string.Empty);
        var details = new List<CheckDetail>();
        var total = TimeSpan.Zero;
        foreach (var route in input.Routes)
        {
            var (url, headers) = targets.Resolve(input.BaseUrl is null ? null : Combine(input.BaseUrl, route), input.Target, route, owner);
            var probe = await ProbeAsync(HttpMethod.Get, url, headers, null, null, input.Timeout);
            total += probe.Latency;

            // Many slow routes can outlast a heartbeat timeout; each answered route is progress.
            ActivityExecutionContext.Current.Heartbeat(route);
            if (probe.Error is not null)
            {
                details.Add(new(route, false, probe.Error, $"{url} {probe.Error}"));
                continue;
            }

            var statusOk = healthy.Contains(probe.Status);
            var latencyOk = input.LatencyLimit is not { } limit || probe.Latency <= limit;
            var why = !statusOk ? StatusMeaning(probe.Status) : !latencyOk ? $"slower than {Ms(input.LatencyLimit!.Value)}" : "healthy";
            details.Add(new(route, statusOk && latencyOk, $"HTTP {probe.Status} in {Ms(probe.Latency)}", why));
        }

        var failed = details.Where(d => !d.Passed).ToList();
        var observed = $"{details.Count - failed.Count}/{details.Count} routes healthy";
        var message = failed.Count == 0
            ? $"All {details.Count} routes answered {threshold}."
            : "Unhealthy routes: " + string.Join("; ", failed.Select(d => $"{d.Name} {d.Observed} ({d.Message})"));
        Log(input.CheckId, failed.Count == 0, message);
        return Result(input.CheckId, input.Name, failed.Count == 0 ? CheckStatus.Green : CheckStatus.Red, observed, threshold, message, total, details);
    }

    [Activity(ActivityNames.CheckHealthScore)]
    public async Task<CheckResult> CheckHealthScoreAsync(HealthScoreCheckInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var owner = $"check '{input.CheckId}'";
        if (string.IsNullOrWhiteSpace(input.ScorePath))
        {
            throw new ApplicationFailureException($"HealthScoreCheckInput.ScorePath of {owner} is required, for example health.score.", ActivityErrorTypes.InvalidInput, nonRetryable: true);
        }

        if (input.AmberBelow is { } amberBelow && amberBelow < input.RedBelow)
        {
            throw new ApplicationFailureException($"HealthScoreCheckInput of {owner}: AmberBelow ({amberBelow}) must not be lower than RedBelow ({input.RedBelow}).", ActivityErrorTypes.InvalidInput, nonRetryable: true);
        }

        var (url, headers) = targets.Resolve(input.Url, input.Target, input.Path, owner);
        var threshold = string.Create(CultureInfo.InvariantCulture, $"red below {input.RedBelow}") + (input.AmberBelow is { } a ? string.Create(CultureInfo.InvariantCulture, $", amber below {a}") : string.Empty);
        var probe = await ProbeAsync(HttpMethod.Get, url, headers, null, null, input.Timeout);
        if (probe.Error is not null)
        {
            return Result(input.CheckId, input.Name, CheckStatus.Red, probe.Error, threshold, $"{url} {probe.Error}.", probe.Latency, []);
        }

        if (probe.Status is < 200 or > 299)
        {
            return Result(input.CheckId, input.Name, CheckStatus.Red, $"HTTP {probe.Status}", threshold, $"{url} answered HTTP {probe.Status}: {StatusMeaning(probe.Status)}.", probe.Latency, []);
        }

        double score;
        try
        {
            using var document = JsonDocument.Parse(probe.Body);
            if (!JsonPaths.TryGet(document.RootElement, input.ScorePath, out var value))
            {
                return Result(input.CheckId, input.Name, CheckStatus.Red, "missing", threshold, $"{url} has no {input.ScorePath} in its JSON.", probe.Latency, []);
            }

            if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out score))
            {
                return Result(input.CheckId, input.Name, CheckStatus.Red, JsonPaths.Text(value), threshold, $"{input.ScorePath} at {url} is not a number.", probe.Latency, []);
            }
        }
        catch (JsonException e)
        {
            return Result(input.CheckId, input.Name, CheckStatus.Red, "not JSON", threshold, $"{url} did not return JSON: {e.Message}", probe.Latency, []);
        }

        var status = score < input.RedBelow ? CheckStatus.Red : input.AmberBelow is { } amber && score < amber ? CheckStatus.Amber : CheckStatus.Green;
        var observed = score.ToString("0.#", CultureInfo.InvariantCulture) + "/100";
        var message = status switch
        {
            CheckStatus.Red => $"Health score {observed} is red (below {input.RedBelow.ToString(CultureInfo.InvariantCulture)}); investigate the highest-penalty item first.",
            CheckStatus.Amber => $"Health score {observed} is amber.",
            _ => $"Health score {observed} is healthy.",
        };
        Log(input.CheckId, status != CheckStatus.Red, message);
        return Result(input.CheckId, input.Name, status, observed, threshold, message, probe.Latency, []);
    }

    [Activity(ActivityNames.CheckFreezeFlag)]
    public async Task<CheckResult> CheckFreezeFlagAsync(FreezeFlagCheckInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (!freezeSources.Value.TryGetValue(input.Source ?? string.Empty, out var source) || source.Url is null)
        {
            var known = freezeSources.Value.Count == 0 ? "none are configured" : "configured: " + string.Join(", ", freezeSources.Value.Keys.Order(StringComparer.Ordinal));
            throw new ApplicationFailureException(
                $"Freeze source '{input.Source}' of check '{input.CheckId}' is not configured on this worker (FreezeSources:{input.Source}:Url); {known}.",
                ActivityErrorTypes.UnknownName,
                nonRetryable: true);
        }

        const string Threshold = "no active change freeze";
        var probe = await ProbeAsync(HttpMethod.Get, source.Url, source.Headers, null, null, input.Timeout);
        if (probe.Error is not null || probe.Status is < 200 or > 299)
        {
            // Fail closed: a freeze that cannot be ruled out blocks like an active one.
            var why = probe.Error ?? $"answered HTTP {probe.Status}";
            return Result(input.CheckId, input.Name, CheckStatus.Red, why, Threshold, $"Cannot tell whether a change freeze is active: {source.Url} {why}.", probe.Latency, []);
        }

        try
        {
            using var document = JsonDocument.Parse(probe.Body);
            if (!JsonPaths.TryGet(document.RootElement, source.ActivePath, out var active) || active.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            {
                return Result(input.CheckId, input.Name, CheckStatus.Red, "unknown", Threshold, $"{source.Url} has no boolean at {source.ActivePath}; fix FreezeSources:{input.Source}:ActivePath.", probe.Latency, []);
            }

            if (active.GetBoolean())
            {
                var reason = source.ReasonPath is not null && JsonPaths.TryGet(document.RootElement, source.ReasonPath, out var r) ? JsonPaths.Text(r) : "no reason given";
                return Result(input.CheckId, input.Name, CheckStatus.Red, "freeze active", Threshold, $"Change freeze is active ({reason}); clear it or get an explicit override approved.", probe.Latency, []);
            }
        }
        catch (JsonException e)
        {
            return Result(input.CheckId, input.Name, CheckStatus.Red, "not JSON", Threshold, $"{source.Url} did not return JSON: {e.Message}", probe.Latency, []);
        }

        return Result(input.CheckId, input.Name, CheckStatus.Green, "no freeze", Threshold, "No change freeze is active.", probe.Latency, []);
    }

    [Activity(ActivityNames.SendHttpRequest)]
    public async Task<HttpRequestResult> SendHttpRequestAsync(HttpRequestInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var owner = $"step '{input.StepId}'";
        var method = (input.Method ?? string.Empty).Trim().ToUpperInvariant();
        if (method is not ("GET" or "HEAD" or "POST" or "PUT" or "PATCH" or "DELETE" or "OPTIONS"))
        {
            throw new ApplicationFailureException($"HttpRequestInput.Method '{input.Method}' of {owner} is not supported; use GET, POST, PUT, PATCH or DELETE.", ActivityErrorTypes.InvalidInput, nonRetryable: true);
        }

        var (url, headers) = targets.Resolve(input.Url, input.Target, input.Path, owner);
        if (targets.SendsIdempotencyKey(input.Target) && method is not ("GET" or "HEAD" or "OPTIONS"))
        {
            // The same key on every attempt of this activity lets the target drop a retried duplicate.
            headers = new Dictionary<string, string>(headers, StringComparer.OrdinalIgnoreCase) { [IdempotencyKeyHeader] = IdempotencyKey(ActivityExecutionContext.Current.Info) };
        }

        var probe = await ProbeAsync(new HttpMethod(method), url, headers, input.Body, input.ContentType, input.Timeout);
        if (probe.TooLarge)
        {
            throw new ApplicationFailureException($"{method} {url} for {owner}: {probe.Error}.", ActivityErrorTypes.RemoteRejected, nonRetryable: true);
        }

        if (probe.Error is not null)
        {
            // Timeouts and refused connections are worth another attempt under the activity's retry policy.
            throw new ApplicationFailureException($"{method} {url} for {owner} failed: {probe.Error}.", ActivityErrorTypes.RemoteUnavailable);
        }

        var tail = Tail(probe.Body, BodyTailLength);
        if (probe.Status != input.ExpectedStatus)
        {
            var retryable = probe.Status is 408 or 429 or >= 500;
            throw new ApplicationFailureException(
                $"{method} {url} for {owner} answered HTTP {probe.Status}, expected {input.ExpectedStatus}: {Tail(probe.Body, 300)}",
                retryable ? ActivityErrorTypes.RemoteUnavailable : ActivityErrorTypes.RemoteRejected,
                nonRetryable: !retryable,
                details: [new HttpRequestResult(input.StepId, probe.Status, probe.Latency, tail)]);
        }

        ActivityExecutionContext.Current.Logger.LogInformation("{Method} {Url} for {Step}: HTTP {Status} in {Latency}", method, redactor.Redact(url.ToString()), input.StepId, probe.Status, Ms(probe.Latency));
        return new HttpRequestResult(input.StepId, probe.Status, probe.Latency, tail);
    }

    /// <summary>Header that carries <see cref="IdempotencyKey"/> when the target allows it (<c>Targets:&lt;name&gt;:IdempotencyKey</c>).</summary>
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    /// <summary>Derived from workflow id, run id and activity id: equal for every retry of one step, different for any other.</summary>
    public static string IdempotencyKey(ActivityInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        var hash = System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes($"{info.WorkflowId}\n{info.WorkflowRunId}\n{info.ActivityId}"));
        return Convert.ToHexStringLower(hash, 0, 16);
    }

    private static string StatusMeaning(int status) => status switch
    {
        200 => "OK",
        502 => "bad gateway: Lambda cold start or crash loop",
        503 => "service unavailable",
        504 => "gateway timeout: Lambda cold start or crash loop",
        _ => ((HttpStatusCode)status).ToString(),
    };

    private static string Combine(string baseUrl, string route) => baseUrl.TrimEnd('/') + "/" + route.TrimStart('/');

    private static string Tail(string text, int length) => text.Length <= length ? text : "…" + text[^length..];

    private static string Ms(TimeSpan value) => $"{value.TotalMilliseconds.ToString("#,0", CultureInfo.InvariantCulture)} ms";

    private void Log(string checkId, bool passed, string message) =>
        ActivityExecutionContext.Current.Logger.LogInformation("Check {CheckId} {Outcome}: {Message}", checkId, passed ? "passed" : "failed", redactor.Redact(message));

    private CheckResult Result(string checkId, string name, CheckStatus status, string observed, string threshold, string message, TimeSpan latency, IReadOnlyList<CheckDetail> details) =>
        new(checkId, name, status, redactor.Redact(observed), threshold, redactor.Redact(message), latency, timeProvider.GetUtcNow(), details);

    /// <summary>One request; network failures and timeouts come back as <see cref="Probe.Error"/>, not exceptions.</summary>
    private async Task<Probe> ProbeAsync(HttpMethod method, Uri url, IReadOnlyDictionary<string, string> headers, string? body, string? contentType, TimeSpan timeout)
    {
        if (timeout <= TimeSpan.Zero)
        {
            timeout = TimeSpan.FromSeconds(10);
        }

        var activityToken = ActivityExecutionContext.Current.CancellationToken;
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(activityToken);
        timeoutSource.CancelAfter(timeout);
        using var request = new HttpRequestMessage(method, url);
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, contentType ?? "application/json");
        }

        var client = httpClientFactory.CreateClient(ClientName);
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeoutSource.Token);
            var text = await ReadBoundedAsync(response.Content, timeoutSource.Token);
            return text is null
                ? new Probe((int)response.StatusCode, string.Empty, Stopwatch.GetElapsedTime(started), string.Create(CultureInfo.InvariantCulture, $"sent a response larger than {MaxResponseBytes:N0} bytes (read no further)"), TooLarge: true)
                : new Probe((int)response.StatusCode, text, Stopwatch.GetElapsedTime(started), null);
        }
        catch (OperationCanceledException) when (!activityToken.IsCancellationRequested)
        {
            return new Probe(0, string.Empty, Stopwatch.GetElapsedTime(started), $"did not answer within {Ms(timeout)}");
        }
        catch (HttpRequestException e)
        {
            return new Probe(0, string.Empty, Stopwatch.GetElapsedTime(started), $"could not be reached ({e.HttpRequestError}: {e.Message})");
        }
    }

    /// <summary>The body as text, or null when it is larger than <see cref="MaxResponseBytes"/> (by its Content-Length or once that much was read).</summary>
    private static async Task<string?> ReadBoundedAsync(HttpContent content, CancellationToken cancellationToken)
    {
        if (content.Headers.ContentLength > MaxResponseBytes)
        {
            return null;
        }

        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MaxResponseBytes)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        var charset = content.Headers.ContentType?.CharSet;
        var encoding = Encoding.UTF8;
        if (charset is { Length: > 0 })
        {
            try
            {
                encoding = Encoding.GetEncoding(charset.Trim('"'));
            }
            catch (ArgumentException)
            {
                // An unknown charset reads as UTF-8, as HttpContent.ReadAsStringAsync would.
            }
        }

        return encoding.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private sealed record Probe(int Status, string Body, TimeSpan Latency, string? Error, bool TooLarge = false);
}
