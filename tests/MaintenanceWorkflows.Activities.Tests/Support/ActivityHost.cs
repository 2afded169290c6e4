using MaintenanceWorkflows.Activities.Aws;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Temporalio.Testing;
using MaintenanceWorkflows.Sandbox.Aws;

namespace MaintenanceWorkflows.Activities.Tests.Support;

/// <summary>
/// The production registration (<see cref="ServiceCollectionExtensions.AddMaintenanceActivities(IServiceCollection, IConfiguration)"/>)
/// over in-memory configuration, with activities run through the SDK's ActivityEnvironment.
/// </summary>
public sealed class ActivityHost : IAsyncDisposable
{
    private readonly ServiceProvider provider;
    private readonly AsyncServiceScope scope;

    public ActivityHost(IDictionary<string, string?> settings, AwsCredentials? credentials = null, Action<IServiceCollection>? configure = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging();
        services.AddSingleton<IAwsCredentialSource>(new StaticCredentialSource(credentials ?? StaticCredentialSource.Test));
        configure?.Invoke(services);
        services.AddMaintenanceActivities(configuration);
        provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        scope = provider.CreateAsyncScope();
    }

    public ActivityEnvironment Environment { get; set; } = new();

    public T Get<T>()
        where T : notnull => scope.ServiceProvider.GetRequiredService<T>();

    public Task<TResult> RunAsync<TActivities, TResult>(Func<TActivities, Task<TResult>> activity)
        where TActivities : notnull
    {
        ArgumentNullException.ThrowIfNull(activity);
        var instance = Get<TActivities>();
        return Environment.RunAsync(() => activity(instance));
    }

    public async ValueTask DisposeAsync()
    {
        await scope.DisposeAsync();
        await provider.DisposeAsync();
    }
}
