using MaintenanceWorkflows.Activities.Aws;
using MaintenanceWorkflows.Activities.Commands;
using MaintenanceWorkflows.Activities.Email;
using MaintenanceWorkflows.Activities.Http;
using MaintenanceWorkflows.Activities.Lambda;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Refit;
using Temporalio.Extensions.Hosting;

namespace MaintenanceWorkflows.Activities;

/// <summary>Registers the maintenance activities, their clients and options in one call from the worker host.</summary>
public static class ServiceCollectionExtensions
{
    /// <summary>
    /// Binds and validates the options (sections Aws, Email, Chat, StatusPage, Targets, FreezeSources,
    /// Commands), registers the Refit clients with their signing/auth handlers and the activity classes.
    /// HTTP calls do not retry on their own: the activity reports whether an error is retryable and
    /// Temporal's retry policy does the retrying, so attempts are visible in the history and not stacked.
    /// </summary>
    public static IServiceCollection AddMaintenanceActivities(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.TryAddSingleton(TimeProvider.System);

        services.AddOptions<AwsOptions>().BindConfiguration(AwsOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<IAwsCredentialSource, SdkAwsCredentialSource>();

        services.AddRefitGeneratedClient<ILambdaApi>(LambdaJsonContext.Default, _ => new RefitSettings())
            .ConfigureHttpClient((sp, client) =>
            {
                var aws = sp.GetRequiredService<IOptions<AwsOptions>>().Value;
                client.BaseAddress = aws.Lambda.ServiceUrl ?? new Uri($"https://lambda.{aws.Lambda.Region ?? aws.Region}.amazonaws.com");
                client.Timeout = aws.Lambda.Timeout;
            })
            .AddHttpMessageHandler(sp => SigningHandler(sp, "lambda", o => o.Lambda));
        services.TryAddScoped<LambdaActivities>();

        services.AddOptions<EmailOptions>().BindConfiguration(EmailOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddRefitGeneratedClient<ISesApi>(SesJsonContext.Default, _ => new RefitSettings())
            .ConfigureHttpClient((sp, client) =>
            {
                var aws = sp.GetRequiredService<IOptions<AwsOptions>>().Value;
                client.BaseAddress = aws.Ses.ServiceUrl ?? new Uri($"https://email.{aws.Ses.Region ?? aws.Region}.amazonaws.com");
                client.Timeout = aws.Ses.Timeout;
            })
            .AddHttpMessageHandler(sp => SigningHandler(sp, "ses", o => o.Ses));
        services.TryAddScoped<SesEmailSender>();
        services.TryAddScoped<EmailActivities>();

        services.AddOptions<TargetsOptions>().BindConfiguration(TargetsOptions.Section).Validate(
            targets => targets.All(t => t.Value.BaseUrl is { IsAbsoluteUri: true }),
            "Every Targets:<name>:BaseUrl must be an absolute http(s) URL.").ValidateOnStart();
        services.AddOptions<FreezeSourcesOptions>().BindConfiguration(FreezeSourcesOptions.Section).Validate(
            sources => sources.All(s => s.Value.Url is { IsAbsoluteUri: true } && !string.IsNullOrWhiteSpace(s.Value.ActivePath)),
            "Every FreezeSources:<name> needs an absolute Url and an ActivePath (dotted JSON path of the freeze flag).").ValidateOnStart();
        services.AddHttpClient(HttpCheckActivities.ClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(2) });
        services.TryAddSingleton<HttpTargets>();
        services.TryAddScoped<HttpCheckActivities>();

        services.AddOptions<CommandsOptions>().BindConfiguration(CommandsOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<CommandsOptions>, CommandsOptionsValidator>());
        services.TryAddScoped<CommandActivities>();

        return services;
    }

    /// <summary>Registers every maintenance activity class with the hosted Temporal worker.</summary>
    public static ITemporalWorkerServiceOptionsBuilder AddMaintenanceActivities(this ITemporalWorkerServiceOptionsBuilder builder) =>
        builder
            .AddScopedActivities<LambdaActivities>()
            .AddScopedActivities<EmailActivities>()
            .AddScopedActivities<HttpCheckActivities>()
            .AddScopedActivities<CommandActivities>();

    private static SigV4SigningHandler SigningHandler(IServiceProvider sp, string service, Func<AwsOptions, AwsServiceOptions> serviceOptions)
    {
        var aws = sp.GetRequiredService<IOptions<AwsOptions>>().Value;
        return new SigV4SigningHandler(
            sp.GetRequiredService<IAwsCredentialSource>(),
            service,
            serviceOptions(aws).Region ?? aws.Region,
            sp.GetRequiredService<TimeProvider>());
    }
}
