using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using System.IO.Pipelines;
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
    /// <summary>What gzip may add to an incompressible message: the body may exceed the message limit by this much.</summary>
    private const int CompressionSlack = 64 * 1024;

    private readonly Dictionary<string, Method> methods = new(StringComparer.Ordinal);

    private readonly int maxMessageBytes;

    private readonly ILogger logger;

    private readonly CancellationToken stopping;

    /// <param name="logger">Where unexpected handler failures go.</param>
    /// <param name="stopping">Signalled when the server stops: parked long polls end at once.</param>
    /// <param name="maxMessageBytes">Largest request message, counted after decompression (gRPC's 4 MiB by default).</param>
    public GrpcRouter(ILogger logger, CancellationToken stopping, int maxMessageBytes = 4 * 1024 * 1024)
    {
        this.logger = logger;
        this.stopping = stopping;
        this.maxMessageBytes = maxMessageBytes;
    }

    /// <summary>The largest request body a call may send (one frame, possibly compressed).</summary>
    public long MaxRequestBodyBytes => maxMessageBytes + CompressionSlack + 5L;

    private sealed record Method(Func<ReadOnlySequence<byte>, IMessage> Parse, Func<IMessage, CallContext, Task<IMessage>> Invoke);

    public void Register<TRequest, TResponse>(
        string service,
        string method,
        MessageParser<TRequest> parser,
        Func<TRequest, CallContext, Task<TResponse>> handler)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse> =>
        methods[$"/{service}/{method}"] = new Method(
            bytes => parser.ParseFrom(bytes),
            async (request, ctx) => await handler((TRequest)request, ctx));

    /// <summary>
    /// Runs a registered method in process with an already-built request, exactly as a gRPC call would
    /// (the HTTP /api/v1 API goes through here so both front doors share one implementation).
    /// </summary>
    internal Task<IMessage> InvokeAsync(string service, string method, IMessage request, CallContext ctx) =>
        methods.TryGetValue($"/{service}/{method}", out var handler)
            ? handler.Invoke(handler.Parse(new ReadOnlySequence<byte>(request.ToByteArray())), ctx)
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
        methods[path] = inner with
        {
            Invoke = (request, ctx) =>
            {
                observer((TRequest)request);
                return inner.Invoke(request, ctx);
            },
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
            if (!methods.TryGetValue(path, out var method))
            {
                throw GrpcException.Unimplemented($"RPC {path}");
            }
            var request = await ReadMessageAsync(http, method);
            var reply = await method.Invoke(request, ctx);
            WriteMessage(response, reply);
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

    /// <summary>
    /// Reads the one request frame and parses it. Both the frame and its inflated size are capped, so a
    /// small gzip frame that inflates to gigabytes is refused after reading at most the limit.
    /// </summary>
    private async Task<IMessage> ReadMessageAsync(HttpContext http, Method method)
    {
        var reader = http.Request.BodyReader;
        while (true)
        {
            ReadResult read;
            try
            {
                read = await reader.ReadAsync(http.RequestAborted);
            }
            catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
            {
                throw TooLarge(MaxRequestBodyBytes + 1, compressed: false);
            }
            var body = read.Buffer;
            if (body.Length > MaxRequestBodyBytes)
            {
                reader.AdvanceTo(body.End);
                throw TooLarge(body.Length, compressed: false);
            }
            if (!read.IsCompleted)
            {
                reader.AdvanceTo(body.Start, body.End);
                continue;
            }
            try
            {
                return ParseFrame(http, method, body);
            }
            finally
            {
                reader.AdvanceTo(body.End);
            }
        }
    }

    private IMessage ParseFrame(HttpContext http, Method method, ReadOnlySequence<byte> body)
    {
        if (body.Length < 5)
        {
            throw GrpcException.InvalidArgument("request has no gRPC message frame");
        }
        Span<byte> header = stackalloc byte[5];
        body.Slice(0, 5).CopyTo(header);
        var compressed = header[0] == 1;
        var length = BinaryPrimitives.ReadUInt32BigEndian(header[1..]);
        if (length > body.Length - 5)
        {
            throw GrpcException.InvalidArgument("request message frame is truncated");
        }
        var payload = body.Slice(5, length);
        if (!compressed)
        {
            return length > maxMessageBytes ? throw TooLarge(length, compressed: false) : method.Parse(payload);
        }
        var encoding = http.Request.Headers["grpc-encoding"].ToString();
        if (!string.Equals(encoding, "gzip", StringComparison.OrdinalIgnoreCase))
        {
            throw new GrpcException(
                RpcException.StatusCode.Unimplemented,
                $"request compression '{encoding}' is not supported; use gzip or none");
        }
        return method.Parse(new ReadOnlySequence<byte>(Inflate(payload)));
    }

    /// <summary>Inflates at most <see cref="maxMessageBytes"/> bytes; one byte more is a refusal.</summary>
    private ReadOnlyMemory<byte> Inflate(ReadOnlySequence<byte> payload)
    {
        using var gzip = new GZipStream(new ReadOnlySequenceStream(payload), CompressionMode.Decompress);
        var buffer = new byte[Math.Min(maxMessageBytes + 1, Math.Max(4096, payload.Length * 4))];
        var filled = 0;
        try
        {
            while (true)
            {
                if (filled == buffer.Length)
                {
                    if (buffer.Length > maxMessageBytes)
                    {
                        throw TooLarge(filled, compressed: true);
                    }
                    Array.Resize(ref buffer, (int)Math.Min(maxMessageBytes + 1L, buffer.Length * 2L));
                }
                var n = gzip.Read(buffer, filled, buffer.Length - filled);
                if (n == 0)
                {
                    return buffer.AsMemory(0, filled);
                }
                filled += n;
            }
        }
        catch (InvalidDataException ex)
        {
            throw GrpcException.InvalidArgument($"request message is not valid gzip: {ex.Message}");
        }
    }

    private GrpcException TooLarge(long size, bool compressed) =>
        new(
            RpcException.StatusCode.ResourceExhausted,
            compressed
                ? $"grpc: received message after decompression larger than max ({size}+ vs. {maxMessageBytes})"
                : $"grpc: received message larger than max ({size} vs. {maxMessageBytes})");

    /// <summary>
    /// Writes the frame straight into Kestrel's buffer without flushing: the end of the call sends headers,
    /// message and trailers together, one write instead of two per RPC.
    /// </summary>
    private static void WriteMessage(HttpResponse response, IMessage message)
    {
        var size = message.CalculateSize();
        var writer = response.BodyWriter;
        var span = writer.GetSpan(size + 5);
        span[0] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(span.Slice(1, 4), (uint)size);
        message.WriteTo(span.Slice(5, size));
        writer.Advance(size + 5);
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
