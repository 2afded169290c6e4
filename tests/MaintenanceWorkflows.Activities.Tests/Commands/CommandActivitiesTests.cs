using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.Versioning;
using MaintenanceWorkflows.Activities.Commands;
using MaintenanceWorkflows.Activities.Tests.Support;
using MaintenanceWorkflows.Workflows.Contracts;
using Microsoft.Extensions.Options;
using Temporalio.Exceptions;
using Temporalio.Testing;

namespace MaintenanceWorkflows.Activities.Tests.Commands;

/// <summary>Runbook commands are POSIX scripts started without a shell; these tests run real processes.</summary>
[UnsupportedOSPlatform("windows")]
public sealed class CommandActivitiesTests : IAsyncLifetime
{
    private readonly string dir = Directory.CreateTempSubdirectory("mw-commands-").FullName;
    private ActivityHost host = null!;

    public Task InitializeAsync()
    {
        Script("report.sh", """
            echo "cwd=$(pwd)"
            echo "host=$1"
            echo "mode=$2"
            echo "token=${PATCH_TOKEN:+set}"
            echo "to stderr" >&2
            exit 3
            """);
        Script("slow.sh", "sleep 30\n");
        Script("tree.sh", """
            sleep 300 &
            echo $! > "$1/child.pid"
            echo started
            wait
            """);
        Script("beat.sh", "echo one\nsleep 1\necho two\n");
        host = new ActivityHost(new Dictionary<string, string?>
        {
            ["Commands:report:Executable"] = Path.Combine(dir, "report.sh"),
            ["Commands:report:Arguments:0"] = "{host}",
            ["Commands:report:Arguments:1"] = "--mode={mode}",
            ["Commands:report:WorkingDirectory"] = dir,
            ["Commands:report:Environment:PATCH_TOKEN"] = "s3cret",
            ["Commands:report:Placeholders:mode"] = "live|restart|shutdown",
            ["Commands:report:Defaults:mode"] = "live",
            ["Commands:slow:Executable"] = Path.Combine(dir, "slow.sh"),
            ["Commands:slow:Timeout"] = "00:00:00.500",
            ["Commands:tree:Executable"] = Path.Combine(dir, "tree.sh"),
            ["Commands:tree:Arguments:0"] = "{dir}",
            ["Commands:tree:Placeholders:dir"] = ".+",
            ["Commands:beat:Executable"] = Path.Combine(dir, "beat.sh"),
            ["Commands:beat:HeartbeatInterval"] = "00:00:00.050",
        });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await host.DisposeAsync();
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public async Task RunCommand_ScriptWithPlaceholders_ReturnsExitCodeAndOutputTail()
    {
        var result = await Run(new("patch", "report", new Dictionary<string, string> { ["host"] = "pve-01.example.com", ["mode"] = "restart" }));

        Assert.Equal(3, result.ExitCode);
        Assert.False(result.Succeeded);
        Assert.Contains($"cwd={dir}", result.OutputTail);
        Assert.Contains("host=pve-01.example.com", result.OutputTail);
        Assert.Contains("mode=--mode=restart", result.OutputTail);
        Assert.Contains("token=set", result.OutputTail);
        Assert.Contains("to stderr", result.OutputTail);
        Assert.DoesNotContain(result.OutputTail, l => l.Contains("s3cret", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunCommand_PlaceholderOmitted_UsesConfiguredDefault()
    {
        var result = await Run(new("patch", "report", new Dictionary<string, string> { ["host"] = "pve-02" }));

        Assert.Contains("mode=--mode=live", result.OutputTail);
    }

    [Fact]
    public async Task RunCommand_UnknownName_FailsNonRetryableListingAllowedCommands()
    {
        var error = await Assert.ThrowsAsync<ApplicationFailureException>(() => Run(new("patch", "rm-rf", null)));

        Assert.True(error.NonRetryable);
        Assert.Equal(ActivityErrorTypes.UnknownName, error.ErrorType);
        Assert.Contains("allowed: beat, report, slow, tree", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("host", "pve-01; rm -rf /", "does not match")]
    [InlineData("host", "$(reboot)", "does not match")]
    [InlineData("shell", "bash", "has no placeholder shell")]
    public async Task RunCommand_BadArgument_FailsNonRetryableBeforeRunning(string name, string value, string expected)
    {
        var args = new Dictionary<string, string> { ["host"] = "pve-01", [name] = value };

        var error = await Assert.ThrowsAsync<ApplicationFailureException>(() => Run(new("patch", "report", args)));

        Assert.True(error.NonRetryable);
        Assert.Equal(ActivityErrorTypes.InvalidInput, error.ErrorType);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunCommand_MissingPlaceholderValue_FailsNonRetryableNamingIt()
    {
        var error = await Assert.ThrowsAsync<ApplicationFailureException>(() => Run(new("patch", "report", null)));

        Assert.Contains("placeholder 'host'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunCommand_RunsPastTimeout_IsKilledAndFailsNonRetryable()
    {
        var error = await Assert.ThrowsAsync<ApplicationFailureException>(() => Run(new("patch", "slow", null)));

        Assert.True(error.NonRetryable);
        Assert.Equal(ActivityErrorTypes.CommandTimedOut, error.ErrorType);
    }

    [Fact]
    public async Task RunCommand_Cancelled_KillsTheWholeProcessTree()
    {
        var pidFile = Path.Combine(dir, "child.pid");
        var running = Run(new("patch", "tree", new Dictionary<string, string> { ["dir"] = dir }));
        var childPid = await Poll.ForValueAsync(() => File.Exists(pidFile) && int.TryParse(File.ReadAllText(pidFile).Trim(), out var pid) ? pid : (int?)null, TimeSpan.FromSeconds(15), "the script wrote no child pid within 15 s");
        Assert.True(IsAlive(childPid));

        host.Environment.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
        await Poll.UntilAsync(() => IsAlive(childPid), alive => !alive, TimeSpan.FromSeconds(15), _ => $"child {childPid} still alive after 15 s");
    }

    [Fact]
    public async Task RunCommand_LongRunning_HeartbeatsWithProgress()
    {
        var beats = new ConcurrentQueue<object?>();
        host.Environment = new ActivityEnvironment { Heartbeater = details => beats.Enqueue(details.FirstOrDefault()) };

        var result = await Run(new("patch", "beat", null));

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(["one", "two"], result.OutputTail);
        Assert.NotEmpty(beats);
        Assert.All(beats, b => Assert.Equal("beat", Assert.IsType<CommandProgress>(b).Command));
    }

    [Fact]
    public void Validate_RelativeExecutableAndBadPattern_ListsEveryProblem()
    {
        var options = new CommandsOptions
        {
            ["patch"] = new CommandOptions { Executable = "patch.sh", Placeholders = { ["host"] = "([" } },
        };

        var result = new CommandsOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains("Commands:patch:Executable must be an absolute path", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("Commands:patch:Placeholders:host", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Host_InvalidCommandConfiguration_FailsValidationAtStart()
    {
        await using var bad = new ActivityHost(new Dictionary<string, string?> { ["Commands:x:Executable"] = "relative.sh" });

        var error = Assert.Throws<OptionsValidationException>(() => bad.Get<IOptions<CommandsOptions>>().Value);

        Assert.Contains("Commands:x:Executable", error.Message, StringComparison.Ordinal);
    }

    private static bool IsAlive(int pid)
    {
        var stat = $"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat";
        if (!File.Exists(stat))
        {
            return false;
        }

        try
        {
            var text = File.ReadAllText(stat);
            var state = text[(text.LastIndexOf(')') + 2)..].Split(' ')[0];
            return state != "Z" && state != "X";
        }
        catch (IOException)
        {
            return false;
        }
    }

    private void Script(string name, string body)
    {
        var path = Path.Combine(dir, name);
        File.WriteAllText(path, "#!/bin/sh\n" + body.Replace("\r\n", "\n", StringComparison.Ordinal) + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    private Task<RunCommandResult> Run(RunCommandInput input) =>
        host.RunAsync<CommandActivities, RunCommandResult>(a => a.RunCommandAsync(input));
}
