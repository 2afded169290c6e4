using MaintenanceWorkflows.Activities.Aws;
using MaintenanceWorkflows.Sandbox;
using MaintenanceWorkflows.Sandbox.Aws;
using MaintenanceWorkflows.Worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MaintenanceWorkflows.Starter.Demo;

/// <summary>
/// The production worker host (<see cref="WorkerServiceCollectionExtensions.AddMaintenanceWorker"/>) run
/// inside this process with its configuration given in code: `starter demo` and the end-to-end tests use it
/// against the devserver and the <see cref="SandboxWorld"/>.
/// </summary>
public static class InProcessWorker
{
    public static async Task<IHost> StartAsync(
        IEnumerable<KeyValuePair<string, string?>> configuration,
        Action<ILoggingBuilder>? logging = null,
        CancellationToken ct = default)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(configuration);
        builder.Logging.ClearProviders();
        logging?.Invoke(builder.Logging);

        // The sandbox's AWS stand-ins know these keys; a real worker resolves credentials through the AWS chain.
        builder.Services.AddSingleton<IAwsCredentialSource>(new StaticCredentialSource(SandboxWorld.Credentials));
        builder.Services.AddMaintenanceWorker(builder.Configuration);
        var host = builder.Build();
        await host.StartAsync(ct);
        return host;
    }

    /// <summary>
    /// Worker configuration for a sandbox run: the sandbox's endpoints, where Temporal is, the policy file the
    /// worker enforces and the key that signs approval codes.
    /// </summary>
    public static Dictionary<string, string?> SandboxConfiguration(
        SandboxWorld world, string temporalAddress, string taskQueue, string policyPath, string signingKey, bool registerSearchAttributes = true)
    {
        ArgumentNullException.ThrowIfNull(world);
        return new Dictionary<string, string?>(world.WorkerConfiguration())
        {
            ["Temporal:Address"] = temporalAddress,
            ["Temporal:TaskQueue"] = taskQueue,
            ["Temporal:RegisterSearchAttributes"] = registerSearchAttributes ? "true" : "false",
            ["Policy:Path"] = policyPath,
            ["Approvals:SigningKey"] = signingKey,
        };
    }

    /// <summary>A fresh random signing key for a run whose worker lives only as long as the process.</summary>
    public static string RandomSigningKey() => Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(48));
}
