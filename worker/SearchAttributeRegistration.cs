using MaintenanceWorkflows.Workflows;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.OperatorService.V1;
using Temporalio.Client;
using Temporalio.Common;

namespace MaintenanceWorkflows.Worker;

/// <summary>
/// Registers the window's custom search attributes on the namespace when the worker starts (unless
/// <see cref="TemporalSettings.RegisterSearchAttributes"/> is off), so `starter list` and the UI filters work.
/// </summary>
public sealed class SearchAttributeRegistration(IOptions<TemporalSettings> settings, ILogger<SearchAttributeRegistration> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var temporal = settings.Value;
        if (!temporal.RegisterSearchAttributes)
        {
            return;
        }
        var client = await TemporalClient.ConnectAsync(temporal.ToConnectOptions());
        var added = await EnsureAsync(client.Connection, temporal.Namespace, cancellationToken);
        if (added.Count > 0)
        {
            logger.LogInformation("Registered search attributes {Attributes} on namespace {Namespace}", string.Join(", ", added), temporal.Namespace);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Adds the attributes the namespace lacks; returns the names it added.</summary>
    public static async Task<IReadOnlyList<string>> EnsureAsync(ITemporalConnection connection, string ns, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var existing = await connection.OperatorService.ListSearchAttributesAsync(
            new ListSearchAttributesRequest { Namespace = ns }, new RpcOptions { CancellationToken = ct });
        var request = new AddSearchAttributesRequest { Namespace = ns };
        foreach (var key in MaintenanceSearchAttributes.All)
        {
            if (!existing.CustomAttributes.ContainsKey(key.Name))
            {
                request.SearchAttributes[key.Name] = (IndexedValueType)key.ValueType;
            }
        }
        if (request.SearchAttributes.Count > 0)
        {
            await connection.OperatorService.AddSearchAttributesAsync(request, new RpcOptions { CancellationToken = ct });
        }
        return request.SearchAttributes.Keys.Order(StringComparer.Ordinal).ToList();
    }
}
