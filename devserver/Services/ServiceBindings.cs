using Google.Protobuf.WellKnownTypes;
using MaintenanceWorkflows.DevServer.Engine;
using MaintenanceWorkflows.DevServer.Grpc;
using Temporalio.Api.Namespace.V1;
using Temporalio.Api.OperatorService.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.TestService.V1;
using Temporalio.Api.WorkflowService.V1;

namespace MaintenanceWorkflows.DevServer.Services;

/// <summary>Maps the gRPC methods the SDK calls onto the engine.</summary>
internal static class ServiceBindings
{
    public const string WorkflowService = "temporal.api.workflowservice.v1.WorkflowService";
    public const string TestService = "temporal.api.testservice.v1.TestService";
    public const string OperatorService = "temporal.api.operatorservice.v1.OperatorService";

    /// <summary>What this server reports as its version in GetSystemInfo.</summary>
    public const string ServerVersion = "1.27.0";

    public const string HealthService = "grpc.health.v1.Health";

    public static void Register(GrpcRouter router, WorkflowEngine engine)
    {
        // grpc.health.v1: HealthCheckRequest is {string service = 1} and HealthCheckResponse
        // {ServingStatus status = 1}, the same wire shape as StringValue and Int32Value; 1 = SERVING.
        router.Register(HealthService, "Check", StringValue.Parser, (_, _) => Task.FromResult(new Int32Value { Value = 1 }));
        RegisterWorkflowService(router, engine);
        RegisterTestService(router, engine.Clock);
        RegisterOperatorService(router, engine);
    }

    /// <summary>
    /// What the server says about itself and its task queues: cluster info, the pollers each queue has seen
    /// (learned from the poll RPCs by <paramref name="pollers"/>) and the deprecated cluster-wide search attribute list.
    /// The web UI's /api/v1 routes call these same RPCs.
    /// </summary>
    public static void RegisterClusterAnswers(GrpcRouter router, WorkflowEngine engine, Http.PollerDirectory pollers, string persistence)
    {
        router.Register(WorkflowService, "GetClusterInfo", GetClusterInfoRequest.Parser, (_, _) => Task.FromResult(new GetClusterInfoResponse
        {
            ServerVersion = ServerVersion,
            ClusterName = "devserver",
            ClusterId = "devserver",
            PersistenceStore = persistence,
            VisibilityStore = persistence,
            HistoryShardCount = 1,
            SupportedClients = { ["temporal-ui"] = ">=2.0.0" },
        }));
        router.Register(WorkflowService, "DescribeTaskQueue", DescribeTaskQueueRequest.Parser, (req, _) =>
        {
            // Temporal answers NotFound for a namespace it does not have, whatever the queue.
            engine.GetNamespace(req.Namespace);
            return Task.FromResult(pollers.Describe(req));
        });
        router.Register(WorkflowService, "GetSearchAttributes", GetSearchAttributesRequest.Parser, (_, _) =>
        {
            // The request names no namespace: answer for the default one, as a single-namespace dev server does.
            var known = engine.ListSearchAttributes(new ListSearchAttributesRequest { Namespace = DefaultNamespace(engine) });
            var response = new GetSearchAttributesResponse();
            response.Keys.Add(known.SystemAttributes);
            response.Keys.Add(known.CustomAttributes);
            return Task.FromResult(response);
        });
    }

    private static string DefaultNamespace(WorkflowEngine engine) =>
        engine.Namespaces.Select(n => n.Name).OrderBy(n => n == "default" ? 0 : 1).ThenBy(n => n, StringComparer.Ordinal).First();

    private static void RegisterOperatorService(GrpcRouter router, WorkflowEngine engine)
    {
        void Unary<TReq, TResp>(string method, Google.Protobuf.MessageParser<TReq> parser, Func<TReq, TResp> handler)
            where TReq : Google.Protobuf.IMessage<TReq>
            where TResp : Google.Protobuf.IMessage<TResp> =>
            router.Register(OperatorService, method, parser, (req, _) => Task.FromResult(handler(req)));

        Unary("AddSearchAttributes", AddSearchAttributesRequest.Parser, engine.AddSearchAttributes);
        Unary("RemoveSearchAttributes", RemoveSearchAttributesRequest.Parser, engine.RemoveSearchAttributes);
        Unary("ListSearchAttributes", ListSearchAttributesRequest.Parser, engine.ListSearchAttributes);
    }

