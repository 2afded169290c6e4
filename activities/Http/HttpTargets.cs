using MaintenanceWorkflows.Workflows.Contracts;
using MaintenanceWorkflows.Workflows.Plans;
using Microsoft.Extensions.Options;
using Temporalio.Exceptions;

namespace MaintenanceWorkflows.Activities.Http;

/// <summary>Turns a plan's URL, or target name + path, into a request with the target's configured headers.</summary>
public sealed class HttpTargets(IOptions<TargetsOptions> targets)
{
    public (Uri Url, IReadOnlyDictionary<string, string> Headers) Resolve(string? url, string? target, string? path, string owner)
    {
        if (!string.IsNullOrWhiteSpace(url))
        {
            if (!string.IsNullOrWhiteSpace(target))
            {
                throw Invalid($"{owner}: give either Url or Target (+ Path), not both.");
            }

            if (!Uri.TryCreate(url, UriKind.Absolute, out var absolute) || (absolute.Scheme != Uri.UriSchemeHttp && absolute.Scheme != Uri.UriSchemeHttps))
            {
                throw Invalid($"{owner}: Url '{url}' is not an absolute http(s) URL; write it like https://api.example.com/beak/system/status.");
            }

            return (absolute, new Dictionary<string, string>());
        }

        if (string.IsNullOrWhiteSpace(target))
        {
            throw Invalid($"{owner}: Url or Target is required.");
        }

        if (!targets.Value.TryGetValue(target, out var options))
        {
            var known = targets.Value.Count == 0 ? "none are configured" : "configured: " + string.Join(", ", targets.Value.Keys.Order(StringComparer.Ordinal));
            throw new ApplicationFailureException(
                $"{owner}: target '{target}' is not configured on this worker (Targets:{target}:BaseUrl); {known}.",
                ActivityErrorTypes.UnknownName,
                nonRetryable: true);
        }

        var baseUrl = options.BaseUrl ?? throw Invalid($"Targets:{target}:BaseUrl is not set on this worker.");

        // The plan validator applies the same rule; checked again here because the target's credentials go with the request.
        if (TargetPaths.Problem(path) is { } problem)
        {
            throw Invalid($"{owner}: path of target '{target}' is refused: {problem}. Write a path relative to the target's base URL, e.g. /status.");
        }

        var relative = (path ?? string.Empty).TrimStart('/');
        var root = baseUrl.AbsoluteUri.EndsWith('/') ? baseUrl : new Uri(baseUrl.AbsoluteUri + "/");
        var resolved = new Uri(root, relative);
        if (!IsUnder(resolved, root))
        {
            throw Invalid($"{owner}: path of target '{target}' resolves outside the target's base URL; write a path relative to it, e.g. /status.");
        }

        return (resolved, options.Headers);
    }

    /// <summary>Whether the named target accepts an Idempotency-Key header (<c>Targets:&lt;name&gt;:IdempotencyKey</c>).</summary>
    public bool SendsIdempotencyKey(string? target) =>
        !string.IsNullOrWhiteSpace(target) && targets.Value.TryGetValue(target, out var options) && options.IdempotencyKey;

    /// <summary>Same origin and the base's path is a prefix of the resolved path, so the credentials stay with their target.</summary>
    internal static bool IsUnder(Uri resolved, Uri root) =>
        Uri.Compare(resolved, root, UriComponents.SchemeAndServer, UriFormat.UriEscaped, StringComparison.OrdinalIgnoreCase) == 0
        && resolved.AbsolutePath.StartsWith(root.AbsolutePath, StringComparison.Ordinal)
        && string.IsNullOrEmpty(resolved.UserInfo);

    private static ApplicationFailureException Invalid(string message) => new(message, ActivityErrorTypes.InvalidInput, nonRetryable: true);
}
