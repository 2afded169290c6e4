using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Temporalio.Api.Common.V1;
using Temporalio.Exceptions;

namespace MaintenanceWorkflows.DevServer.Grpc;

/// <summary>
/// Unary gRPC over Kestrel: length-prefixed protobuf frames, gzip request decompression,
/// <c>grpc-timeout</c> deadlines and status trailers with a google.rpc.Status detail.
/// Handlers are registered per full method path.
/// </summary>
public sealed class GrpcRouter
{
    private const int MaxMessageBytes = 64 * 1024 * 1024;

    private readonly Dictionary<string, Func<byte[], CallContext, Task<IMessage>>> methods =
        new(StringComparer.Ordinal);

    private readonly ILogger logger;

    private readonly CancellationToken stopping;

    /// <param name="logger">Where unexpected handler failures go.</param>
    /// <param name="stopping">Signalled when the server stops: parked long polls end at once.</param>
    public GrpcRouter(ILogger logger, CancellationToken stopping)
    {
        this.logger = logger;
        this.stopping = stopping;
    }

    public void Register<TRequest, TResponse>(
        string service,
        string method,
        MessageParser<TRequest> parser,
        Func<TRequest, CallContext, Task<TResponse>> handler)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse> =>
        methods[$"/{service}/{method}"] = async (bytes, ctx) => await handler(parser.ParseFrom(bytes), ctx);

    /// <summary>
    /// Runs a registered method in process with an already-built request, exactly as a gRPC call would
    /// (the HTTP /api/v1 API goes through here so both front doors share one implementation).
    /// </summary>
    internal Task<IMessage> InvokeAsync(string service, string method, IMessage request, CallContext ctx) =>
        methods.TryGetValue($"/{service}/{method}", out var handler)
            ? handler(request.ToByteArray(), ctx)
            : throw GrpcException.Unimplemented($"RPC /{service}/{method}");

    /// <summary>
    /// Lets an observer see each request of a registered method before its handler runs (the HTTP API
    /// learns from the polls which workers serve a task queue without the engine keeping that record).
    /// </summary>
    internal void Observe<TRequest>(string service, string method, MessageParser<TRequest> parser, Action<TRequest> observer)
        where TRequest : IMessage<TRequest>
    {
        var path = $"/{service}/{method}";
        var inner = methods[path];
        methods[path] = (bytes, ctx) =>
        {
            observer(parser.ParseFrom(bytes));
            return inner(bytes, ctx);
        };
    }

