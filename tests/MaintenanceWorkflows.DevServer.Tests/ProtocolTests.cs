using System.Buffers.Binary;
using System.IO.Compression;
using System.Net;
using Google.Protobuf;
using MaintenanceWorkflows.DevServer.Tests.Workflows;
using Temporalio.Api.Command.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.WorkflowService.V1;
using Temporalio.Client;
using Temporalio.Exceptions;
using Temporalio.Worker;

namespace MaintenanceWorkflows.DevServer.Tests;

/// <summary>Wire-level behaviour, driven with raw RPCs where the SDK would hide the detail.</summary>
[Collection(ServerCollection.Name)]
public sealed class ProtocolTests
{
    private readonly ServerFixture fixture;

    public ProtocolTests(ServerFixture fixture) => this.fixture = fixture;

    private TemporalClient Client => fixture.Client;

    [Fact]
    public async Task GetSystemInfo_ReportsCapabilitiesTheSdkReliesOn()
    {
        var info = await Client.WorkflowService.GetSystemInfoAsync(new());
        Assert.True(info.Capabilities.SdkMetadata);
        Assert.True(info.Capabilities.ActivityFailureIncludeHeartbeat);
        Assert.True(info.Capabilities.UpsertMemo);
        Assert.False(info.Capabilities.EagerWorkflowStart);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task RawGrpc_GzipOrPlainRequest_Answered(bool gzip)
    {
        using var http = NewH2cClient();
        var body = Frame(new DescribeNamespaceRequest { Namespace = "other" }.ToByteArray(), gzip);
        using var request = NewGrpcRequest("/temporal.api.workflowservice.v1.WorkflowService/DescribeNamespace", body, gzip);
        using var response = await http.SendAsync(request);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal("0", response.TrailingHeaders.GetValues("grpc-status").Single());
        var length = (int)BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(1, 4));
        var reply = DescribeNamespaceResponse.Parser.ParseFrom(bytes.AsSpan(5, length));
        Assert.Equal("other", reply.NamespaceInfo.Name);
    }

    [Fact]
    public async Task RawGrpc_UnknownMethod_Unimplemented()
    {
        using var http = NewH2cClient();
        using var request = NewGrpcRequest("/temporal.api.workflowservice.v1.WorkflowService/NoSuchRpc", Frame([], false), false);
        using var response = await http.SendAsync(request);
        await response.Content.ReadAsByteArrayAsync();
        var status = response.Headers.TryGetValues("grpc-status", out var h) ? h.Single() : response.TrailingHeaders.GetValues("grpc-status").Single();
        Assert.Equal("12", status);
    }

    [Fact]
    public async Task LongPoll_EmptyQueue_AnsweredEmptyBeforeDeadline()
    {
        var response = await Client.WorkflowService.PollWorkflowTaskQueueAsync(
            new() { Namespace = "default", TaskQueue = new() { Name = Unique.Queue("empty") }, Identity = "test" },
            new RpcOptions { Timeout = TimeSpan.FromSeconds(3), Retry = false });
        Assert.True(response.TaskToken.IsEmpty);
    }

    [Fact]
    public async Task Poll_CancelledPoll_TaskGoesToTheNextPoll()
    {
        var queue = Unique.Queue("cancelled-poll");
        using (var cancel = new CancellationTokenSource())
        {
            var abandoned = Client.WorkflowService.PollWorkflowTaskQueueAsync(
                NewPoll(queue), new RpcOptions { CancellationToken = cancel.Token, Retry = false });
            await cancel.CancelAsync();
            await Assert.ThrowsAnyAsync<Exception>(() => abandoned);
        }
        var handle = await Client.StartWorkflowAsync((CollectWorkflow wf) => wf.RunAsync(new CollectInput(1)), new(Unique.Id("cancelled-poll"), queue));
        var task = await Client.WorkflowService.PollWorkflowTaskQueueAsync(NewPoll(queue));
        Assert.Equal(handle.Id, task.WorkflowExecution.WorkflowId);
        await handle.TerminateAsync();
    }

    [Fact]
    public async Task SignalsDuringWorkflowTask_BufferedThenDeliveredInNextTask()
    {
        var queue = Unique.Queue("buffered");
        var handle = await Client.StartWorkflowAsync((CollectWorkflow wf) => wf.RunAsync(new CollectInput(2)), new(Unique.Id("buffered"), queue));
        var task = await Client.WorkflowService.PollWorkflowTaskQueueAsync(NewPoll(queue));
        await handle.SignalAsync(wf => wf.AddAsync(new SignalInput("a")));
        await handle.SignalAsync(wf => wf.AddAsync(new SignalInput("b")));
        // The workflow's first task issues no commands, so completing it by hand is a valid history.
        await Client.WorkflowService.RespondWorkflowTaskCompletedAsync(new()
        {
            Namespace = "default",
            TaskToken = task.TaskToken,
            Identity = "test",
        });
        var events = (await handle.FetchHistoryAsync()).Events.Select(e => e.EventType).ToList();
        Assert.Equal(
            [
                EventType.WorkflowExecutionStarted, EventType.WorkflowTaskScheduled, EventType.WorkflowTaskStarted,
                EventType.WorkflowTaskCompleted, EventType.WorkflowExecutionSignaled, EventType.WorkflowExecutionSignaled,
                EventType.WorkflowTaskScheduled,
            ],
            events);
        using var worker = new TemporalWorker(Client, new TemporalWorkerOptions(queue).AddWorkflow<CollectWorkflow>());
        var result = await worker.ExecuteAsync(() => handle.GetResultAsync());
        Assert.Equal(["a", "b"], result.Values);
    }

