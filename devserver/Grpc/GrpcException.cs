using Google.Protobuf;
using Temporalio.Api.ErrorDetails.V1;
using Temporalio.Exceptions;

namespace MaintenanceWorkflows.DevServer.Grpc;

/// <summary>
/// An RPC failure answered with a gRPC status, a message and at most one typed error detail
/// (for example <c>WorkflowExecutionAlreadyStartedFailure</c>), as Temporal does.
/// </summary>
public sealed class GrpcException : Exception
{
    public GrpcException(RpcException.StatusCode code, string message, IMessage? detail = null)
        : base(message)
    {
        Code = code;
        Detail = detail;
    }

    public GrpcException()
        : this(RpcException.StatusCode.Unknown, "unknown error")
    {
    }

    public GrpcException(string message)
        : this(RpcException.StatusCode.Unknown, message)
    {
    }

    public GrpcException(string message, Exception innerException)
        : base(message, innerException) => Code = RpcException.StatusCode.Unknown;

    public RpcException.StatusCode Code { get; }

    public IMessage? Detail { get; }

    public static GrpcException InvalidArgument(string message) =>
        new(RpcException.StatusCode.InvalidArgument, message);

    public static GrpcException NotFound(string message) =>
        new(RpcException.StatusCode.NotFound, message, new NotFoundFailure());

    public static GrpcException NamespaceNotFound(string ns) =>
        new(
            RpcException.StatusCode.NotFound,
            $"Namespace {ns} is not found. Start the devserver with --namespace {ns} or use one of its namespaces.",
            new NamespaceNotFoundFailure { Namespace = ns });

    public static GrpcException Unimplemented(string what) =>
        new(RpcException.StatusCode.Unimplemented, $"{what} is not implemented by the devserver");
}