    private static void RegisterWorkflowService(GrpcRouter router, WorkflowEngine engine)
    {
        void Unary<TReq, TResp>(string method, Google.Protobuf.MessageParser<TReq> parser, Func<TReq, TResp> handler)
            where TReq : Google.Protobuf.IMessage<TReq>
            where TResp : Google.Protobuf.IMessage<TResp> =>
            router.Register(WorkflowService, method, parser, (req, _) => Task.FromResult(handler(req)));

        void Async<TReq, TResp>(string method, Google.Protobuf.MessageParser<TReq> parser, Func<TReq, CallContext, Task<TResp>> handler)
            where TReq : Google.Protobuf.IMessage<TReq>
            where TResp : Google.Protobuf.IMessage<TResp> =>
            router.Register(WorkflowService, method, parser, handler);

        Unary("GetSystemInfo", GetSystemInfoRequest.Parser, _ => new GetSystemInfoResponse
        {
            ServerVersion = ServerVersion,
            Capabilities = new()
            {
                SignalAndQueryHeader = true,
                InternalErrorDifferentiation = true,
                ActivityFailureIncludeHeartbeat = true,
                SupportsSchedules = false,
                EncodedFailureAttributes = true,
                BuildIdBasedVersioning = false,
                UpsertMemo = true,
                EagerWorkflowStart = false,
                SdkMetadata = true,
                CountGroupByExecutionStatus = true,
                Nexus = false,
            },
        });
        Unary("DescribeNamespace", DescribeNamespaceRequest.Parser, req => DescribeNamespace(engine, req));
        Unary("RegisterNamespace", RegisterNamespaceRequest.Parser, engine.RegisterNamespace);
        Unary("ListNamespaces", ListNamespacesRequest.Parser, _ =>
        {
            var response = new ListNamespacesResponse();
            response.Namespaces.AddRange(engine.Namespaces.Select(ns => DescribeNamespace(engine, new() { Namespace = ns.Name })));
            return response;
        });
        Unary("StartWorkflowExecution", StartWorkflowExecutionRequest.Parser, engine.StartWorkflow);
        Unary("SignalWithStartWorkflowExecution", SignalWithStartWorkflowExecutionRequest.Parser, engine.SignalWithStart);
        Unary("SignalWorkflowExecution", SignalWorkflowExecutionRequest.Parser, req =>
        {
            engine.Signal(req);
            return new SignalWorkflowExecutionResponse();
        });
        Unary("RequestCancelWorkflowExecution", RequestCancelWorkflowExecutionRequest.Parser, req =>
        {
            engine.RequestCancel(req);
            return new RequestCancelWorkflowExecutionResponse();
        });
        Unary("TerminateWorkflowExecution", TerminateWorkflowExecutionRequest.Parser, req =>
        {
            engine.Terminate(req);
            return new TerminateWorkflowExecutionResponse();
        });
        Unary("DescribeWorkflowExecution", DescribeWorkflowExecutionRequest.Parser, engine.Describe);
        Async("GetWorkflowExecutionHistory", GetWorkflowExecutionHistoryRequest.Parser, engine.GetHistoryAsync);
        Async("QueryWorkflow", QueryWorkflowRequest.Parser, engine.QueryAsync);
        Unary("ListWorkflowExecutions", ListWorkflowExecutionsRequest.Parser, engine.ListWorkflows);
        Unary("ScanWorkflowExecutions", ScanWorkflowExecutionsRequest.Parser, engine.ScanWorkflows);
        Unary("CountWorkflowExecutions", CountWorkflowExecutionsRequest.Parser, engine.CountWorkflows);
        Async("UpdateWorkflowExecution", UpdateWorkflowExecutionRequest.Parser, engine.UpdateAsync);
        Async("PollWorkflowExecutionUpdate", PollWorkflowExecutionUpdateRequest.Parser, engine.PollUpdateAsync);
        Async("ExecuteMultiOperation", ExecuteMultiOperationRequest.Parser, engine.ExecuteMultiOperationAsync);

        Async("PollWorkflowTaskQueue", PollWorkflowTaskQueueRequest.Parser, engine.PollWorkflowTaskAsync);
        Async("RespondWorkflowTaskCompleted", RespondWorkflowTaskCompletedRequest.Parser, engine.CompleteWorkflowTaskAsync);
        Unary("RespondWorkflowTaskFailed", RespondWorkflowTaskFailedRequest.Parser, engine.FailWorkflowTask);
        Unary("RespondQueryTaskCompleted", RespondQueryTaskCompletedRequest.Parser, req =>
        {
            engine.RespondQueryTaskCompleted(req);
            return new RespondQueryTaskCompletedResponse();
        });

        Async("PollActivityTaskQueue", PollActivityTaskQueueRequest.Parser, engine.PollActivityTaskAsync);
        Unary("RecordActivityTaskHeartbeat", RecordActivityTaskHeartbeatRequest.Parser, engine.Heartbeat);
        Unary("RecordActivityTaskHeartbeatById", RecordActivityTaskHeartbeatByIdRequest.Parser, engine.HeartbeatById);
        Unary("RespondActivityTaskCompleted", RespondActivityTaskCompletedRequest.Parser, req =>
        {
            engine.CompleteActivity(req);
            return new RespondActivityTaskCompletedResponse();
        });
        Unary("RespondActivityTaskCompletedById", RespondActivityTaskCompletedByIdRequest.Parser, req =>
        {
            engine.CompleteActivityById(req);
            return new RespondActivityTaskCompletedByIdResponse();
        });
        Unary("RespondActivityTaskFailed", RespondActivityTaskFailedRequest.Parser, req =>
        {
            engine.FailActivity(req);
            return new RespondActivityTaskFailedResponse();
        });
        Unary("RespondActivityTaskFailedById", RespondActivityTaskFailedByIdRequest.Parser, req =>
        {
            engine.FailActivityById(req);
            return new RespondActivityTaskFailedByIdResponse();
        });
        Unary("RespondActivityTaskCanceled", RespondActivityTaskCanceledRequest.Parser, req =>
        {
            engine.CancelActivity(req);
            return new RespondActivityTaskCanceledResponse();
        });
        Unary("RespondActivityTaskCanceledById", RespondActivityTaskCanceledByIdRequest.Parser, req =>
        {
            engine.CancelActivityById(req);
            return new RespondActivityTaskCanceledByIdResponse();
        });

        Unary("PauseActivity", PauseActivityRequest.Parser, engine.PauseActivity);
        Unary("UnpauseActivity", UnpauseActivityRequest.Parser, engine.UnpauseActivity);
        Unary("ResetActivity", ResetActivityRequest.Parser, engine.ResetActivity);
        Unary("ResetStickyTaskQueue", ResetStickyTaskQueueRequest.Parser, engine.ResetStickyTaskQueue);
        Unary("ShutdownWorker", ShutdownWorkerRequest.Parser, engine.ShutdownWorker);

        // No Nexus services exist here; the poll still long-polls (never UNIMPLEMENTED for a poll).
        Async("PollNexusTaskQueue", PollNexusTaskQueueRequest.Parser, async (_, ctx) =>
        {
            await Task.Delay(ctx.LongPollWait, ctx.CancellationToken);
            return new PollNexusTaskQueueResponse();
        });
    }