    public async Task HandleAsync(HttpContext http)
    {
        var response = http.Response;
        var contentType = http.Request.ContentType ?? string.Empty;
        if (!contentType.StartsWith("application/grpc", StringComparison.Ordinal))
        {
            response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
            return;
        }
        response.ContentType = "application/grpc";
        var path = http.Request.Path.Value ?? string.Empty;
        using var callCancel = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, stopping);
        var ctx = new CallContext(ParseTimeout(http.Request.Headers["grpc-timeout"]), callCancel.Token);
        try
        {
            if (!methods.TryGetValue(path, out var handler))
            {
                throw GrpcException.Unimplemented($"RPC {path}");
            }
            var request = await ReadMessageAsync(http);
            var reply = await handler(request, ctx);
            await WriteMessageAsync(response, reply, http.RequestAborted);
            response.AppendTrailer("grpc-status", "0");
            if (http.RequestAborted.IsCancellationRequested)
            {
                ctx.NotifyUndelivered();
            }
        }
        catch (GrpcException ex)
        {
            WriteStatus(response, ex.Code, ex.Message, ex.Detail);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            ctx.NotifyUndelivered();
            WriteStatus(response, RpcException.StatusCode.Cancelled, "call cancelled by the caller", null);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            WriteStatus(response, RpcException.StatusCode.Unavailable, "the devserver is shutting down", null);
        }
        catch (IOException) when (http.RequestAborted.IsCancellationRequested)
        {
            ctx.NotifyUndelivered();
        }
        catch (InvalidProtocolBufferException ex)
        {
            WriteStatus(response, RpcException.StatusCode.InvalidArgument, $"malformed request message: {ex.Message}", null);
        }
#pragma warning disable CA1031 // Every other failure must still reach the caller as a gRPC status.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            logger.LogError(ex, "RPC {Path} failed", path);
            WriteStatus(response, RpcException.StatusCode.Internal, ex.Message, null);
        }
    }

    internal static TimeSpan? ParseTimeout(string? header)
    {
        if (string.IsNullOrEmpty(header) || header.Length < 2 ||
            !long.TryParse(header.AsSpan(0, header.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var amount))
        {
            return null;
        }
        return header[^1] switch
        {
            'H' => TimeSpan.FromHours(amount),
            'M' => TimeSpan.FromMinutes(amount),
            'S' => TimeSpan.FromSeconds(amount),
            'm' => TimeSpan.FromMilliseconds(amount),
            'u' => TimeSpan.FromMicroseconds(amount),
            'n' => TimeSpan.FromTicks(amount / 100),
            _ => null,
        };
    }

    private static async Task<byte[]> ReadMessageAsync(HttpContext http)
    {
        using var buffer = new MemoryStream();
        await http.Request.Body.CopyToAsync(buffer, http.RequestAborted);
        var body = buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
        if (body.Length < 5)
        {
            throw GrpcException.InvalidArgument("request has no gRPC message frame");
        }
        var compressed = body.Span[0] == 1;
        var length = BinaryPrimitives.ReadUInt32BigEndian(body.Span[1..5]);
        if (length > MaxMessageBytes || length > body.Length - 5)
        {
            throw GrpcException.InvalidArgument("request message frame is truncated or too large");
        }
        var payload = body.Slice(5, (int)length);
        if (!compressed)
        {
            return payload.ToArray();
        }
        var encoding = http.Request.Headers["grpc-encoding"].ToString();
        if (!string.Equals(encoding, "gzip", StringComparison.OrdinalIgnoreCase))
        {
            throw new GrpcException(
                RpcException.StatusCode.Unimplemented,
                $"request compression '{encoding}' is not supported; use gzip or none");
        }
        using var gzip = new GZipStream(new MemoryStream(payload.ToArray()), CompressionMode.Decompress);
        using var plain = new MemoryStream();
        await gzip.CopyToAsync(plain, http.RequestAborted);
        return plain.ToArray();
    }

    private static async Task WriteMessageAsync(HttpResponse response, IMessage message, CancellationToken ct)
    {
        var size = message.CalculateSize();
        var frame = new byte[size + 5];
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1, 4), (uint)size);
        message.WriteTo(frame.AsSpan(5));
        await response.Body.WriteAsync(frame, ct);
        await response.Body.FlushAsync(ct);
    }

    private static void WriteStatus(HttpResponse response, RpcException.StatusCode code, string message, IMessage? detail)
    {
        var status = new GrpcStatus { Code = (int)code, Message = message };
        if (detail != null)
        {
            status.Details.Add(Any.Pack(detail));
        }
        var encodedMessage = Uri.EscapeDataString(message);
        var details = Convert.ToBase64String(status.ToByteArray());
        if (!response.HasStarted)
        {
            // Trailers-only response: the status travels in the headers.
            response.Headers["grpc-status"] = ((int)code).ToString(CultureInfo.InvariantCulture);
            response.Headers["grpc-message"] = encodedMessage;
            response.Headers["grpc-status-details-bin"] = details;
            return;
        }
        response.AppendTrailer("grpc-status", ((int)code).ToString(CultureInfo.InvariantCulture));
        response.AppendTrailer("grpc-message", encodedMessage);
        response.AppendTrailer("grpc-status-details-bin", details);
    }
}
