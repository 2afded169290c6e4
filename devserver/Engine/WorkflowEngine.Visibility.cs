using System.Buffers.Binary;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using MaintenanceWorkflows.DevServer.Grpc;
using MaintenanceWorkflows.DevServer.Visibility;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.OperatorService.V1;
using Temporalio.Api.Workflow.V1;
using Temporalio.Api.WorkflowService.V1;

namespace MaintenanceWorkflows.DevServer.Engine;

/// <summary>
/// Visibility: list and count over every run of a namespace, filtered by the list-filter language;
/// and the OperatorService calls that manage the namespace's custom search attributes.
/// </summary>
public sealed partial class WorkflowEngine
{
    private const int DefaultListPageSize = 1000;

    public ListSearchAttributesResponse ListSearchAttributes(ListSearchAttributesRequest req)
    {
        using (Locked())
        {
            var registry = RequireNamespace(req.Namespace).SearchAttributes;
            var response = new ListSearchAttributesResponse();
            foreach (var (name, type) in registry.Custom)
            {
                response.CustomAttributes[name] = type;
            }
            foreach (var (name, type) in SearchAttributeRegistry.System)
            {
                response.SystemAttributes[name] = type;
            }
            return response;
        }
    }

    public AddSearchAttributesResponse AddSearchAttributes(AddSearchAttributesRequest req)
    {
        if (req.SearchAttributes.Count == 0)
        {
            throw GrpcException.InvalidArgument("search_attributes is empty: name at least one attribute and its type");
        }
        using (Locked())
        {
            var ns = RequireNamespace(req.Namespace);
            if (ns.SearchAttributes.Add(req.SearchAttributes))
            {
                store.SearchAttributesChanged(ns.Name, ns.SearchAttributes.Custom);
            }
            return new AddSearchAttributesResponse();
        }
    }

    public RemoveSearchAttributesResponse RemoveSearchAttributes(RemoveSearchAttributesRequest req)
    {
        if (req.SearchAttributes.Count == 0)
        {
            throw GrpcException.InvalidArgument("search_attributes is empty: name at least one attribute to remove");
        }
        using (Locked())
        {
            var ns = RequireNamespace(req.Namespace);
            ns.SearchAttributes.Remove(req.SearchAttributes);
            store.SearchAttributesChanged(ns.Name, ns.SearchAttributes.Custom);
            return new RemoveSearchAttributesResponse();
        }
    }

    public ListWorkflowExecutionsResponse ListWorkflows(ListWorkflowExecutionsRequest req)
    {
        var (page, next) = ListPage(req.Namespace, req.Query, req.PageSize, req.NextPageToken);
        var response = new ListWorkflowExecutionsResponse { NextPageToken = next };
        response.Executions.AddRange(page);
        return response;
    }

    public ScanWorkflowExecutionsResponse ScanWorkflows(ScanWorkflowExecutionsRequest req)
    {
        var (page, next) = ListPage(req.Namespace, req.Query, req.PageSize, req.NextPageToken);
        var response = new ScanWorkflowExecutionsResponse { NextPageToken = next };
        response.Executions.AddRange(page);
        return response;
    }

    public CountWorkflowExecutionsResponse CountWorkflows(CountWorkflowExecutionsRequest req)
    {
        using (Locked())
        {
            var ns = RequireNamespace(req.Namespace);
            var query = ListQuery.Parse(req.Query, ns.SearchAttributes);
            if (query.OrderBy.Count > 0)
            {
                throw GrpcException.InvalidArgument("invalid query: ORDER BY has no meaning in a count; remove it");
            }
            var matching = Matching(ns, query).ToList();
            var response = new CountWorkflowExecutionsResponse { Count = matching.Count };
            if (query.GroupBy != null)
            {
                foreach (var group in matching.GroupBy(r => r.Status).OrderBy(g => (int)g.Key))
                {
                    var aggregation = new CountWorkflowExecutionsResponse.Types.AggregationGroup { Count = group.Count() };
                    aggregation.GroupValues.Add(SearchAttributeRegistry.Encode(ListQuery.StatusName(group.Key), IndexedValueType.Keyword));
                    response.Groups.Add(aggregation);
                }
            }
            return response;
        }
    }

    private (List<WorkflowExecutionInfo> Page, ByteString Next) ListPage(string ns, string queryText, int pageSize, ByteString token)
    {
        var offset = DecodeListToken(token);
        using (Locked())
        {
            var nsState = RequireNamespace(ns);
            var query = ListQuery.Parse(queryText, nsState.SearchAttributes);
            if (query.GroupBy != null)
            {
                throw GrpcException.InvalidArgument("invalid query: GROUP BY is only supported by CountWorkflowExecutions");
            }
            var size = pageSize > 0 ? pageSize : DefaultListPageSize;
            var ordered = Sort(Matching(nsState, query), query.OrderBy).ToList();
            var page = ordered.Skip(offset).Take(size).Select(ExecutionInfo).ToList();
            var nextOffset = offset + page.Count;
            return (page, nextOffset < ordered.Count ? EncodeListToken(nextOffset) : ByteString.Empty);
        }
    }