    private static DescribeNamespaceResponse DescribeNamespace(WorkflowEngine engine, DescribeNamespaceRequest req)
    {
        var ns = !string.IsNullOrEmpty(req.Namespace)
            ? engine.GetNamespace(req.Namespace)
            : engine.Namespaces.FirstOrDefault(n => n.Id == req.Id)
                ?? throw GrpcException.NotFound($"no namespace has id '{req.Id}'");
        return new DescribeNamespaceResponse
        {
            NamespaceInfo = new NamespaceInfo
            {
                Name = ns.Name,
                Id = ns.Id,
                State = Temporalio.Api.Enums.V1.NamespaceState.Registered,
                Description = "devserver namespace",
                Capabilities = new NamespaceInfo.Types.Capabilities(),
            },
            Config = new NamespaceConfig
            {
                WorkflowExecutionRetentionTtl = Duration.FromTimeSpan(TimeSpan.FromDays(1)),
                HistoryArchivalState = ArchivalState.Disabled,
                VisibilityArchivalState = ArchivalState.Disabled,
            },
            ReplicationConfig = new Temporalio.Api.Replication.V1.NamespaceReplicationConfig
            {
                ActiveClusterName = "active",
                State = ReplicationState.Normal,
            },
            IsGlobalNamespace = false,
        };
    }

    private static void RegisterTestService(GrpcRouter router, DevClock clock)
    {
        router.Register(TestService, "LockTimeSkipping", LockTimeSkippingRequest.Parser, (_, _) =>
        {
            clock.LockTimeSkipping();
            return Task.FromResult(new LockTimeSkippingResponse());
        });
        router.Register(TestService, "UnlockTimeSkipping", UnlockTimeSkippingRequest.Parser, (_, _) =>
        {
            clock.UnlockTimeSkipping();
            return Task.FromResult(new UnlockTimeSkippingResponse());
        });
        router.Register(TestService, "Sleep", SleepRequest.Parser, async (req, ctx) =>
        {
            await clock.SleepUntilAsync(clock.UtcNow + req.Duration.ToTimeSpan(), ctx.CancellationToken);
            return new SleepResponse();
        });
        router.Register(TestService, "SleepUntil", SleepUntilRequest.Parser, async (req, ctx) =>
        {
            await clock.SleepUntilAsync(req.Timestamp.ToDateTime(), ctx.CancellationToken);
            return new SleepResponse();
        });
        router.Register(TestService, "UnlockTimeSkippingWithSleep", SleepRequest.Parser, async (req, ctx) =>
        {
            await clock.SleepUnlockedUntilAsync(clock.UtcNow + req.Duration.ToTimeSpan(), ctx.CancellationToken);
            return new SleepResponse();
        });
        router.Register(TestService, "GetCurrentTime", Empty.Parser, (_, _) =>
            Task.FromResult(new GetCurrentTimeResponse { Time = Timestamp.FromDateTime(clock.UtcNow) }));
    }
}
