using System.Buffers.Binary;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using MaintenanceWorkflows.DevServer.Grpc;
using MaintenanceWorkflows.DevServer.Services;
using Temporalio.Api.OperatorService.V1;
using Temporalio.Api.WorkflowService.V1;
using Temporalio.Exceptions;

namespace MaintenanceWorkflows.DevServer.Http;

/// <summary>
/// The <c>/api/v1</c> routes the Temporal UI calls, as grpc-gateway maps them onto the WorkflowService
/// (the <c>google.api.http</c> annotations of temporalio/api). Each route builds the RPC's request
/// message and runs it through the same handlers as gRPC; a few answers only the UI needs
/// (reversed history, settings) are made here.
/// </summary>
internal sealed class ApiRoutes
{
    private const string Ns = "namespaces/{namespace}";
    private const string Wf = Ns + "/workflows/{execution.workflowId}";
    private const string WfExec = Ns + "/workflows/{workflowExecution.workflowId}";

    private readonly List<Route> routes;
    private readonly GrpcRouter router;
    public ApiRoutes(GrpcRouter router)
    {
        this.router = router;
        routes =
        [
            Rpc("GET", "system-info", "GetSystemInfo", GetSystemInfoRequest.Descriptor),
            Rpc("GET", "cluster-info", "GetClusterInfo", GetClusterInfoRequest.Descriptor),
            Rpc("GET", "namespaces", "ListNamespaces", ListNamespacesRequest.Descriptor),
            Rpc("GET", Ns, "DescribeNamespace", DescribeNamespaceRequest.Descriptor),
            Rpc("GET", Ns + "/search-attributes", "ListSearchAttributes", ListSearchAttributesRequest.Descriptor, ServiceBindings.OperatorService),
            Rpc("GET", Ns + "/workflows", "ListWorkflowExecutions", ListWorkflowExecutionsRequest.Descriptor),
            Rpc("GET", Ns + "/workflow-count", "CountWorkflowExecutions", CountWorkflowExecutionsRequest.Descriptor),
            Rpc("GET", Wf, "DescribeWorkflowExecution", DescribeWorkflowExecutionRequest.Descriptor),
            Rpc("GET", Wf + "/history", "GetWorkflowExecutionHistory", GetWorkflowExecutionHistoryRequest.Descriptor),
            Local("GET", Wf + "/history-reverse", GetWorkflowExecutionHistoryReverseRequest.Descriptor, (req, ctx) => ReverseHistoryAsync((GetWorkflowExecutionHistoryReverseRequest)req, ctx)),
            Rpc("POST", Wf + "/query/{query.queryType}", "QueryWorkflow", QueryWorkflowRequest.Descriptor),
            Rpc("POST", WfExec + "/signal/{signalName}", "SignalWorkflowExecution", SignalWorkflowExecutionRequest.Descriptor),
            Rpc("POST", WfExec + "/terminate", "TerminateWorkflowExecution", TerminateWorkflowExecutionRequest.Descriptor),
            Rpc("POST", WfExec + "/cancel", "RequestCancelWorkflowExecution", RequestCancelWorkflowExecutionRequest.Descriptor),
            Rpc("POST", WfExec + "/update/{request.input.name}", "UpdateWorkflowExecution", UpdateWorkflowExecutionRequest.Descriptor),
            Local("POST", WfExec + "/reset", ResetWorkflowExecutionRequest.Descriptor, (_, _) => throw new GrpcException(
                RpcException.StatusCode.Unimplemented,
                "Reset is not supported by the devserver: it keeps no workflow-task snapshots to replay from. Terminate the run and start it again instead.")),
            Rpc("GET", Ns + "/task-queues/{taskQueue.name}", "DescribeTaskQueue", DescribeTaskQueueRequest.Descriptor),
        ];
    }