    private IEnumerable<WorkflowRun> Matching(NamespaceState ns, ListQuery query) =>
        ns.Workflows.Values.SelectMany(runs => runs).Where(run => query.Matches(name => VisibilityValue(run, name)));

    /// <summary>Explicit ORDER BY keys first (absent values last), then Temporal's default: open runs, then newest close, newest start.</summary>
    private static IEnumerable<WorkflowRun> Sort(IEnumerable<WorkflowRun> runs, IReadOnlyList<ListQuery.OrderKey> keys)
    {
        var list = runs.ToList();
        list.Sort((a, b) =>
        {
            foreach (var key in keys)
            {
                var (x, y) = (VisibilityValue(a, key.Field), VisibilityValue(b, key.Field));
                var order = (x, y) switch
                {
                    (null, null) => 0,
                    (null, _) => 1,
                    (_, null) => -1,
                    _ => key.Descending ? ListQuery.CompareValues(y, x) : ListQuery.CompareValues(x, y),
                };
                if (order != 0)
                {
                    return order;
                }
            }
            var close = (b.CloseTime ?? DateTime.MaxValue).CompareTo(a.CloseTime ?? DateTime.MaxValue);
            if (close != 0)
            {
                return close;
            }
            var start = b.StartTime.CompareTo(a.StartTime);
            return start != 0 ? start : string.CompareOrdinal(a.RunId, b.RunId);
        });
        return list;
    }

    /// <summary>An attribute's value for filters and ordering: system attributes from the run, custom ones from its search attributes.</summary>
    private static object? VisibilityValue(WorkflowRun run, string name) => name switch
    {
        "WorkflowId" => run.WorkflowId,
        "RunId" => run.RunId,
        "WorkflowType" => run.Start.WorkflowType.Name,
        "ExecutionStatus" => ListQuery.StatusName(run.Status),
        "TaskQueue" => run.Start.TaskQueue.Name,
        "StartTime" => run.StartTime,
        "ExecutionTime" => run.ExecutionTime,
        "CloseTime" => run.CloseTime,
        "ExecutionDuration" => run.CloseTime is { } closed ? (closed - run.ExecutionTime).Ticks * 100 : null,
        "HistoryLength" => (long)run.History.Count,
        "HistorySizeBytes" => run.HistorySizeBytes,
        "StateTransitionCount" => (long)run.History.Count,
        "ParentWorkflowId" => NullIfEmpty(run.Start.ParentWorkflowExecution?.WorkflowId),
        "ParentRunId" => NullIfEmpty(run.Start.ParentWorkflowExecution?.RunId),
        "RootWorkflowId" => NullIfEmpty(run.Start.RootWorkflowExecution?.WorkflowId) ?? run.WorkflowId,
        "RootRunId" => NullIfEmpty(run.Start.RootWorkflowExecution?.RunId) ?? run.RunId,
        _ => run.SearchAttributeValues.GetValueOrDefault(name),
    };

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static WorkflowExecutionInfo ExecutionInfo(WorkflowRun run) => new()
    {
        Execution = run.Execution,
        Type = run.Start.WorkflowType,
        StartTime = Timestamp.FromDateTime(run.StartTime),
        CloseTime = run.CloseTime is { } closed ? Timestamp.FromDateTime(closed) : null,
        Status = run.Status,
        HistoryLength = run.History.Count,
        ExecutionTime = Timestamp.FromDateTime(run.ExecutionTime),
        Memo = run.Memo.Clone(),
        SearchAttributes = run.SearchAttributes.Clone(),
        TaskQueue = run.Start.TaskQueue.Name,
        StateTransitionCount = run.History.Count,
        HistorySizeBytes = run.HistorySizeBytes,
        FirstRunId = run.Start.FirstExecutionRunId,
        ParentExecution = run.Start.ParentWorkflowExecution,
        RootExecution = run.Start.RootWorkflowExecution ?? run.Execution,
        ExecutionDuration = run.CloseTime is { } end ? Duration.FromTimeSpan(end - run.ExecutionTime) : null,
        Priority = run.Start.Priority,
    };

    private static ByteString EncodeListToken(int offset)
    {
        var bytes = new byte[5];
        bytes[0] = (byte)'L';
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(1), offset);
        return ByteString.CopyFrom(bytes);
    }

    private static int DecodeListToken(ByteString token)
    {
        if (token.IsEmpty)
        {
            return 0;
        }
        var offset = token.Length == 5 && token[0] == (byte)'L' ? BinaryPrimitives.ReadInt32BigEndian(token.Span[1..]) : -1;
        return offset >= 0
            ? offset
            : throw GrpcException.InvalidArgument("next_page_token is malformed: pass the token exactly as the previous page returned it");
    }
}
