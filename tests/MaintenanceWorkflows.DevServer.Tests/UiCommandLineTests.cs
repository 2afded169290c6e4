using System.Net;
using System.Net.Sockets;

namespace MaintenanceWorkflows.DevServer.Tests;

/// <summary>`--ui-port` / `--headless`: on at 8233 standalone, off for test harnesses and embedded use unless asked.</summary>
public sealed class UiCommandLineTests
{
    [Fact]
    public void Parse_Standalone_UiOnAtTheTemporalDefaultPort() =>
        Assert.Equal(DevServerCommand.DefaultUiPort, DevServerCommand.Parse([]).Options.UiPort);

    [Theory]
    [InlineData("--ui-port", "0")]
    [InlineData("--headless")]
    [InlineData("7301")]
    public void Parse_ZeroHeadlessOrTestServerConvention_UiOff(params string[] args) =>
        Assert.Null(DevServerCommand.Parse(args).Options.UiPort);

    [Fact]
    public void Parse_TestServerConventionWithUiPort_UiOn() =>
        Assert.Equal(9000, DevServerCommand.Parse(["7301", "--ui-port", "9000"]).Options.UiPort);

    [Fact]
    public void Parse_EmbeddedOptions_UiOffByDefault() => Assert.Null(new DevServerOptions().UiPort);

    [Theory]
    [InlineData("--headless", "--ui-port", "9000")]
    [InlineData("--ui-port", "http")]
    [InlineData("--ui-port", "70000")]
    [InlineData("--ui-port")]
    public void Parse_ContradictoryOrBadUiPort_ClearError(params string[] args)
    {
        var ex = Assert.Throws<ArgumentException>(() => DevServerCommand.Parse(args));
        Assert.Contains(args.Contains("--headless") ? "--headless" : "--ui-port", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_UiPortBusy_OneLineErrorNamingTheFlags()
    {
        using var busy = new TcpListener(IPAddress.Loopback, 0);
        busy.Start();
        var port = ((IPEndPoint)busy.LocalEndpoint).Port;
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => TemporalDevServer.StartAsync(new DevServerOptions { UiPort = port }));
        Assert.Contains($"{port}", ex.Message, StringComparison.Ordinal);
        Assert.Contains("--headless", ex.Message, StringComparison.Ordinal);
    }
}
