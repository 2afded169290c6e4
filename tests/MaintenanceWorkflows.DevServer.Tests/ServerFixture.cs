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
