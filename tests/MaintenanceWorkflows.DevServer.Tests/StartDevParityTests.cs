using MaintenanceWorkflows.DevServer.Tests.Workflows;
using Microsoft.Extensions.Logging;
using Temporalio.Api.Enums.V1;
using Temporalio.Client;
using Temporalio.Common;
using Temporalio.Testing;
using Temporalio.Worker;

namespace MaintenanceWorkflows.DevServer.Tests;

/// <summary>`temporal server start-dev` command-line parity, and the SDK starting this program as it starts the Temporal CLI.</summary>
public sealed class StartDevParityTests
{
    /// <summary>Exactly what Temporalio 1.21.1's StartLocalAsync passed to its ExistingPath program (recorded once with a stand-in script).</summary>
    private static readonly string[] SdkArguments =
    [
        "server", "start-dev", "--port", "35007", "--namespace", "default", "--ip", "127.0.0.1", "--log-format", "pretty",
        "--log-level", "warn", "--dynamic-config-value", "frontend.enableServerVersionCheck=false",
        "--dynamic-config-value", "frontend.enableUpdateWorkflowExecution=true",
        "--dynamic-config-value", "frontend.enableUpdateWorkflowExecutionAsyncAccepted=true", "--headless",
        "--search-attribute", "Kw1=Keyword",
    ];

    private static string DevServerExecutable =>
        Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "MaintenanceWorkflows.DevServer.exe" : "MaintenanceWorkflows.DevServer");

    [Fact]
    public void Parse_TheSdksStartDevArguments_MapToOptions()
    {
        var (options, level) = DevServerCommand.Parse(SdkArguments);
        Assert.Equal(35007, options.Port);
        Assert.Equal("127.0.0.1", options.Host);
        Assert.Equal(["default"], options.Namespaces);
        Assert.Equal(LogLevel.Warning, level);
        Assert.Null(options.UiPort);
        Assert.Equal(IndexedValueType.Keyword, options.SearchAttributes["Kw1"]);
        Assert.Equal(new ServerLimits(), options.Limits);
    }

    [Fact]
    public void Parse_DynamicConfigLimitsDbFilenameAndLevels_Applied()
    {
        var (options, level) = DevServerCommand.Parse(
        [
            "--dynamic-config-value", "limit.blobSize.error=1048576", "--dynamic-config-value", "limit.historyCount.suggestContinueAsNew=50",
            "--db-filename", "state.db", "--log-level", "never", "--log-format", "json",
        ]);
        Assert.Equal(1048576, options.Limits.BlobSizeError);
        Assert.Equal(50, options.Limits.HistoryCountSuggestContinueAsNew);
        Assert.Equal("state.db", options.DatabasePath);
        Assert.Equal(LogLevel.None, level);
        Assert.Equal("json", options.LogFormat);
    }

    [Theory]
    [InlineData("--dynamic-config-value", "history.enableChasm=true", "key 'history.enableChasm' is not supported")]
    [InlineData("--dynamic-config-value", "limit.blobSize.error=lots", "limit.blobSize.error: 'lots' is not a positive whole number")]
    [InlineData("--dynamic-config-value", "justakey", "is not KEY=VALUE")]
    [InlineData("--search-attribute", "Region=Colour", "type 'Colour' is not one of")]
    [InlineData("--search-attribute", "Region", "is not NAME=TYPE")]
    [InlineData("--log-level", "loud", "--log-level 'loud' is not one of debug, info, warn, error, never")]
    [InlineData("--log-format", "xml", "--log-format 'xml'")]
    public void Parse_UnsupportedOrMalformedValue_RefusedNamingIt(string flag, string value, string expected)
    {
        var ex = Assert.Throws<ArgumentException>(() => DevServerCommand.Parse([flag, value]));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_UnsupportedDynamicConfigKey_ListsTheSupportedKeys()
    {
        var ex = Assert.Throws<ArgumentException>(() => DevServerCommand.Parse(["--dynamic-config-value", "frontend.rps=1"]));
        Assert.Contains("limit.blobSize.error", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SdkStartLocalAsync_ExistingPathIsThisProgram_ServesWorkflowsWithItsSearchAttributesAndLimits()
    {
        var region = SearchAttributeKey.CreateKeyword("Region");
        var database = Path.Combine(Path.GetTempPath(), $"devserver-startlocal-{Guid.NewGuid():N}.db");
        try
        {
            await using var env = await WorkflowEnvironment.StartLocalAsync(new()
            {
                DevServerOptions = new()
                {
                    ExistingPath = DevServerExecutable,
                    DatabaseFilename = database,
                    ExtraArgs = ["--dynamic-config-value", "limit.historyCount.suggestContinueAsNew=50"],
                },
                SearchAttributes = [region],
            });
            Assert.False(env.SupportsTimeSkipping);
            var queue = Unique.Queue("start-local");
            using var worker = new TemporalWorker(
                env.Client, new TemporalWorkerOptions(queue).AddWorkflow<HistoryInfoWorkflow>().AddAllActivities(new BlobActivities()));
            var report = await worker.ExecuteAsync(() => env.Client.ExecuteWorkflowAsync(
                (HistoryInfoWorkflow wf) => wf.RunAsync(50),
                new(Unique.Id("start-local"), queue) { TypedSearchAttributes = new SearchAttributeCollection.Builder().Set(region, "eu").ToSearchAttributeCollection() }));
            Assert.True(report.AfterTimers.ContinueAsNewSuggested, "the ExtraArgs limit reached the server");
            Assert.True(File.Exists(database), "--db-filename reached the server");
        }
        finally
        {
            foreach (var file in new[] { database, database + "-wal", database + "-shm" })
            {
                File.Delete(file);
            }
        }
    }
}
