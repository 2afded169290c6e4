using Temporalio.Api.Enums.V1;
using Temporalio.Client;

namespace MaintenanceWorkflows.DevServer.Tests;

/// <summary>One real-time devserver shared by the tests of a collection; every test uses its own task queue and ids.</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    private TemporalDevServer? server;
    private TemporalClient? client;

    public TemporalDevServer Server => server ?? throw new InvalidOperationException("fixture not started");

    public TemporalClient Client => client ?? throw new InvalidOperationException("fixture not started");

    public async Task InitializeAsync()
    {
        server = await TemporalDevServer.StartAsync(new DevServerOptions { Namespaces = ["other"] });
        client = await TemporalClient.ConnectAsync(new(server.Target));
        // Tests upsert "Phase"; like a real server, the devserver refuses unregistered attributes.
        await client.OperatorService.AddSearchAttributesAsync(new()
        {
            Namespace = "default",
            SearchAttributes = { [Workflows.PropertiesWorkflow.Phase.Name] = IndexedValueType.Keyword },
        });
    }

    public async Task DisposeAsync()
    {
        if (server != null)
        {
            await server.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class ServerCollection : ICollectionFixture<ServerFixture>
{
    public const string Name = "devserver";
}

internal static class Unique
{
    public static string Queue(string test) => $"{test}-{Guid.NewGuid():N}";

    public static string Id(string test) => $"{test}-{Guid.NewGuid():N}";
}

/// <summary>
/// Starts an SDK environment that runs the devserver executable. The SDK gives the program a fixed 5 s to
/// listen; on a machine loaded far beyond its cores, .NET start-up alone can pass that, so only that
/// refusal is retried (twice). Any other failure, and the behaviour under test, is not.
/// </summary>
internal static class SdkStartedServer
{
    public static async Task<T> StartAsync<T>(Func<Task<T>> start)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await start();
            }
            catch (InvalidOperationException ex) when (attempt < 3 && ex.Message.Contains("did not start within", StringComparison.Ordinal))
            {
                // Retried: the SDK's start-up deadline, not the server's behaviour.
            }
        }
    }
}