    [Fact]
    public async Task CloseCommand_WithBufferedSignal_RejectedAndWorkflowSeesSignal()
    {
        var queue = Unique.Queue("unhandled");
        var handle = await Client.StartWorkflowAsync((CollectWorkflow wf) => wf.RunAsync(new CollectInput(1)), new(Unique.Id("unhandled"), queue));
        var task = await Client.WorkflowService.PollWorkflowTaskQueueAsync(NewPoll(queue));
        await handle.SignalAsync(wf => wf.AddAsync(new SignalInput("late")));
        var completion = new RespondWorkflowTaskCompletedRequest { Namespace = "default", TaskToken = task.TaskToken, Identity = "test" };
        completion.Commands.Add(new Command
        {
            CommandType = CommandType.CompleteWorkflowExecution,
            CompleteWorkflowExecutionCommandAttributes = new(),
        });
        var ex = await Assert.ThrowsAsync<RpcException>(() => Client.WorkflowService.RespondWorkflowTaskCompletedAsync(completion));
        Assert.Equal(RpcException.StatusCode.InvalidArgument, ex.Code);
        var failed = (await handle.FetchHistoryAsync()).Events.Single(e => e.EventType == EventType.WorkflowTaskFailed);
        Assert.Equal(WorkflowTaskFailedCause.UnhandledCommand, failed.WorkflowTaskFailedEventAttributes.Cause);
        using var worker = new TemporalWorker(Client, new TemporalWorkerOptions(queue).AddWorkflow<CollectWorkflow>());
        Assert.Equal(["late"], (await worker.ExecuteAsync(() => handle.GetResultAsync())).Values);
    }

    [Fact]
    public async Task WorkflowTaskTimeout_TaskNeverAnswered_RetriedWithNextAttempt()
    {
        var queue = Unique.Queue("wft-timeout");
        var handle = await Client.StartWorkflowAsync(
            (CollectWorkflow wf) => wf.RunAsync(new CollectInput(1)),
            new(Unique.Id("wft-timeout"), queue) { TaskTimeout = TimeSpan.FromMilliseconds(300) });
        var task = await Client.WorkflowService.PollWorkflowTaskQueueAsync(NewPoll(queue));
        Assert.Equal(1, task.Attempt);
        var retry = await Client.WorkflowService.PollWorkflowTaskQueueAsync(NewPoll(queue));
        Assert.Equal(2, retry.Attempt);
        var late = await Assert.ThrowsAsync<RpcException>(() => Client.WorkflowService.RespondWorkflowTaskCompletedAsync(
            new() { Namespace = "default", TaskToken = task.TaskToken, Identity = "test" }));
        Assert.Equal(RpcException.StatusCode.NotFound, late.Code);
        var history = await handle.FetchHistoryAsync();
        Assert.Contains(history.Events, e => e.EventType == EventType.WorkflowTaskTimedOut);
        await handle.TerminateAsync();
    }

    [Fact]
    public async Task CompleteTask_AfterTerminate_NotFound()
    {
        var queue = Unique.Queue("terminated-task");
        var handle = await Client.StartWorkflowAsync((CollectWorkflow wf) => wf.RunAsync(new CollectInput(1)), new(Unique.Id("terminated-task"), queue));
        var task = await Client.WorkflowService.PollWorkflowTaskQueueAsync(NewPoll(queue));
        await handle.TerminateAsync();
        var ex = await Assert.ThrowsAsync<RpcException>(() => Client.WorkflowService.RespondWorkflowTaskCompletedAsync(
            new() { Namespace = "default", TaskToken = task.TaskToken, Identity = "test" }));
        Assert.Equal(RpcException.StatusCode.NotFound, ex.Code);
        var events = (await handle.FetchHistoryAsync()).Events.ToList();
        Assert.Equal(EventType.WorkflowExecutionTerminated, events[^1].EventType);
        Assert.Equal(Enumerable.Range(1, events.Count).Select(i => (long)i), events.Select(e => e.EventId));
    }

    private static PollWorkflowTaskQueueRequest NewPoll(string queue) =>
        new() { Namespace = "default", TaskQueue = new() { Name = queue }, Identity = "test" };

    private HttpClient NewH2cClient() => new(new SocketsHttpHandler())
    {
        BaseAddress = new Uri($"http://{fixture.Server.Target}"),
        DefaultRequestVersion = HttpVersion.Version20,
        DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
    };

    private static HttpRequestMessage NewGrpcRequest(string path, byte[] body, bool gzip)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(body),
        };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", "application/grpc");
        request.Headers.TryAddWithoutValidation("TE", "trailers");
        if (gzip)
        {
            request.Headers.TryAddWithoutValidation("grpc-encoding", "gzip");
        }
        return request;
    }

    private static byte[] Frame(byte[] message, bool gzip)
    {
        if (gzip)
        {
            using var compressed = new MemoryStream();
            using (var zip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
            {
                zip.Write(message);
            }
            message = compressed.ToArray();
        }
        var frame = new byte[message.Length + 5];
        frame[0] = gzip ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1, 4), (uint)message.Length);
        message.CopyTo(frame, 5);
        return frame;
    }
}
