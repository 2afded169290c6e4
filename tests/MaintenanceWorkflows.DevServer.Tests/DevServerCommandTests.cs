using System.Text.RegularExpressions;
using Temporalio.Client;

namespace MaintenanceWorkflows.DevServer.Tests;

public sealed partial class DevServerCommandTests
{
    [Fact]
    public void Parse_AllOptions_MapToServerOptions()
    {
        var (options, _) = DevServerCommand.Parse(["--port", "7300", "--namespace", "ops", "-n", "qa", "--time-skipping", "--host", "0.0.0.0"]);
        Assert.Equal(7300, options.Port);
        Assert.Equal(["ops", "qa"], options.Namespaces);
        Assert.True(options.TimeSkipping);
        Assert.Equal("0.0.0.0", options.Host);
    }

    [Fact]
    public void Parse_Db_SetsDatabasePathAndDefaultStaysInMemory()
    {
        Assert.Equal("state.db", DevServerCommand.Parse(["--db", "state.db"]).Options.DatabasePath);
        Assert.Null(DevServerCommand.Parse([]).Options.DatabasePath);
    }

    [Fact]
    public async Task StartAsync_DatabaseInMissingDirectory_ArgumentExceptionNamingIt()
    {
        var path = Path.Combine(Path.GetTempPath(), $"no-such-dir-{Guid.NewGuid():N}", "state.db");
        var ex = await Assert.ThrowsAsync<ArgumentException>(() => TemporalDevServer.StartAsync(new DevServerOptions { DatabasePath = path }));
        Assert.Contains("does not exist", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_BarePortFirst_TestServerConventionEnablesTimeSkipping()
    {
        var (options, _) = DevServerCommand.Parse(["7301"]);
        Assert.Equal(7301, options.Port);
        Assert.True(options.TimeSkipping);
    }

    [Theory]
    [InlineData("--port", "seventy")]
    [InlineData("--port", "70000")]
    [InlineData("--bogus")]
    [InlineData("--namespace")]
    public void Parse_BadArguments_ErrorNamesTheArgument(params string[] args)
    {
        var ex = Assert.Throws<ArgumentException>(() => DevServerCommand.Parse(args));
        Assert.Contains(args[^1] == "--namespace" ? "--namespace" : args[^1], ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_FreePort_PrintsAddressServesAndStopsOnCancel()
    {
        using var output = new StringWriter();
        using var stop = new CancellationTokenSource();
        var running = DevServerCommand.RunAsync(["--port", "0", "--namespace", "ops", "--headless"], output, stop.Token);
        using (var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20)))
        {
            while (!Address().IsMatch(output.ToString()))
            {
                deadline.Token.ThrowIfCancellationRequested();
                Assert.False(running.IsCompleted, output.ToString());
                await Task.Yield();
            }
        }
        var target = Address().Match(output.ToString()).Groups[1].Value;
        var client = await TemporalClient.ConnectAsync(new(target) { Namespace = "ops" });
        var ns = await client.WorkflowService.DescribeNamespaceAsync(new() { Namespace = "ops" });
        Assert.Equal("ops", ns.NamespaceInfo.Name);
        await stop.CancelAsync();
        Assert.Equal(0, await running.WaitAsync(TimeSpan.FromSeconds(20)));
    }

    [GeneratedRegex(@"listening on (127\.0\.0\.1:\d+)")]
    private static partial Regex Address();
}
