using MaintenanceWorkflows.Activities;
using MaintenanceWorkflows.Activities.Redaction;
using MaintenanceWorkflows.Workflows;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Temporalio.Common;
using Temporalio.Extensions.Hosting;
using Temporalio.Runtime;
using Temporalio.Worker;

namespace MaintenanceWorkflows.Worker;

public static class WorkerServiceCollectionExtensions
{
    /// <summary>The SDK's number of concurrent workflow tasks when none is set.</summary>
    private const int SdkDefaultConcurrentWorkflowTasks = 100;

    /// <summary>
    /// Everything the maintenance worker needs: validated Temporal settings, the activities and their
    /// clients, search-attribute registration, and the hosted Temporal worker running
    /// <see cref="MaintenanceWindowWorkflow"/>. Used by the worker's Program.cs and by `starter demo`.
    /// </summary>
    public static IServiceCollection AddMaintenanceWorker(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<TemporalSettings>()
            .BindConfiguration(TemporalSettings.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<TemporalSettings>, TemporalSettingsValidator>();
        services.AddMaintenanceActivities(configuration);

        // Hosted services start in registration order: the attributes exist before the first window runs.
        services.AddHostedService<SearchAttributeRegistration>();
        services.AddHostedService<GovernanceStartupCheck>();

        // The task queue is fixed when the worker is registered, so it is read from configuration here;
        // the rest of the connection comes from the validated options when the worker starts.
        var taskQueue = configuration.GetSection(TemporalSettings.Section)[nameof(TemporalSettings.TaskQueue)] ?? TemporalSettings.DefaultTaskQueue;
        // The build id is recorded on every workflow task this worker completes; versioning stays off
        // (windows are kept replayable across deploys by the replay corpus and Workflow.Patched instead).
        var configuredBuildId = configuration.GetSection(TemporalSettings.Section)[nameof(TemporalSettings.BuildId)];
        var buildId = string.IsNullOrWhiteSpace(configuredBuildId) ? TemporalSettings.DefaultBuildId : configuredBuildId;
        var deployment = new WorkerDeploymentOptions(new WorkerDeploymentVersion(TemporalSettings.DeploymentName, buildId), useWorkerVersioning: false);
        services.AddHostedTemporalWorker(taskQueue, deployment)
            .AddWorkflow<MaintenanceWindowWorkflow>()
            .AddWorkflow<Workflows.Rollout.FleetRolloutWorkflow>()
            .AddWorkflow<Workflows.Rollout.RolloutBatchWorkflow>()
            .AddMaintenanceActivities()
            .ConfigureOptions()
            .Configure<IOptions<TemporalSettings>, ILoggerFactory, SecretRedactor>((options, settings, hostLoggers, redactor) =>
            {
                // What the SDK, the workflows and the activities log passes the same redaction as what they record in history.
                var loggers = new RedactingLoggerFactory(hostLoggers, redactor);
                var client = settings.Value.ToConnectOptions();
                client.LoggerFactory = loggers;
                // The SDK core's own log lines (it writes them to stderr by default) go through the host's logging too.
                client.Runtime = new TemporalRuntime(new TemporalRuntimeOptions
                {
                    Telemetry = new TelemetryOptions
                    {
                        Logging = new LoggingOptions { Forwarding = new LogForwardingOptions(loggers.CreateLogger("Temporalio.Core")) },
                    },
                });
                options.ClientOptions = client;
                options.LoggerFactory = loggers;
                // A bounded cache: windows evicted from it replay their history when they wake. Temporal's core refuses
                // more concurrent workflow tasks than cached runs, so a small cache also lowers that limit.
                options.MaxCachedWorkflows = settings.Value.MaxCachedWorkflows;
                if (settings.Value.MaxCachedWorkflows > 0 && (options.MaxConcurrentWorkflowTasks ?? SdkDefaultConcurrentWorkflowTasks) > settings.Value.MaxCachedWorkflows)
                {
                    options.MaxConcurrentWorkflowTasks = settings.Value.MaxCachedWorkflows;
                }
                // Finish the activity in hand (a runbook command, a rollback) before the process exits.
                options.GracefulShutdownTimeout = TimeSpan.FromSeconds(30);
            });
        return services;
    }
}
