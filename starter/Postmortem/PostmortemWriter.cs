using MaintenanceWorkflows.Workflows;
using Temporalio.Client;
using Temporalio.Common;

namespace MaintenanceWorkflows.Starter.Postmortem;

/// <summary>What <see cref="PostmortemWriter.Write"/> produced.</summary>
public sealed record PostmortemFiles(string MarkdownPath, string ChartPath, string? HistoryPath, PostmortemAnalysis Analysis);

/// <summary>Reads a window's history (from Temporal or a JSON export) and writes postmortem.md and timeline.png.</summary>
public static class PostmortemWriter
{
    public const string MarkdownFile = "postmortem.md";
    public const string ChartFile = "timeline.png";
    public const string HistoryFile = "history.json";

    /// <summary>Fetches every event of the window's latest run; works for running and closed windows alike.</summary>
    public static Task<WorkflowHistory> FetchAsync(ITemporalClient client, string windowId)
    {
        ArgumentNullException.ThrowIfNull(client);
        return client.GetWorkflowHandle(windowId).FetchHistoryAsync();
    }

    /// <summary>
    /// What a running window has refused, from its Status (a closed window's report says it instead); null when
    /// the window has closed or no worker answers, and the postmortem then shows its votes as not yet settled.
    /// </summary>
    public static async Task<RecordedRefusals?> RunningRefusalsAsync(ITemporalClient client, WorkflowHistory history, CancellationToken answerBy)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(history);
        if (history.Events.Count == 0 || HistoryReader.Closure(history.Events.Last()) is not null)
        {
            return null;
        }
        try
        {
            var status = await client.GetWorkflowHandle<MaintenanceWindowWorkflow>(history.Id)
                .QueryAsync(wf => wf.Status, new WorkflowQueryOptions { Rpc = new RpcOptions { CancellationToken = answerBy } });
            return new RecordedRefusals(status.Refusals, Complete: status.RefusalCount <= status.Refusals.Count);
        }
        catch (Exception e) when (e is OperationCanceledException or Temporalio.Exceptions.RpcException or Temporalio.Exceptions.WorkflowQueryFailedException)
        {
            return null;
        }
    }

    /// <summary>
    /// Loads a history exported as JSON (<c>temporal workflow show --output json</c>, the Temporal UI's
    /// download, or <see cref="WorkflowHistory.ToJson()"/>).
    /// </summary>
    public static WorkflowHistory Load(string path, string windowId)
    {
        string json;
        try
        {
            json = ReadBounded(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            throw new HistoryFormatException($"cannot read the history file {path}: {e.Message}", e);
        }
        try
        {
            return WorkflowHistory.FromJson(windowId, json);
        }
        catch (Exception e) when (e is Google.Protobuf.InvalidProtocolBufferException or System.Text.Json.JsonException or InvalidOperationException or FormatException or ArgumentException or OverflowException)
        {
            throw new HistoryFormatException(
                $"{path} is not a workflow history in JSON ({e.Message}); export one with `temporal workflow show --workflow-id {windowId} --output json > {Path.GetFileName(path)}`.", e);
        }
    }

    /// <summary>Temporal itself refuses histories past 50 MB; a file larger than this is not one (or is /dev/zero).</summary>
    public const long MaxHistoryBytes = 64L * 1024 * 1024;

    private static string ReadBounded(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.SequentialScan);
        using var buffer = new MemoryStream();
        var chunk = new byte[64 * 1024];
        int read;
        while ((read = stream.Read(chunk, 0, chunk.Length)) > 0)
        {
            if (buffer.Length + read > MaxHistoryBytes)
            {
                throw new HistoryFormatException($"{path} is larger than {MaxHistoryBytes / (1024 * 1024)} MiB, more than any Temporal history can be; is it the right file?");
            }

            buffer.Write(chunk, 0, read);
        }

        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>Writes the postmortem into <paramref name="directory"/>; with <paramref name="saveHistory"/> the history goes beside it for later re-rendering.</summary>
    public static PostmortemFiles Write(WorkflowHistory history, string directory, DateTimeOffset generatedAt, bool saveHistory, RecordedRefusals? running = null)
    {
        ArgumentNullException.ThrowIfNull(history);
        PostmortemAnalysis analysis;
        try
        {
            analysis = PostmortemAnalysis.Analyze(HistoryParser.Parse(history.Id, history, running));
        }
        catch (Exception e) when (e is NullReferenceException or InvalidOperationException or ArgumentException or KeyNotFoundException or IndexOutOfRangeException or FormatException or OverflowException or InvalidCastException)
        {
            // A hand-edited or foreign export can satisfy the JSON schema and still lack what a window's history always has.
            throw new HistoryFormatException($"the history of '{history.Id}' is not a complete maintenance-window history: a start event without a plan, or events it cannot belong to. Export it again from Temporal.", e);
        }

        Directory.CreateDirectory(directory);
        var markdown = Path.Combine(directory, MarkdownFile);
        File.WriteAllText(markdown, PostmortemRenderer.Render(analysis, generatedAt));
        var chart = Path.Combine(directory, ChartFile);
        TimelineChart.Save(analysis, chart);
        string? historyPath = null;
        if (saveHistory)
        {
            historyPath = Path.Combine(directory, HistoryFile);
            File.WriteAllText(historyPath, history.ToJson());
        }
        return new PostmortemFiles(markdown, chart, historyPath, analysis);
    }
}
