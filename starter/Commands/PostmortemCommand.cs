using System.CommandLine;
using MaintenanceWorkflows.Starter.Postmortem;
using Temporalio.Common;

namespace MaintenanceWorkflows.Starter.Commands;

/// <summary>`starter postmortem WINDOW [--out DIR] [--history FILE]`: postmortem.md and timeline.png from the window's execution history.</summary>
public static class PostmortemCommand
{
    public const int ExitBadHistory = 1;
    public const int ExitCannotWrite = 2;

    public static Command Create(TextWriter output, TextWriter error)
    {
        var window = WindowArguments.Window();
        var outDir = new Option<string?>("--out") { Description = "Directory for postmortem.md and timeline.png (default: postmortems/<window id>)." };
        var historyFile = new Option<string?>("--history")
        {
            Description = "Read the history from this JSON file (temporal workflow show --output json) instead of from Temporal.",
        };
        var command = new Command("postmortem", "Write a postmortem (Markdown and a timeline chart) from a window's execution history.") { window, outDir, historyFile };
        command.SetAction((parse, _) => RunAsync(parse, parse.GetValue(window)!, parse.GetValue(outDir), parse.GetValue(historyFile), output, error));
        return command;
    }

    public static async Task<int> RunAsync(ParseResult parse, string window, string? outDir, string? historyFile, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        var windowId = Connection.WindowId(window);
        var directory = outDir ?? Path.Combine("postmortems", windowId);
        WorkflowHistory history;
        RecordedRefusals? running = null;
        try
        {
            if (historyFile is not null)
            {
                history = PostmortemWriter.Load(historyFile, windowId);
            }
            else
            {
                var client = await Connection.ConnectAsync(parse, error);
                if (client is null)
                {
                    return Connection.ExitUnavailable;
                }
                history = await PostmortemWriter.FetchAsync(client, windowId);
                using var answer = WindowArguments.AnswerDeadline(parse);
                running = await PostmortemWriter.RunningRefusalsAsync(client, history, answer.Token);
            }
        }
        catch (HistoryFormatException e)
        {
            error.WriteLine($"error: {e.Message}");
            return ExitBadHistory;
        }
        catch (Exception e) when (Connection.TryExplain(e, windowId, error, out var exit))
        {
            return exit;
        }

        try
        {
            var files = PostmortemWriter.Write(history, directory, DateTimeOffset.UtcNow, saveHistory: historyFile is null, running);
            var a = files.Analysis;
            output.WriteLine($"{windowId}: {a.Outcome}{(a.History.IsRunning ? " (still running)" : string.Empty)}, severity {a.Severity ?? "none"}");
            output.WriteLine($"  wrote {files.MarkdownPath}");
            output.WriteLine($"  wrote {files.ChartPath}");
            if (files.HistoryPath is not null)
            {
                output.WriteLine($"  wrote {files.HistoryPath} (re-render later with --history)");
            }
            return 0;
        }
        catch (HistoryFormatException e)
        {
            error.WriteLine($"error: {e.Message}");
            return ExitBadHistory;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"error: cannot write the postmortem to {Path.GetFullPath(directory)}: {e.Message}");
            return ExitCannotWrite;
        }
    }
}
