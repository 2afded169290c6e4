using System.Text.RegularExpressions;
using MaintenanceWorkflows.Starter.Commands;
using MaintenanceWorkflows.Workflows;
using Temporalio.Client;

namespace MaintenanceWorkflows.EndToEnd.Tests.Ui;

/// <summary>`starter demo --ui` through the command line: the printed signal approves the waiting window, which the demo follows to its end; cancelling (Ctrl+C) ends it with exit 0.</summary>
public sealed partial class DemoUiTests : IDisposable
{
    private readonly string output = Directory.CreateTempSubdirectory("demo-ui-").FullName;

    public void Dispose() => Directory.Delete(output, recursive: true);

    [Fact]
    public async Task DemoUi_PrintedSignalApprovesTheWaitingWindow_FollowedToTheEndThenCtrlCStops()
    {
        // The demo writes from its own tasks while the test reads: every write and read takes the writer's lock.
        using var stdout = new LockedWriter();
        using var stderr = new StringWriter();
        using var stop = new CancellationTokenSource();
        var running = StarterCli.RunAsync(["demo", "--ui", "--ui-port", "0", "--examples", Repo.Path("examples"), "--out", output], stdout.Writer, stderr, stop.Token);

        var printed = await WaitForAsync(stdout, running, SignalLine());
        Assert.Matches(@"web UI      http://localhost:\d+/", stdout.ToString());
        var target = DevServerLine().Match(stdout.ToString()).Groups[1].Value;
        var client = await TemporalClient.ConnectAsync(new(target));
        // Exactly what the person is told to send, as the Temporal UI sends it (one JSON payload).
        await client.GetWorkflowHandle(printed.Groups["id"].Value)
            .SignalAsync(WindowHandlers.Approve, [System.Text.Json.JsonDocument.Parse(printed.Groups["json"].Value).RootElement]);

        await WaitForAsync(stdout, running, OutcomeLine());
        Assert.Contains("approved    maint-lambda-v40-promotion-browser", stdout.ToString(), StringComparison.Ordinal);
        // Its after-item is ticked once the work completed (checklist items count only in their phase).
        Assert.Contains("checklist   sre-oncall acknowledges the after-items deployment-log now that the work completed", stdout.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("not acknowledged", OutcomeLine().Match(stdout.ToString()).Value, StringComparison.Ordinal);
        await stop.CancelAsync();
        Assert.Equal(0, await running.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("demo stopped.", stdout.ToString(), StringComparison.Ordinal);
    }

    private static Task<Match> WaitForAsync(LockedWriter stdout, Task<int> running, Regex pattern) =>
        Poll.UntilAsync(
            () =>
            {
                var match = pattern.Match(stdout.ToString());
                Assert.False(!match.Success && running.IsCompleted, stdout.ToString());
                return match;
            },
            match => match.Success,
            TimeSpan.FromMinutes(3),
            _ => $"no line matching {pattern} within 3 minutes:\n{stdout}");

    /// <summary>A StringWriter behind <see cref="TextWriter.Synchronized"/>, read under the same lock.</summary>
    private sealed class LockedWriter : IDisposable
    {
        private readonly StringWriter text = new();

        public LockedWriter() => Writer = TextWriter.Synchronized(text);

        public TextWriter Writer { get; }

        public override string ToString()
        {
            // TextWriter.Synchronized locks the wrapper itself around each write.
            lock (Writer)
            {
                return text.ToString();
            }
        }

        public void Dispose() => Writer.Dispose();
    }

    [GeneratedRegex(@"1\. open http://localhost:\d+/namespaces/default/workflows/(?<id>\S+)\n[\s\S]*?4\. input \(JSON\): (?<json>\{.*\})")]
    private static partial Regex SignalLine();

    [GeneratedRegex(@"outcome     lambda-v40-promotion-browser: Completed.*")]
    private static partial Regex OutcomeLine();

    [GeneratedRegex(@"devserver   (127\.0\.0\.1:\d+)")]
    private static partial Regex DevServerLine();
}
