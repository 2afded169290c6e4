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
    /// Loads a history exported as JSON (<c>temporal workflow show --output json</c>, the Temporal UI's
    /// download, or <see cref="WorkflowHistory.ToJson()"/>).
    /// </summary>
    public static WorkflowHistory Load(string path, string windowId)
    {
        string json;
        try
        {
            json = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new HistoryFormatException($"cannot read the history file {path}: {e.Message}", e);
        }
        try
        {
            return WorkflowHistory.FromJson(windowId, json);
        }
        catch (Exception e) when (e is Google.Protobuf.InvalidProtocolBufferException or System.Text.Json.JsonException or InvalidOperationException or FormatException)
        {
            throw new HistoryFormatException(
                $"{path} is not a workflow history in JSON ({e.Message}); export one with `temporal workflow show --workflow-id {windowId} --output json > {Path.GetFileName(path)}`.", e);
        }
    }

    /// <summary>Writes the postmortem into <paramref name="directory"/>; with <paramref name="saveHistory"/> the history goes beside it for later re-rendering.</summary>
    public static PostmortemFiles Write(WorkflowHistory history, string directory, DateTimeOffset generatedAt, bool saveHistory)
    {
        ArgumentNullException.ThrowIfNull(history);
        var analysis = PostmortemAnalysis.Analyze(HistoryParser.Parse(history.Id, history));
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
