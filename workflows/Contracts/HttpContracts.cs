namespace MaintenanceWorkflows.Workflows.Contracts;

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
