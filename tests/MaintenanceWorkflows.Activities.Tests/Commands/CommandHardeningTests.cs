using System.Diagnostics;
using System.Globalization;
using System.Runtime.Versioning;
using MaintenanceWorkflows.Activities.Commands;
using MaintenanceWorkflows.Activities.Tests.Support;
using MaintenanceWorkflows.Workflows.Contracts;
using Temporalio.Converters;
using Temporalio.Exceptions;
using Temporalio.Testing;

namespace MaintenanceWorkflows.Activities.Tests.Commands;

/// <summary>Issue 13 rows for runbook commands: environment, placeholders, process groups, output caps, no blind re-run.</summary>
[UnsupportedOSPlatform("windows")]
public sealed class CommandHardeningTests : IAsyncLifetime
{
    private const string WorkerSecretName = "MW_TEST_WORKER_SECRET";
    private const string WorkerSecret = "worker-only-secret-4c1d8e";
    private readonly string dir = Directory.CreateTempSubdirectory("mw-hardening-").FullName;
    private readonly List<int> leftovers = [];
    private ActivityHost host = null!;

    public Task InitializeAsync()
    {
        Environment.SetEnvironmentVariable(WorkerSecretName, WorkerSecret);
        Environment.SetEnvironmentVariable("MW_TEST_PASSED", "passed-through");
        host = new ActivityHost(new Dictionary<string, string?>
        {
            ["Commands:env:Executable"] = "/usr/bin/env",
            ["Commands:env:PassEnvironment:0"] = "MW_TEST_PASSED",
            ["Commands:env:Environment:TOOL_TOKEN"] = "tool-token-a81f2b",
            ["Commands:detach:Executable"] = "/bin/sh",
            ["Commands:detach:Arguments:0"] = "-c",
            ["Commands:detach:Arguments:1"] = "echo started; (sleep 21 & echo $! > {dir}/detached.pid); sleep 60",
            ["Commands:detach:Placeholders:dir"] = "/[A-Za-z0-9/._-]+",
            ["Commands:detach:Timeout"] = "00:00:02",
            ["Commands:linger:Executable"] = "/bin/sh",
            ["Commands:linger:Arguments:0"] = "-c",
            ["Commands:linger:Arguments:1"] = "echo done; (sleep 30 & echo $! > {dir}/linger.pid); exit 0",
            ["Commands:linger:Placeholders:dir"] = "/[A-Za-z0-9/._-]+",
            ["Commands:longline:Executable"] = "/bin/sh",
            ["Commands:longline:Arguments:0"] = "-c",
            ["Commands:longline:Arguments:1"] = "head -c 5000000 /dev/zero | tr '\\000' a; echo; echo after",
            ["Commands:once:Executable"] = "/bin/sh",
            ["Commands:once:Arguments:0"] = "-c",
            ["Commands:once:Arguments:1"] = "echo ran >> {dir}/once.log",
            ["Commands:once:Placeholders:dir"] = "/[A-Za-z0-9/._-]+",
            ["Commands:once:Idempotent"] = "false",
            ["Commands:host:Executable"] = "/bin/echo",
            ["Commands:host:Arguments:0"] = "{host}",
            ["Commands:host:Arguments:1"] = "{offset}",
            ["Commands:host:Placeholders:offset"] = "-?[0-9]{1,3}",
            ["Commands:host:Defaults:offset"] = "0",
        });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        foreach (var pid in leftovers)
        {
            try
            {
                using var process = Process.GetProcessById(pid);
                process.Kill();
            }
            catch (ArgumentException)
            {
                // Gone already.
            }
        }

        await host.DisposeAsync();
        Environment.SetEnvironmentVariable(WorkerSecretName, null);
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public async Task RunCommand_UsrBinEnv_SeesOnlyBasicsAllowListAndItsOwnVariables()
    {
        var result = await Run(new("inspect", "env", null));

        Assert.Equal(0, result.ExitCode);
        Assert.Contains(result.OutputTail, l => l.StartsWith("PATH=", StringComparison.Ordinal));
        Assert.Contains("MW_TEST_PASSED=passed-through", result.OutputTail);
        Assert.DoesNotContain(result.OutputTail, l => l.Contains(WorkerSecret, StringComparison.Ordinal) || l.StartsWith(WorkerSecretName, StringComparison.Ordinal));

        // The command's own secret reaches the child but not the result: the redaction step removed its value.
        Assert.Contains("TOOL_TOKEN=[redacted]", result.OutputTail);
        Assert.DoesNotContain(result.OutputTail, l => l.Contains("tool-token-a81f2b", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("web-1\n", "newline")]
    [InlineData("-oProxyCommand=/tmp/x", "starts with '-'")]
    [InlineData("--output=/etc/cron.d/x", "starts with '-'")]
    [InlineData("../../../etc/shadow", "'..' path segment")]
    [InlineData("web-1\u0000", "control character")]
    public async Task RunCommand_HostilePlaceholderValue_RefusedBeforeRunning(string value, string expected)
    {
        var error = await Assert.ThrowsAsync<ApplicationFailureException>(() => Run(new("patch", "host", new Dictionary<string, string> { ["host"] = value })));

        Assert.True(error.NonRetryable);
        Assert.Equal(ActivityErrorTypes.InvalidInput, error.ErrorType);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunCommand_PatternStartingWithDash_AllowsALeadingDash()
    {
        var result = await Run(new("patch", "host", new Dictionary<string, string> { ["host"] = "web-1", ["offset"] = "-5" }));

        Assert.Equal(["web-1 -5"], result.OutputTail);
    }

    [Theory]
    [InlineData("web-1\n", "[a-z0-9-]+")]
    [InlineData("web-1", "[a-z]+|[0-9-]+")]
    public void PlaceholderProblem_PatternIsAnchoredAtBothEnds(string value, string pattern) =>
        Assert.NotNull(CommandActivities.PlaceholderProblem(value, pattern));

    [Fact]
    public async Task RunCommand_DetachedChildPastTimeout_KillsTheWholeGroupAndReturnsAtTheTimeout()
    {
        var stopwatch = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<ApplicationFailureException>(() => Run(new("patch", "detach", new Dictionary<string, string> { ["dir"] = dir })));
        stopwatch.Stop();

        Assert.Equal(ActivityErrorTypes.CommandTimedOut, error.ErrorType);

        // Returning before the detached sleep would have ended proves the output was not waited for; the pid proves it died.
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(20), $"returned after {stopwatch.Elapsed}");
        var pid = ReadPid("detached.pid");
        leftovers.Add(pid);
        Assert.False(IsAlive(pid), "the detached child survived the timeout");
    }

    [Fact]
    public async Task RunCommand_ExitZeroWithLingeringChild_SucceedsByItsExitCode()
    {
        var stopwatch = Stopwatch.StartNew();
        var result = await Run(new("patch", "linger", new Dictionary<string, string> { ["dir"] = dir }));

        leftovers.Add(ReadPid("linger.pid"));
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(["done"], result.OutputTail);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(25), $"waited {stopwatch.Elapsed} for the lingering child");
    }

    [Fact]
    public async Task RunCommand_FiveMegabyteLine_IsCutToTheLineCap()
    {
        var result = await Run(new("patch", "longline", null));

        Assert.Equal(0, result.ExitCode);
        var longLine = result.OutputTail[0];
        Assert.StartsWith(new string('a', 2000), longLine, StringComparison.Ordinal);
        Assert.Contains("4,998,000 more characters cut", longLine, StringComparison.Ordinal);
        Assert.True(longLine.Length < 2100);
        Assert.Equal("after", result.OutputTail[1]);
    }

    [Fact]
    public async Task RunCommand_NotIdempotentOnALaterAttempt_EscalatesWithoutRunningAgain()
    {
        var progress = DataConverter.Default.PayloadConverter.ToPayload(new CommandProgress("once", TimeSpan.FromSeconds(12), 3));
        foreach (var details in new[] { Array.Empty<Temporalio.Api.Common.V1.Payload>(), [progress] })
        {
            host.Environment = new ActivityEnvironment { Info = ActivityEnvironment.DefaultInfo with { Attempt = 2, HeartbeatDetails = details } };

            var error = await Assert.ThrowsAsync<ApplicationFailureException>(() => Run(new("patch", "once", new Dictionary<string, string> { ["dir"] = dir })));

            Assert.True(error.NonRetryable);
            Assert.Equal(ActivityErrorTypes.CommandNotRerun, error.ErrorType);
            Assert.Contains("was NOT run again", error.Message, StringComparison.Ordinal);
        }

        Assert.False(File.Exists(Path.Combine(dir, "once.log")));
        Assert.Contains("last heard from 12 s in, after 3 output lines", (await Assert.ThrowsAsync<ApplicationFailureException>(() => Run(new("patch", "once", new Dictionary<string, string> { ["dir"] = dir })))).Message, StringComparison.Ordinal);

        host.Environment = new ActivityEnvironment();
        var first = await Run(new("patch", "once", new Dictionary<string, string> { ["dir"] = dir }));
        Assert.Equal(0, first.ExitCode);
        Assert.Equal(["ran"], File.ReadAllLines(Path.Combine(dir, "once.log")));
    }

    private Task<RunCommandResult> Run(RunCommandInput input) => host.RunAsync<CommandActivities, RunCommandResult>(a => a.RunCommandAsync(input));

    private int ReadPid(string file) => int.Parse(File.ReadAllText(Path.Combine(dir, file)).Trim(), CultureInfo.InvariantCulture);

    private static bool IsAlive(int pid)
    {
        var stat = $"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat";
        try
        {
            var text = File.ReadAllText(stat);
            var state = text[(text.LastIndexOf(')') + 2)..].Split(' ')[0];
            return state is not ("Z" or "X");
        }
        catch (IOException)
        {
            return false;
        }
    }
}
