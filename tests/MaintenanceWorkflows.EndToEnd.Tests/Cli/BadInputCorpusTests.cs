using System.Collections.Concurrent;
using MaintenanceWorkflows.Sandbox.BadInput;
using MaintenanceWorkflows.Starter.Commands;
using Xunit.Abstractions;

namespace MaintenanceWorkflows.EndToEnd.Tests.Cli;

/// <summary>
/// Issue 13 item 6: every generated mutation of the examples gets exit 1 or 2 naming the field (or exit 0 where
/// the change leaves a valid file), never a crash, exit 70 or a stack trace. Time and memory per case are
/// measured by `bench badinput`, not asserted here.
/// </summary>
public sealed partial class BadInputCorpusTests(ITestOutputHelper log) : IDisposable
{
    private const string Now = "2027-02-01T12:00:00Z";

    private readonly string temp = Directory.CreateTempSubdirectory("bad-input-").FullName;

    public void Dispose() => Directory.Delete(temp, recursive: true);

    [Fact]
    public async Task Validate_EveryGeneratedBadInput_ExitsOneOrTwoNamingTheField()
    {
        var cases = BadInputCorpus.Generate(Path.Combine(Repo.Root, "examples"));
        var failures = new ConcurrentQueue<string>();
        var refused = 0;
        var index = 0;
        await Parallel.ForEachAsync(cases, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(2, Environment.ProcessorCount) }, async (item, _) =>
        {
            var n = Interlocked.Increment(ref index);
            var file = Path.Combine(temp, $"case-{n}.yaml");
            await File.WriteAllBytesAsync(file, item.Bytes, CancellationToken.None);
            var plan = item.IsPolicy ? Path.Combine(Repo.Root, "examples", "lambda-v40-promotion.yaml") : file;
            var policy = item.IsPolicy ? file : Path.Combine(Repo.Root, "examples", "policy.yaml");
            var (exit, output, error) = await RunAsync("validate", plan, "--policy", policy, "--now", Now);
            File.Delete(file);
            if (Judge(item, exit, output + error) is { } problem)
            {
                failures.Enqueue($"{item.Name}: {problem}; exit {exit}: {Clip(error + output)}");
            }
            else if (exit != 0)
            {
                Interlocked.Increment(ref refused);
            }
        });

        var passed = cases.Count - failures.Count;
        log.WriteLine($"bad-input corpus: {cases.Count} cases, {passed} passed ({100.0 * passed / cases.Count:0.0}%), {refused} refused with the field named, {cases.Count - refused - failures.Count} valid after the change");
        Assert.True(cases.Count > 1500, $"the corpus shrank to {cases.Count} cases");
        Assert.True(failures.IsEmpty, $"{failures.Count} of {cases.Count} cases broke the contract:\n" + string.Join("\n", failures.Take(60)));
    }

    [Fact]
    public async Task Validate_DevZero_ExitsTwoSayingTheFileIsTooLarge()
    {
        var (exit, _, error) = await RunAsync("validate", "/dev/zero", "--policy", Path.Combine(Repo.Root, "examples", "policy.yaml"));

        Assert.Equal(2, exit);
        Assert.Contains("/dev/zero:0:0: the file is larger than 1024 KiB", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Postmortem_HistoryFromDevZero_ExitsOneWithoutReadingItAll()
    {
        var (exit, _, error) = await RunAsync("postmortem", "maint-x", "--history", "/dev/zero", "--out", temp);

        Assert.Equal(1, exit);
        Assert.Contains("is larger than 64 MiB", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("{\"Plan\":{}}")]
    [InlineData("{\"Plan\":null,\"Policy\":null}")]
    [InlineData("[]")]
    [InlineData("\"text\"")]
    public async Task Postmortem_HistoryWhoseStartInputIsNotAWindow_ExitsOneWithAClearMessage(string input)
    {
        var data = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(input));
        var history = Path.Combine(temp, "history.json");
        const string Template = """
            {"events":[{"eventId":"1","eventTime":"2027-02-01T12:00:00Z","eventType":"EVENT_TYPE_WORKFLOW_EXECUTION_STARTED",
              "workflowExecutionStartedEventAttributes":{"workflowType":{"name":"MaintenanceWindowWorkflow"},"taskQueue":{"name":"q"},
              "input":{"payloads":[{"metadata":{"encoding":"anNvbi9wbGFpbg=="},"data":"DATA"}]}}}]}
            """;
        await File.WriteAllTextAsync(history, Template.Replace("DATA", data, StringComparison.Ordinal));

        var (exit, _, error) = await RunAsync("postmortem", "maint-x", "--history", history, "--out", Path.Combine(temp, "out"));

        Assert.Equal(1, exit);
        Assert.StartsWith("error: ", error, StringComparison.Ordinal);
        Assert.DoesNotMatch(StackFrame(), error);
        Assert.DoesNotMatch(ExceptionName(), error.Replace("HistoryFormat", string.Empty, StringComparison.Ordinal));
    }

    /// <summary>Null when the outcome keeps the contract, else what is wrong.</summary>
    private static string? Judge(BadInputCase item, int exit, string text)
    {
        if (exit is not (0 or 1 or 2))
        {
            return "exit code outside 0-2";
        }

        if (StackFrame().IsMatch(text) || ExceptionName().IsMatch(text))
        {
            return "a stack trace or exception name";
        }

        if (exit == 0)
        {
            return item.MustRefuse ? "accepted" : null;
        }

        if (item.Field is null || item.Kind == "deep-nesting")
        {
            return text.Contains(": ", StringComparison.Ordinal) ? null : "no message";
        }

        // The field itself, or for a removed optional field the mapping or a field that now fails because of it.
        var named = text.Contains(item.Field, StringComparison.Ordinal)
            || (!item.MustRefuse && (item.Field.LastIndexOf('.') is var dot && dot > 0 ? text.Contains(item.Field[..dot], StringComparison.Ordinal) : text.Contains(": ", StringComparison.Ordinal)));
        return named ? null : $"does not name {item.Field}";
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^\s+at [\w.`<>\[\],]+\(", System.Text.RegularExpressions.RegexOptions.Multiline)]
    private static partial System.Text.RegularExpressions.Regex StackFrame();

    [System.Text.RegularExpressions.GeneratedRegex(@"\b[A-Z]\w*Exception\b")]
    private static partial System.Text.RegularExpressions.Regex ExceptionName();

    private static string Clip(string text) => text.Length <= 400 ? text.ReplaceLineEndings(" | ") : text[..400].ReplaceLineEndings(" | ") + "…";

    private static async Task<(int Exit, string Output, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await StarterCli.RunAsync(args, output, error);
        return (exit, output.ToString(), error.ToString());
    }
}
