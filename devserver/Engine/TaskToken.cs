using System.Globalization;
using System.Text;
using Google.Protobuf;
using MaintenanceWorkflows.DevServer.Grpc;

namespace MaintenanceWorkflows.DevServer.Engine;

/// <summary>Opaque task tokens: enough to find the task again and to reject a stale one.</summary>
internal static class TaskToken
{
    private const char Sep = '\n';

    public static ByteString ForWorkflowTask(WorkflowRun run, WorkflowTaskState task) =>
        Encode("W", run.RunId, task.Sequence.ToString(CultureInfo.InvariantCulture), task.Attempt.ToString(CultureInfo.InvariantCulture));

    public static ByteString ForQuery(PendingQuery query) => Encode("Q", query.Id);

    public static ByteString ForActivity(WorkflowRun run, long scheduledEventId, int attempt) =>
        Encode("A", run.RunId, scheduledEventId.ToString(CultureInfo.InvariantCulture), attempt.ToString(CultureInfo.InvariantCulture));

    public static (string RunId, long Number, int Attempt) DecodeTask(ByteString token, string kind)
    {
        var parts = Decode(token);
        if (parts.Length != 4 || parts[0] != kind ||
            !long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var scheduled) ||
            !int.TryParse(parts[3], NumberStyles.None, CultureInfo.InvariantCulture, out var attempt))
        {
            throw GrpcException.InvalidArgument("task_token is malformed: pass the token exactly as the poll returned it");
        }
        return (parts[1], scheduled, attempt);
    }

    public static string DecodeQuery(ByteString token)
    {
        var parts = Decode(token);
        if (parts.Length != 2 || parts[0] != "Q")
        {
            throw GrpcException.InvalidArgument("task_token is not a query task token: pass the token exactly as the poll returned it");
        }
        return parts[1];
    }

    private static ByteString Encode(params string[] parts) =>
        ByteString.CopyFrom(string.Join(Sep, parts), Encoding.UTF8);

    private static string[] Decode(ByteString token)
    {
        if (token.IsEmpty)
        {
            throw GrpcException.InvalidArgument("task_token is required");
        }
        return token.ToStringUtf8().Split(Sep);
    }
}
