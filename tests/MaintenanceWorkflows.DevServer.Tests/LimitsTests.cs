using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using MaintenanceWorkflows.DevServer.Tests.Workflows;
using Temporalio.Client;
using Temporalio.Exceptions;
using Temporalio.Worker;

namespace MaintenanceWorkflows.DevServer.Tests;

/// <summary>Temporal's blob, history and message limits, each test on its own server with small limits.</summary>
public sealed class LimitsTests
{
    private const int SmallBlobLimit = 10_000;

    private static Task<TemporalDevServer> StartAsync(params string[] dynamicConfig)
    {
        var limits = dynamicConfig.Aggregate(new ServerLimits(), (l, kv) => l.WithDynamicConfig(kv));
        return TemporalDevServer.StartAsync(new() { Limits = limits });
    }

    [Fact]
    public async Task Start_InputOverBlobLimit_RefusedWithTemporalMessage()
    {
        await using var server = await StartAsync($"limit.blobSize.error={SmallBlobLimit}");
        var client = await TemporalClient.ConnectAsync(new(server.Target));
        var ex = await Assert.ThrowsAsync<RpcException>(() => client.StartWorkflowAsync(
            "NoWorker", [new string('i', 2 * SmallBlobLimit)], new(Unique.Id("blob-start"), Unique.Queue("blob-start"))));
        Assert.Equal(RpcException.StatusCode.InvalidArgument, ex.Code);
        Assert.StartsWith("Blob data size exceeds limit.", ex.Message, StringComparison.Ordinal);
        Assert.Contains("limit.blobSize.error", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Signal_PastMaximumSignalsPerExecution_RefusedAsTemporalDoes_AndNotRecorded()
    {
        await using var server = await StartAsync("history.maximumSignalsPerExecution=3");
        var client = await TemporalClient.ConnectAsync(new(server.Target));
        var queue = Unique.Queue("signal-cap");
        using var worker = new TemporalWorker(client, new TemporalWorkerOptions(queue).AddWorkflow<CollectWorkflow>());
        await worker.ExecuteAsync(async () =>
        {
            // It waits for four values, so it is still running when the fourth signal comes.
            var handle = await client.StartWorkflowAsync((CollectWorkflow wf) => wf.RunAsync(new CollectInput(4)), new(Unique.Id("signal-cap"), queue));
            // A signal-with-start on the running workflow counts too.
            var withSignal = new WorkflowOptions(handle.Id, queue);
            withSignal.SignalWithStart((CollectWorkflow wf) => wf.AddAsync(new SignalInput("a")));
            await client.StartWorkflowAsync((CollectWorkflow wf) => wf.RunAsync(new CollectInput(4)), withSignal);
            await handle.SignalAsync(wf => wf.AddAsync(new SignalInput("b")));
            await handle.SignalAsync(wf => wf.AddAsync(new SignalInput("c")));

            // The fourth: refused, without retrying here (the SDK retries RESOURCE_EXHAUSTED by default).
            var refused = await Assert.ThrowsAsync<RpcException>(() => client.WorkflowService.SignalWorkflowExecutionAsync(
                new Temporalio.Api.WorkflowService.V1.SignalWorkflowExecutionRequest
                {
                    Namespace = client.Options.Namespace,
                    WorkflowExecution = new() { WorkflowId = handle.Id },
                    SignalName = "Add",
                    RequestId = Guid.NewGuid().ToString(),
                },
                new RpcOptions { Retry = false }));
            Assert.Equal(RpcException.StatusCode.ResourceExhausted, refused.Code);
            Assert.Equal("exceeded workflow execution limit for signal events", refused.Message);

            Assert.Equal(3, await Poll.UntilAsync(() => handle.QueryAsync(wf => wf.Count), n => n == 3, TimeSpan.FromSeconds(30), n => $"{n} values"));
            var signaled = (await handle.FetchHistoryAsync()).Events.Count(e => e.EventType == Temporalio.Api.Enums.V1.EventType.WorkflowExecutionSignaled);
            Assert.Equal(3, signaled);
            await handle.TerminateAsync("test done");
        });
    }

    [Theory]
    [InlineData("history.maximumSignalsPerExecution=0", 0)]
    [InlineData("history.maximumSignalsPerExecution=25", 25)]
    public void MaximumSignalsPerExecution_DynamicConfig_ZeroMeansNoCap(string keyValue, long expected) =>
        Assert.Equal(expected, new ServerLimits().WithDynamicConfig(keyValue).MaximumSignalsPerExecution);

    [Fact]
    public void MaximumSignalsPerExecution_Default_IsTemporals()
    {
        Assert.Equal(10_000, new ServerLimits().MaximumSignalsPerExecution);
        var bad = Assert.Throws<ArgumentException>(() => new ServerLimits().WithDynamicConfig("history.maximumSignalsPerExecution=lots"));
        Assert.Contains("history.maximumSignalsPerExecution", bad.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Signal_InputOverBlobLimit_Refused()
    {
        await using var server = await StartAsync($"limit.blobSize.error={SmallBlobLimit}");
        var client = await TemporalClient.ConnectAsync(new(server.Target));
        var handle = await client.StartWorkflowAsync("NoWorker", [], new(Unique.Id("blob-signal"), Unique.Queue("blob-signal")));
        var ex = await Assert.ThrowsAsync<RpcException>(() => handle.SignalAsync("big", [new string('s', 2 * SmallBlobLimit)]));
        Assert.Equal(RpcException.StatusCode.InvalidArgument, ex.Code);
        Assert.StartsWith("Blob data size exceeds limit.", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ActivityInputOverBlobLimit_WorkflowTerminatedWithTemporalReason()
    {
        await using var server = await StartAsync($"limit.blobSize.error={SmallBlobLimit}");
        var client = await TemporalClient.ConnectAsync(new(server.Target));
        var queue = Unique.Queue("blob-command");
        using var worker = new TemporalWorker(
            client, new TemporalWorkerOptions(queue).AddWorkflow<BlobWorkflow>().AddAllActivities(new BlobActivities()));
        await worker.ExecuteAsync(async () =>
        {
            var handle = await client.StartWorkflowAsync((BlobWorkflow wf) => wf.RunAsync(2 * SmallBlobLimit, true), new(Unique.Id("blob-command"), queue));
            var ex = await Assert.ThrowsAsync<WorkflowFailedException>(() => handle.GetResultAsync());
            var terminated = Assert.IsType<TerminatedFailureException>(ex.InnerException);
            Assert.Equal("BadScheduleActivityAttributes: ScheduleActivityTaskCommandAttributes.Input exceeds size limit.", terminated.Message);
            var events = (await handle.FetchHistoryAsync()).Events;
            Assert.DoesNotContain(events, e => e.EventType == Temporalio.Api.Enums.V1.EventType.ActivityTaskScheduled);
        });
    }

    [Fact]
    public async Task WorkflowResultOverBlobLimit_WorkflowTerminated()
    {
        await using var server = await StartAsync($"limit.blobSize.error={SmallBlobLimit}");
        var client = await TemporalClient.ConnectAsync(new(server.Target));
        var queue = Unique.Queue("blob-result");
        using var worker = new TemporalWorker(client, new TemporalWorkerOptions(queue).AddWorkflow<EchoBlobWorkflow>());
        await worker.ExecuteAsync(async () =>
        {
            var handle = await client.StartWorkflowAsync((EchoBlobWorkflow wf) => wf.RunAsync(2 * SmallBlobLimit), new(Unique.Id("blob-result"), queue));
            var ex = await Assert.ThrowsAsync<WorkflowFailedException>(() => handle.GetResultAsync());
            var terminated = Assert.IsType<TerminatedFailureException>(ex.InnerException);
            Assert.Equal("BadCompleteWorkflowExecutionAttributes: CompleteWorkflowExecutionCommandAttributes.Result exceeds size limit.", terminated.Message);
        });
    }

    [Fact]
    public async Task ActivityResultOverBlobLimit_ActivityFailsWithoutRetry()
    {
        await using var server = await StartAsync($"limit.blobSize.error={SmallBlobLimit}");
        var client = await TemporalClient.ConnectAsync(new(server.Target));
        var queue = Unique.Queue("blob-activity-result");
        using var worker = new TemporalWorker(
            client, new TemporalWorkerOptions(queue).AddWorkflow<BlobResultWorkflow>().AddAllActivities(new BlobActivities()));
        await worker.ExecuteAsync(async () =>
        {
            var handle = await client.StartWorkflowAsync(
                (BlobResultWorkflow wf) => wf.RunAsync(2 * SmallBlobLimit), new(Unique.Id("blob-activity-result"), queue));
            var ex = await Assert.ThrowsAsync<WorkflowFailedException>(() => handle.GetResultAsync());
            var activity = Assert.IsType<ActivityFailureException>(ex.InnerException);
            Assert.Equal("Complete result exceeds size limit.", activity.InnerException?.Message);
            Assert.Equal(Temporalio.Api.Enums.V1.RetryState.NonRetryableFailure, activity.RetryState);
        });
    }

    [Fact]
    public async Task HistoryOverCountLimit_WorkflowTerminated()
    {
        await using var server = await StartAsync("limit.historyCount.error=30");
        var client = await TemporalClient.ConnectAsync(new(server.Target));
        var queue = Unique.Queue("history-limit");
        using var worker = new TemporalWorker(
            client, new TemporalWorkerOptions(queue).AddWorkflow<HistoryInfoWorkflow>().AddAllActivities(new BlobActivities()));
        await worker.ExecuteAsync(async () =>
        {
            var handle = await client.StartWorkflowAsync((HistoryInfoWorkflow wf) => wf.RunAsync(40), new(Unique.Id("history-limit"), queue));
            var ex = await Assert.ThrowsAsync<WorkflowFailedException>(() => handle.GetResultAsync());
            var terminated = Assert.IsType<TerminatedFailureException>(ex.InnerException);
            Assert.Equal("Workflow history count exceeds limit.", terminated.Message);
        });
    }

    [Fact]
    public async Task Request_OverFourMiBAfterDecompression_ResourceExhausted()
    {
        await using var server = await StartAsync();
        var client = await TemporalClient.ConnectAsync(new(server.Target));
        // 5 MiB of one letter: the SDK's gzip makes it a few KiB on the wire; the limit counts the inflated size.
        var ex = await Assert.ThrowsAsync<RpcException>(() => client.StartWorkflowAsync(
            "NoWorker", [new string('z', 5 * 1024 * 1024)], new(Unique.Id("grpc-limit"), Unique.Queue("grpc-limit"))));
        Assert.Equal(RpcException.StatusCode.ResourceExhausted, ex.Code);
        Assert.Contains("larger than max", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GzipBomb_OneMegabyteInflatingToOneGibibyte_RefusedWithoutInflating()
    {
        await using var server = await StartAsync();
        var frame = GzipBombFrame(1L << 30);
        Assert.True(frame.Length < 2 * 1024 * 1024, $"bomb frame is {frame.Length} bytes");
        var peakBefore = Process.GetCurrentProcess().PeakWorkingSet64;

        using var http = new HttpClient();
        using var request = new HttpRequestMessage(
            HttpMethod.Post, $"http://{server.Target}/temporal.api.workflowservice.v1.WorkflowService/StartWorkflowExecution")
        {
            Content = new ByteArrayContent(frame),
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        request.Headers.Add("grpc-encoding", "gzip");
        request.Headers.TryAddWithoutValidation("te", "trailers");
        using var response = await http.SendAsync(request);
        await response.Content.ReadAsByteArrayAsync();

        var status = response.TrailingHeaders.TryGetValues("grpc-status", out var trailer) ? trailer.Single()
            : response.Headers.TryGetValues("grpc-status", out var header) ? header.Single()
            : $"none (HTTP {(int)response.StatusCode}, {response.Version})";
        Assert.Equal(((int)RpcException.StatusCode.ResourceExhausted).ToString(System.Globalization.CultureInfo.InvariantCulture), status);
        var grown = Process.GetCurrentProcess().PeakWorkingSet64 - peakBefore;
        Assert.True(grown < 256L * 1024 * 1024, $"peak working set grew by {grown / (1024 * 1024)} MiB");
    }

    /// <summary>A gRPC frame (flag 1 = compressed) whose gzip body inflates to <paramref name="inflated"/> zero bytes.</summary>
    private static byte[] GzipBombFrame(long inflated)
    {
        using var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            var zeros = new byte[1024 * 1024];
            for (long written = 0; written < inflated; written += zeros.Length)
            {
                gzip.Write(zeros);
            }
        }
        var frame = new byte[compressed.Length + 5];
        frame[0] = 1;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1, 4), (uint)compressed.Length);
        compressed.GetBuffer().AsSpan(0, (int)compressed.Length).CopyTo(frame.AsSpan(5));
        return frame;
    }
}
