using System.Text.Json.Nodes;
using Temporalio.Api.Common.V1;
using Temporalio.Converters;
using Temporalio.Exceptions;
using Temporalio.Worker.Interceptors;

namespace MaintenanceWorkflows.Activities.Redaction;

/// <summary>
/// Puts every activity result and failure through <see cref="SecretRedactor"/> before the SDK records it in
/// the history, and refuses a result too large for a Temporal payload, so no activity can leak a secret or
/// wedge a window by what it returns, whatever the activity's own code does.
/// </summary>
public sealed class RedactingInterceptor(SecretRedactor redactor) : IWorkerInterceptor
{
    /// <summary>Temporal refuses payloads over 2 MiB; results stay far below that.</summary>
    public const int MaxResultBytes = 256 * 1024;

    public ActivityInboundInterceptor InterceptActivity(ActivityInboundInterceptor nextInterceptor) => new Inbound(nextInterceptor, redactor);

    /// <summary>The result with every string redacted, as the default converter would serialize it.</summary>
    internal static object? RedactValue(object? value, Type type, SecretRedactor redactor, IPayloadConverter converter)
    {
        if (value is null)
        {
            return null;
        }

        var payload = converter.ToPayload(value);
        var size = payload.Data.Length;
        if (size > MaxResultBytes)
        {
            throw new ApplicationFailureException(
                string.Create(System.Globalization.CultureInfo.InvariantCulture, $"The activity result is {size:N0} bytes, over the {MaxResultBytes:N0}-byte limit this worker keeps results under (Temporal refuses 2 MiB); the activity must return less."),
                "ResultTooLarge",
                nonRetryable: true);
        }

        if (payload.Metadata.TryGetValue("encoding", out var encoding) && encoding.ToStringUtf8() != "json/plain")
        {
            return value;
        }

        var text = payload.Data.ToStringUtf8();
        var node = JsonNode.Parse(text);
        if (!RedactStrings(node, redactor))
        {
            return value;
        }

        var redacted = new Payload { Data = Google.Protobuf.ByteString.CopyFromUtf8(node!.ToJsonString()) };
        redacted.Metadata.Add(payload.Metadata);
        return converter.ToValue(redacted, type);
    }

    private static bool RedactStrings(JsonNode? node, SecretRedactor redactor)
    {
        var changed = false;
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, child) in obj.ToList())
                {
                    if (child is JsonValue leaf && leaf.TryGetValue<string>(out var s))
                    {
                        var clean = redactor.Redact(s);
                        if (clean != s)
                        {
                            obj[key] = clean;
                            changed = true;
                        }
                    }
                    else
                    {
                        changed |= RedactStrings(child, redactor);
                    }
                }

                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    if (array[i] is JsonValue leaf && leaf.TryGetValue<string>(out var s))
                    {
                        var clean = redactor.Redact(s);
                        if (clean != s)
                        {
                            array[i] = clean;
                            changed = true;
                        }
                    }
                    else
                    {
                        changed |= RedactStrings(array[i], redactor);
                    }
                }

                break;
        }

        return changed;
    }

    private sealed class Inbound(ActivityInboundInterceptor next, SecretRedactor redactor) : ActivityInboundInterceptor(next)
    {
        public override async Task<object?> ExecuteActivityAsync(ExecuteActivityInput input)
        {
            var converter = Temporalio.Activities.ActivityExecutionContext.Current.PayloadConverter;
            object? result;
            try
            {
                result = await base.ExecuteActivityAsync(input);
            }
            catch (ApplicationFailureException e)
            {
                throw Redacted(e, converter);
            }
            catch (Exception e) when (e is not (OperationCanceledException or Temporalio.Activities.CompleteAsyncException or FailureException))
            {
                // Any other exception's message goes into the history as it is, so it is redacted the same way.
                throw new ApplicationFailureException(redactor.Redact(e.Message), e.GetType().Name);
            }

            var returnType = input.Activity.ReturnType;
            if (returnType.IsGenericType && returnType.GetGenericTypeDefinition() == typeof(Task<>))
            {
                returnType = returnType.GetGenericArguments()[0];
            }

            return RedactValue(result, result?.GetType() ?? returnType, redactor, converter);
        }

        private ApplicationFailureException Redacted(ApplicationFailureException e, IPayloadConverter converter)
        {
            IReadOnlyCollection<object?>? details = null;
            if (e.Details is OutboundFailureDetails { Count: > 0, Details: { } given })
            {
                details = [.. given.Select(d => d is null ? null : RedactValue(d, d.GetType(), redactor, converter))];
            }

            return new ApplicationFailureException(
                redactor.Redact(e.Message),
                e.ErrorType,
                e.NonRetryable,
                details,
                e.NextRetryDelay,
                e.Category);
        }
    }
}
