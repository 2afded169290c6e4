using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using MaintenanceWorkflows.Workflows.Contracts;
using MaintenanceWorkflows.Workflows.Plans;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Temporalio.Activities;
using MaintenanceWorkflows.Activities.Redaction;
using Temporalio.Exceptions;

namespace MaintenanceWorkflows.Activities.Http;

/// <summary>The http.request step activity, and the http.status, http.json and freeze-flag checks (run by <see cref="Checks.CheckBatchActivities"/>). A failing check is a red result, not an exception.</summary>
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

    /// <summary>The http.status check: an http.json check with no keys or values to look for.</summary>
    public Task<CheckResult> CheckEndpointAsync(HttpStatusCheck check)
    {
        ArgumentNullException.ThrowIfNull(check);
        return CheckEndpointAsync(new HttpJsonCheck
        {
            Id = check.Id,
            Title = check.Title,
            Timeout = check.Timeout,
            Url = check.Url,
            Target = check.Target,
            Path = check.Path,
            ExpectedStatus = check.ExpectedStatus,
            MaxLatency = check.MaxLatency,
        });
    }

    /// <summary>The http.json check: status, required JSON keys, expected values, latency.</summary>
    public async Task<CheckResult> CheckEndpointAsync(HttpJsonCheck input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var owner = $"check '{input.Id}'";
        var (url, headers) = targets.Resolve(input.Url, input.Target, input.Path, owner);
        var requiredKeys = input.RequiredKeys;
        var expectedValues = input.Expect;
        var thresholdParts = new List<string> { $"HTTP {input.ExpectedStatus}" };
        if (requiredKeys.Count > 0)
        {
            thresholdParts.Add("keys " + string.Join(", ", requiredKeys));
        }

        thresholdParts.AddRange(expectedValues.Select(v => $"{v.Path} = {v.EqualTo}"));
        if (input.MaxLatency is { } limit)
        {
            thresholdParts.Add($"within {Ms(limit)}");
        }

        var threshold = string.Join("; ", thresholdParts);
        var probe = await ProbeAsync(HttpMethod.Get, url, headers, null, null, input.TimeoutOrDefault);
        if (probe.Error is not null)
        {
            return Result(input.Id, input.Title, CheckStatus.Red, probe.Error, threshold, $"{url} {probe.Error}.", probe.Latency, []);
        }

        var details = new List<CheckDetail>
        {
            new("status", probe.Status == input.ExpectedStatus, $"HTTP {probe.Status}", StatusMeaning(probe.Status)),
        };
        if (input.MaxLatency is { } latencyLimit)
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
                        var matches = present && actual == expected.EqualTo;
                        details.Add(new(expected.Path, matches, actual, matches ? "as expected" : $"expected {expected.EqualTo}"));
                    }
                }
            }
        }

        var failed = details.Where(d => !d.Passed).ToList();
        var observed = $"HTTP {probe.Status} in {Ms(probe.Latency)}";
        var message = failed.Count == 0
            ? $"{url} answered HTTP {probe.Status} in {Ms(probe.Latency)} with everything expected."
            : $"{url}: " + string.Join("; ", failed.Select(d => $"{d.Name} {d.Observed} ({d.Message})"));
        Log(input.Id, failed.Count == 0, message);
        return Result(input.Id, input.Title, failed.Count == 0 ? CheckStatus.Green : CheckStatus.Red, observed, threshold, message, probe.Latency, details);
    }

    /// <summary>The freeze check's external flag (the policy's own freezes are judged in the workflow).</summary>
    public async Task<CheckResult> CheckFreezeFlagAsync(FreezeCheck input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (!freezeSources.Value.TryGetValue(input.Source ?? string.Empty, out var source) || source.Url is null)
        {
            var known = freezeSources.Value.Count == 0 ? "none are configured" : "configured: " + string.Join(", ", freezeSources.Value.Keys.Order(StringComparer.Ordinal));
            throw new ApplicationFailureException(
                $"Freeze source '{input.Source}' of check '{input.Id}' is not configured on this worker (FreezeSources:{input.Source}:Url); {known}.",
                ActivityErrorTypes.UnknownName,
                nonRetryable: true);
        }

        const string Threshold = "no active change freeze";
        var probe = await ProbeAsync(HttpMethod.Get, source.Url, source.Headers, null, null, input.TimeoutOrDefault);
        if (probe.Error is not null || probe.Status is < 200 or > 299)
        {
            // Fail closed: a freeze that cannot be ruled out blocks like an active one.
            var why = probe.Error ?? $"answered HTTP {probe.Status}";
            return Result(input.Id, input.Title, CheckStatus.Red, why, Threshold, $"Cannot tell whether a change freeze is active: {source.Url} {why}.", probe.Latency, []);
        }

        try
        {
            using var document = JsonDocument.Parse(probe.Body);
            if (!JsonPaths.TryGet(document.RootElement, source.ActivePath, out var active) || active.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            {
                return Result(input.Id, input.Title, CheckStatus.Red, "unknown", Threshold, $"{source.Url} has no boolean at {source.ActivePath}; fix FreezeSources:{input.Source}:ActivePath.", probe.Latency, []);
            }

            if (active.GetBoolean())
            {
                var reason = source.ReasonPath is not null && JsonPaths.TryGet(document.RootElement, source.ReasonPath, out var r) ? JsonPaths.Text(r) : "no reason given";
                return Result(input.Id, input.Title, CheckStatus.Red, "freeze active", Threshold, $"Change freeze is active ({reason}); clear it or get an explicit override approved.", probe.Latency, []);
            }
        }
        catch (JsonException e)
        {
            return Result(input.Id, input.Title, CheckStatus.Red, "not JSON", Threshold, $"{source.Url} did not return JSON: {e.Message}", probe.Latency, []);
        }

        return Result(input.Id, input.Title, CheckStatus.Green, "no freeze", Threshold, "No change freeze is active.", probe.Latency, []);
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