    /// <summary>Every route as "METHOD /api/v1/pattern" (for the README and the route test).</summary>
    public IEnumerable<string> Patterns => routes.Select(r => $"{r.HttpMethod} /api/v1/{string.Join('/', r.Segments)}");

    /// <summary>Finds the route for a request; null when no route has this path at all.</summary>
    public (Route Route, Dictionary<string, string> PathValues)? Match(string httpMethod, IReadOnlyList<string> segments, out bool pathKnown)
    {
        pathKnown = false;
        foreach (var route in routes)
        {
            if (route.Segments.Length != segments.Count)
            {
                continue;
            }
            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            var matched = true;
            for (var i = 0; i < segments.Count && matched; i++)
            {
                var pattern = route.Segments[i];
                if (pattern.StartsWith('{'))
                {
                    values[pattern[1..^1]] = segments[i];
                }
                else
                {
                    matched = string.Equals(pattern, segments[i], StringComparison.Ordinal);
                }
            }
            if (!matched)
            {
                continue;
            }
            pathKnown = true;
            if (string.Equals(route.HttpMethod, httpMethod, StringComparison.OrdinalIgnoreCase))
            {
                return (route, values);
            }
        }
        return null;
    }

    public async Task<IMessage> InvokeAsync(Route route, IMessage request, CallContext ctx) =>
        route.Local != null
            ? await route.Local(request, ctx)
            : await router.InvokeAsync(route.Service, route.Method, request, ctx);

    private Route Rpc(string httpMethod, string pattern, string method, MessageDescriptor request, string service = ServiceBindings.WorkflowService) =>
        new(httpMethod, pattern.Split('/'), service, method, request, null);

    private static Route Local(string httpMethod, string pattern, MessageDescriptor request, Func<IMessage, CallContext, Task<IMessage>> handler) =>
        new(httpMethod, pattern.Split('/'), string.Empty, string.Empty, request, handler);

    /// <summary>
    /// Newest events first (the UI's "descending" history). The page token is the id of the next, older
    /// event to return, so events appended between pages do not shift it.
    /// </summary>
    private async Task<IMessage> ReverseHistoryAsync(GetWorkflowExecutionHistoryReverseRequest req, CallContext ctx)
    {
        var all = new List<Temporalio.Api.History.V1.HistoryEvent>();
        var forward = new GetWorkflowExecutionHistoryRequest { Namespace = req.Namespace, Execution = req.Execution };
        do
        {
            var page = (GetWorkflowExecutionHistoryResponse)await router.InvokeAsync(
                ServiceBindings.WorkflowService, "GetWorkflowExecutionHistory", forward, ctx);
            all.AddRange(page.History?.Events ?? []);
            forward.NextPageToken = page.NextPageToken;
        }
        while (!forward.NextPageToken.IsEmpty);
        long below = long.MaxValue;
        if (!req.NextPageToken.IsEmpty)
        {
            if (req.NextPageToken.Length != 8)
            {
                throw GrpcException.InvalidArgument("next_page_token is malformed: pass the token exactly as the previous page returned it");
            }
            below = BinaryPrimitives.ReadInt64BigEndian(req.NextPageToken.Span);
        }
        var size = req.MaximumPageSize > 0 ? req.MaximumPageSize : 1000;
        var events = all.Where(e => e.EventId <= below).OrderByDescending(e => e.EventId).Take(size).ToList();
        var response = new GetWorkflowExecutionHistoryReverseResponse { History = new() };
        response.History.Events.AddRange(events);
        if (events.Count == size && events[^1].EventId > 1)
        {
            var token = new byte[8];
            BinaryPrimitives.WriteInt64BigEndian(token, events[^1].EventId - 1);
            response.NextPageToken = ByteString.CopyFrom(token);
        }
        return response;
    }

    internal sealed record Route(
        string HttpMethod,
        string[] Segments,
        string Service,
        string Method,
        MessageDescriptor Request,
        Func<IMessage, CallContext, Task<IMessage>>? Local);
}
