using MaintenanceWorkflows.Worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Temporalio.Extensions.Hosting;

namespace MaintenanceWorkflows.EndToEnd.Tests.Deployment;

/// <summary>Issue 14: the worker's memory for sleeping windows is bounded by one setting, Temporal:MaxCachedWorkflows.</summary>
public sealed class WorkerCacheTests
{
    [Fact]
    public void MaxCachedWorkflows_Unset_KeepsTheSdkDefault()
    {
        var options = WorkerOptions(new Dictionary<string, string?>());

        Assert.Equal(TemporalSettings.DefaultMaxCachedWorkflows, options.MaxCachedWorkflows);
    }

    [Fact]
    public void MaxCachedWorkflows_Set_BoundsTheCacheAndTheConcurrentTasks()
    {
        var options = WorkerOptions(new Dictionary<string, string?> { ["Temporal:MaxCachedWorkflows"] = "20" });

        Assert.Equal(20, options.MaxCachedWorkflows);
        // Temporal's core refuses a worker with more concurrent workflow tasks than cached runs.
        Assert.Equal(20, options.MaxConcurrentWorkflowTasks);
    }

    [Fact]
    public void MaxCachedWorkflows_Zero_TurnsTheCacheOffWithoutTouchingConcurrency()
    {
        var options = WorkerOptions(new Dictionary<string, string?> { ["Temporal:MaxCachedWorkflows"] = "0" });

        Assert.Equal(0, options.MaxCachedWorkflows);
        Assert.Null(options.MaxConcurrentWorkflowTasks);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("1000001")]
    public void MaxCachedWorkflows_OutOfRange_IsRefusedNamingTheKey(string value)
    {
        using var provider = Provider(new Dictionary<string, string?> { ["Temporal:MaxCachedWorkflows"] = value });

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<TemporalSettings>>().Value);
        Assert.Contains("MaxCachedWorkflows", error.Message, StringComparison.Ordinal);
        Assert.Contains("between 0 and 1000000", error.Message, StringComparison.Ordinal);
    }

    private static TemporalWorkerServiceOptions WorkerOptions(Dictionary<string, string?> settings)
    {
        using var provider = Provider(settings);
        // The worker's options are named after its task queue and deployment; read the name off its registration.
        var name = provider.GetServices<IConfigureOptions<TemporalWorkerServiceOptions>>()
            .Select(c => c.GetType().GetProperty("Name")?.GetValue(c) as string)
            .First(n => !string.IsNullOrEmpty(n));
        return provider.GetRequiredService<IOptionsMonitor<TemporalWorkerServiceOptions>>().Get(name);
    }

    private static ServiceProvider Provider(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging();
        services.AddMaintenanceWorker(configuration);
        return services.BuildServiceProvider();
    }
}
