namespace MaintenanceWorkflows.Workflows.Contracts;

/// <summary>A JSON value a status endpoint must report, for example <c>lambda.version</c> = <c>40</c>.</summary>
/// <param name="Path">Dotted path into the JSON body; array items by index (<c>agents.0.name</c>).</param>
/// <param name="Value">Expected value, compared with the JSON scalar's text (true/false/null/numbers/strings).</param>
public sealed record ExpectedJsonValue(string Path, string Value);

/// <summary>Status endpoint check: HTTP status, required JSON keys, expected values, latency.</summary>
/// <param name="CheckId">Id of the check in the plan.</param>
/// <param name="Name">Human name of the check.</param>
/// <param name="Url">Absolute http(s) URL of the endpoint; null when <paramref name="Target"/> is used.</param>
/// <param name="Target">Name of a base URL configured on the worker (<c>Targets:&lt;name&gt;:BaseUrl</c>).</param>
/// <param name="Path">Path appended to the target's base URL.</param>
/// <param name="ExpectedStatus">Expected HTTP status code.</param>
/// <param name="RequiredKeys">Dotted JSON paths that must be present (for example lambda.version, database, agents).</param>
/// <param name="ExpectedValues">Values the body must report at given paths.</param>
/// <param name="LatencyLimit">Red when the response takes longer; null for no limit.</param>
/// <param name="Timeout">Give up (red) after this long.</param>
public sealed record StatusEndpointCheckInput(
    string CheckId,
    string Name,
    string? Url,
    string? Target,
    string? Path,
    int ExpectedStatus,
    IReadOnlyList<string> RequiredKeys,
    IReadOnlyList<ExpectedJsonValue>? ExpectedValues,
    TimeSpan? LatencyLimit,
    TimeSpan Timeout);

/// <summary>Route health: every route must answer with an expected status (502/504 mean cold start or crash loop).</summary>
/// <param name="CheckId">Id of the check in the plan.</param>
/// <param name="Name">Human name of the check.</param>
/// <param name="BaseUrl">Absolute base URL the routes are relative to; null when <paramref name="Target"/> is used.</param>
/// <param name="Target">Name of a base URL configured on the worker (<c>Targets:&lt;name&gt;:BaseUrl</c>).</param>
/// <param name="Routes">Route paths, for example /beak, /beak/metrics, /beak/system/status.</param>
/// <param name="ExpectedStatuses">Statuses that count as healthy; null or empty means 200 only.</param>
/// <param name="LatencyLimit">A route slower than this fails; null for no limit.</param>
/// <param name="Timeout">Per-route timeout.</param>
public sealed record RouteHealthCheckInput(
    string CheckId,
    string Name,
    string? BaseUrl,
    string? Target,
    IReadOnlyList<string> Routes,
    IReadOnlyList<int>? ExpectedStatuses,
    TimeSpan? LatencyLimit,
    TimeSpan Timeout);

/// <summary>Health score (0-100) read from a JSON endpoint; below the red threshold fails.</summary>
/// <param name="CheckId">Id of the check in the plan.</param>
/// <param name="Name">Human name of the check.</param>
/// <param name="Url">Absolute URL returning JSON with the score; null when <paramref name="Target"/> is used.</param>
/// <param name="Target">Name of a base URL configured on the worker.</param>
/// <param name="Path">Path appended to the target's base URL.</param>
/// <param name="ScorePath">Dotted path of the numeric score, for example health.score.</param>
/// <param name="RedBelow">Red when the score is below this (the seeds: 60).</param>
/// <param name="AmberBelow">Amber when below this but not red; null for no amber band.</param>
/// <param name="Timeout">Give up (red) after this long.</param>
public sealed record HealthScoreCheckInput(
    string CheckId,
    string Name,
    string? Url,
    string? Target,
    string? Path,
    string ScorePath,
    double RedBelow,
    double? AmberBelow,
    TimeSpan Timeout);

/// <summary>An HTTP request step (for example a cache purge or a feature-flag flip on an internal API).</summary>
/// <param name="StepId">Step id in the plan.</param>
/// <param name="Method">HTTP method (GET, POST, PUT, PATCH, DELETE).</param>
/// <param name="Url">Absolute URL; null when <paramref name="Target"/> is used. Credentials never go in a plan.</param>
/// <param name="Target">Name of a base URL configured on the worker (its headers, e.g. auth, stay there too).</param>
/// <param name="Path">Path appended to the target's base URL.</param>
/// <param name="Body">Request body, or null.</param>
/// <param name="ContentType">Content type of the body; defaults to application/json.</param>
/// <param name="ExpectedStatus">Status that counts as success.</param>
/// <param name="Timeout">Give up after this long.</param>
public sealed record HttpRequestInput(
    string StepId,
    string Method,
    string? Url,
    string? Target,
    string? Path,
    string? Body,
    string? ContentType,
    int ExpectedStatus,
    TimeSpan Timeout);

/// <summary>Outcome of an HTTP request step. An unexpected status fails the activity (non-retryable for 4xx).</summary>
/// <param name="StepId">Step id echoed from the input.</param>
/// <param name="StatusCode">HTTP status received.</param>
/// <param name="Latency">Time to the response.</param>
/// <param name="BodyTail">Last part of the response body (at most 2,000 characters).</param>
public sealed record HttpRequestResult(string StepId, int StatusCode, TimeSpan Latency, string BodyTail);

/// <summary>External change-freeze flag (for example the dashboard's Change Freeze banner); red while it is set.</summary>
/// <param name="CheckId">Id of the check in the plan.</param>
/// <param name="Name">Human name of the check.</param>
/// <param name="Source">Freeze source configured on the worker (<c>FreezeSources:&lt;name&gt;</c>: Url, ActivePath, ReasonPath).</param>
/// <param name="Timeout">Give up (red) after this long.</param>
public sealed record FreezeFlagCheckInput(string CheckId, string Name, string Source, TimeSpan Timeout);
