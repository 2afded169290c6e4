using MaintenanceWorkflows.Workflows.Contracts;
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
        var relative = (path ?? string.Empty).TrimStart('/');
        var root = baseUrl.AbsoluteUri.EndsWith('/') ? baseUrl : new Uri(baseUrl.AbsoluteUri + "/");
        return (new Uri(root, relative), options.Headers);
    }

    private static ApplicationFailureException Invalid(string message) => new(message, ActivityErrorTypes.InvalidInput, nonRetryable: true);
}
