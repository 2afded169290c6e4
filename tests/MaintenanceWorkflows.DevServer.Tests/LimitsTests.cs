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
