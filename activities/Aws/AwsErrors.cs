using System.Net;
using System.Text.Json;
using MaintenanceWorkflows.Workflows.Contracts;
using Refit;
using Temporalio.Exceptions;

namespace MaintenanceWorkflows.Activities.Aws;

/// <summary>An AWS error response, decoded from <c>x-amzn-ErrorType</c> and the JSON error body.</summary>
/// <param name="Service">Service that answered, for messages (Lambda, SES).</param>
/// <param name="Status">HTTP status.</param>
/// <param name="Type">AWS error type, for example ResourceNotFoundException.</param>
/// <param name="Message">AWS's message.</param>
public sealed record AwsError(string Service, HttpStatusCode Status, string Type, string Message)
{
    /// <summary>Error types that a later attempt can succeed after, whatever their status code.</summary>
    private static readonly HashSet<string> RetryableTypes = new(StringComparer.Ordinal)
    {
        "TooManyRequestsException", "ThrottlingException", "Throttling", "ThrottledException", "RequestLimitExceeded",
        "ServiceException", "ServiceUnavailableException", "InternalFailure", "InternalServerError",
        "ResourceConflictException", "PreconditionFailedException", "ResourceNotReadyException",
        "EC2ThrottledException", "RequestTimeout", "RequestTimeoutException", "LimitExceededException",
    };

    /// <summary>Gets a value indicating whether throttling, a conflict with a concurrent change, or a server fault.</summary>
    public bool Retryable =>
        RetryableTypes.Contains(Type) || Status == HttpStatusCode.TooManyRequests || (int)Status >= 500;

    public bool NotFound => Type is "ResourceNotFoundException" or "NotFoundException" || Status == HttpStatusCode.NotFound;

    /// <summary>Decodes Refit's exception for a non-success AWS response.</summary>
    public static AwsError From(string service, ApiException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var headerType = exception.Headers.TryGetValues("x-amzn-ErrorType", out var values) ? values.FirstOrDefault() : null;
        return Parse(service, exception.StatusCode, headerType, exception.Content);
    }

    /// <summary>Decodes an error from the status, the x-amzn-ErrorType header and the body.</summary>
    public static AwsError Parse(string service, HttpStatusCode status, string? headerType, string? body)
    {
        string? type = null;
        string? message = null;
        if (!string.IsNullOrWhiteSpace(body))
        {
            try
            {
                using var document = JsonDocument.Parse(body);
                if (document.RootElement.ValueKind == JsonValueKind.Object)
                {
                    type = StringProperty(document.RootElement, "__type", "code", "Code", "Type");
                    message = StringProperty(document.RootElement, "message", "Message", "errorMessage");
                }
            }
            catch (JsonException)
            {
                message = body.Length > 300 ? body[..300] : body;
            }
        }

        // Lambda puts "User"/"Service" in the body's Type; the header carries the real error name.
        if (!string.IsNullOrEmpty(headerType))
        {
            type = headerType;
        }

        type = CleanType(type) ?? $"Http{(int)status}";
        return new AwsError(service, status, type, message ?? status.ToString());
    }

    /// <summary>The failure Temporal sees: AWS's error type, and non-retryable unless a retry can help.</summary>
    public ApplicationFailureException ToFailure(string action) =>
        new($"{Service} {action} failed: {Type} (HTTP {(int)Status}): {Message}", Type, nonRetryable: !Retryable);

    private static string? StringProperty(JsonElement element, params string[] names)
    {
        foreach (var name in names)
        {
            if (element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String)
            {
                return value.GetString();
            }
        }

        return null;
    }

    /// <summary>AWS types can arrive as "Type:extra" (header) or "namespace#Type" (body).</summary>
    private static string? CleanType(string? type)
    {
        if (string.IsNullOrWhiteSpace(type) || type is "User" or "Service")
        {
            return null;
        }

        var colon = type.IndexOf(':', StringComparison.Ordinal);
        if (colon >= 0)
        {
            type = type[..colon];
        }

        var hash = type.LastIndexOf('#');
        return hash >= 0 ? type[(hash + 1)..] : type;
    }
}

/// <summary>Runs one AWS call and turns an AWS error response into a Temporal failure with AWS's type.</summary>
internal static class AwsCall
{
    public static async Task<T> RunAsync<T>(string service, string action, Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (ApiException e)
        {
            throw AwsError.From(service, e).ToFailure(action);
        }
        catch (ApiRequestException e)
        {
            throw Transport(service, action, e);
        }
    }

    /// <summary>
    /// Refit wraps what the handlers throw: our own failures (credentials) and cancellation come out
    /// unchanged, network errors and timeouts become retryable failures.
    /// </summary>
    public static Exception Transport(string service, string action, ApiRequestException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception.InnerException switch
        {
            ApplicationFailureException failure => failure,
            OperationCanceledException canceled => canceled,
            { } inner => new ApplicationFailureException($"{service} {action} failed: {inner.Message}", ActivityErrorTypes.RemoteUnavailable),
            _ => new ApplicationFailureException($"{service} {action} failed: {exception.Message}", ActivityErrorTypes.RemoteUnavailable),
        };
    }

    /// <summary>Like <see cref="RunAsync{T}"/>, but returns the decoded error instead of throwing when it is "not found".</summary>
    public static async Task<(T? Value, AwsError? NotFound)> RunAllowNotFoundAsync<T>(string service, string action, Func<Task<T>> call)
        where T : class
    {
        try
        {
            return (await call(), null);
        }
        catch (ApiException e)
        {
            var error = AwsError.From(service, e);
            if (error.NotFound)
            {
                return (null, error);
            }

            throw error.ToFailure(action);
        }
        catch (ApiRequestException e)
        {
            throw Transport(service, action, e);
        }
    }

    public static ApplicationFailureException InvalidInput(string message) =>
        new(message, ActivityErrorTypes.InvalidInput, nonRetryable: true);
}
