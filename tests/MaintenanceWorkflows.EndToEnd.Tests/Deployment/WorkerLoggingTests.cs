using MaintenanceWorkflows.Activities.Redaction;
using MaintenanceWorkflows.Worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Temporalio.Extensions.Hosting;

namespace MaintenanceWorkflows.EndToEnd.Tests.Deployment;

/// <summary>Issue 13: what the Temporal worker logs (SDK, workflows, activities) passes the same redaction as history.</summary>
public sealed class WorkerLoggingTests
{
    private const string StatusPageKey = "statuspage-worker-key-4f5a6b";

    [Fact]
    public void AddMaintenanceWorker_EveryTemporalLogger_RedactsConfiguredSecrets()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["StatusPage:BaseUrl"] = "https://api.statuspage.io/",
            ["StatusPage:PageId"] = "page1",
            ["StatusPage:ApiKey"] = StatusPageKey,
        }).Build();
        var lines = new List<string>();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging(b => b.AddProvider(new LineCapture(lines)));
        services.AddMaintenanceWorker(configuration);
        using var provider = services.BuildServiceProvider();

        // The worker's options are named after its task queue and deployment; read the name off its registration.
        var name = provider.GetServices<IConfigureOptions<TemporalWorkerServiceOptions>>()
            .Select(c => c.GetType().GetProperty("Name")?.GetValue(c) as string)
            .First(n => !string.IsNullOrEmpty(n));
        var options = provider.GetRequiredService<IOptionsMonitor<TemporalWorkerServiceOptions>>().Get(name);
        Assert.IsType<RedactingLoggerFactory>(options.LoggerFactory);
        Assert.IsType<RedactingLoggerFactory>(options.ClientOptions!.LoggerFactory);

        options.LoggerFactory!.CreateLogger("Temporalio.Activity").LogWarning(
            new InvalidOperationException($"status page answered 401 for key {StatusPageKey}"), "Notice failed: {Detail}", $"OAuth {StatusPageKey}");

        var line = Assert.Single(lines);
        Assert.DoesNotContain(StatusPageKey, line, StringComparison.Ordinal);
        Assert.Contains("answered 401 for key [redacted]", line, StringComparison.Ordinal);
    }

    private sealed class LineCapture(List<string> lines) : ILoggerProvider, ILogger
    {
        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (lines)
            {
                lines.Add($"{formatter(state, exception)} {exception}");
            }
        }

        public void Dispose()
        {
        }
    }
}
