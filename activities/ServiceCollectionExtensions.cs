using MaintenanceWorkflows.Activities.Aws;
using MaintenanceWorkflows.Activities.Checks;
using MaintenanceWorkflows.Activities.Commands;
using MaintenanceWorkflows.Activities.Email;
using MaintenanceWorkflows.Activities.Governance;
using MaintenanceWorkflows.Activities.Http;
using MaintenanceWorkflows.Activities.Lambda;
using MaintenanceWorkflows.Activities.Notifications;
using MaintenanceWorkflows.Activities.Notifications.Channels;
using MaintenanceWorkflows.Activities.Redaction;
using MaintenanceWorkflows.Activities.Rollout;
using MaintenanceWorkflows.Workflows.Plans;
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
    /// Commands, Policy, Approvals), registers the Refit clients with their signing/auth handlers and the activity classes.
    /// HTTP calls do not retry on their own: the activity reports whether an error is retryable and
    /// Temporal's retry policy does the retrying, so attempts are visible in the history and not stacked.
    /// </summary>
    public static IServiceCollection AddMaintenanceActivities(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.TryAddSingleton(TimeProvider.System);

        services.AddOptions<AwsOptions>().Bind(configuration.GetSection(AwsOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<IAwsCredentialSource, SdkAwsCredentialSource>();

        services.AddRefitGeneratedClient<ILambdaApi>(LambdaJsonContext.Default, _ => new RefitSettings())
            .ConfigureHttpClient((sp, client) =>
            {
                var aws = sp.GetRequiredService<IOptions<AwsOptions>>().Value;
                client.BaseAddress = aws.Lambda.ServiceUrl ?? new Uri($"https://lambda.{aws.Lambda.Region ?? aws.Region}.amazonaws.com");
                client.Timeout = aws.Lambda.Timeout;
            })
            .ConfigurePrimaryHttpMessageHandler(NoRedirects)
            .AddHttpMessageHandler(sp => SigningHandler(sp, "lambda", o => o.Lambda));
        services.TryAddScoped<LambdaActivities>();

        services.AddOptions<EmailOptions>().Bind(configuration.GetSection(EmailOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddRefitGeneratedClient<ISesApi>(SesJsonContext.Default, _ => new RefitSettings())
            .ConfigureHttpClient((sp, client) =>
            {
                var aws = sp.GetRequiredService<IOptions<AwsOptions>>().Value;
                client.BaseAddress = aws.Ses.ServiceUrl ?? new Uri($"https://email.{aws.Ses.Region ?? aws.Region}.amazonaws.com");
                client.Timeout = aws.Ses.Timeout;
            })
            .ConfigurePrimaryHttpMessageHandler(NoRedirects)
            .AddHttpMessageHandler(sp => SigningHandler(sp, "ses", o => o.Ses));
        services.TryAddScoped<SesEmailSender>();
        services.TryAddScoped<EmailChecks>();

        services.AddOptions<TargetsOptions>().Bind(configuration.GetSection(TargetsOptions.Section)).Validate(
            targets => targets.All(t => t.Value.BaseUrl is { IsAbsoluteUri: true }),
            "Every Targets:<name>:BaseUrl must be an absolute http(s) URL.").ValidateOnStart();
        services.AddOptions<FreezeSourcesOptions>().Bind(configuration.GetSection(FreezeSourcesOptions.Section)).Validate(
            sources => sources.All(s => s.Value.Url is { IsAbsoluteUri: true } && !string.IsNullOrWhiteSpace(s.Value.ActivePath)),
            "Every FreezeSources:<name> needs an absolute Url and an ActivePath (dotted JSON path of the freeze flag).").ValidateOnStart();
        // Its URLs may carry a freeze source's ?token=, which the factory's request logging would print.
        services.AddHttpClient(HttpCheckActivities.ClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(NoRedirects)
            .RemoveAllLoggers();
        services.TryAddSingleton<HttpTargets>();
        services.TryAddScoped<HttpCheckActivities>();

        services.AddOptions<CommandsOptions>().Bind(configuration.GetSection(CommandsOptions.Section)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<CommandsOptions>, CommandsOptionsValidator>());
        services.TryAddScoped<CommandActivities>();

        services.AddOptions<ChatOptions>().Bind(configuration.GetSection(ChatOptions.Section)).Validate(
            chat => chat.Channels.All(c => c.Value.WebhookUrl is { IsAbsoluteUri: true } url && (url.Scheme == Uri.UriSchemeHttps || url.IsLoopback)),
            "Every Chat:Channels:<name>:WebhookUrl must be an absolute https URL (http only on loopback).").ValidateOnStart();
        // The webhook URL is the secret, and the factory's default logging would print it with every request.
        services.AddHttpClient<ChatWebhookClient>(client => client.Timeout = TimeSpan.FromSeconds(30)).ConfigurePrimaryHttpMessageHandler(NoRedirects).RemoveAllLoggers();
        services.AddOptions<StatusPageOptions>().Bind(configuration.GetSection(StatusPageOptions.Section)).Validate(
            page => page.BaseUrl is null || page.IsConfigured,
            "StatusPage needs BaseUrl, PageId and ApiKey together; leave the section out to run without a status page.").ValidateOnStart();
        services.TryAddTransient<StatusPageAuthHandler>();
        services.AddRefitGeneratedClient<IStatusPageApi>(StatusPageJsonContext.Default, _ => new RefitSettings())
            .ConfigureHttpClient((sp, client) =>
            {
                var page = sp.GetRequiredService<IOptions<StatusPageOptions>>().Value;
                client.BaseAddress = page.BaseUrl ?? new Uri("https://api.statuspage.io/");
                client.Timeout = page.Timeout;
            })
            .ConfigurePrimaryHttpMessageHandler(NoRedirects)
            .AddHttpMessageHandler<StatusPageAuthHandler>();
        services.TryAddScoped<StatusPageClient>();

        // Loading the templates validates them, so a broken override stops the worker at start-up.
        services.AddOptions<NotificationOptions>().Bind(configuration.GetSection(NotificationOptions.Section)).Validate(
            notifications =>
            {
                _ = NoticeRenderer.Load(notifications.TemplatesDirectory is { Length: > 0 } dir ? dir : null);
                return true;
            }).ValidateOnStart();
        services.TryAddSingleton(sp => NoticeRenderer.Load(sp.GetRequiredService<IOptions<NotificationOptions>>().Value.TemplatesDirectory is { Length: > 0 } dir ? dir : null));
        services.TryAddScoped<NotificationActivities>();
        services.TryAddScoped<CheckBatchActivities>();

        services.TryAddEnumerable(ServiceDescriptor.Singleton<ISecretValues>(new ConfigurationSecrets(configuration.GetSection(ApprovalOptions.Section), nameof(ApprovalOptions.SigningKey), nameof(ApprovalOptions.PreviousKeys))));
        services.TryAddSingleton<SecretRedactor>();
        services.TryAddSingleton<RedactingInterceptor>();

        // The worker owns the policy and the approval key; both are checked before the worker polls.
        services.AddOptions<PolicyOptions>().Bind(configuration.GetSection(PolicyOptions.Section)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PolicyOptions>, PolicyOptionsValidator>());
        services.TryAddSingleton(sp => WorkerPolicy.Load(sp.GetRequiredService<IOptions<PolicyOptions>>().Value.Path));
        services.AddOptions<ApprovalOptions>().Bind(configuration.GetSection(ApprovalOptions.Section)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ApprovalOptions>, ApprovalOptionsValidator>());
        services.TryAddSingleton<ApprovalProofs>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ISecretValues, ApprovalKeySecrets>());
        services.TryAddScoped<GovernanceActivities>();

        services.AddOptions<FleetsOptions>().Bind(configuration.GetSection(FleetsOptions.Section)).Validate(
            fleets => fleets.All(f => RolloutRules.ExpandHosts(f.Value, new List<string>()) is var hosts && hosts.Count > 0),
            "Every Fleets:<name> needs at least one host (a list: Fleets:<name>:0 = pve-{01..08}).").ValidateOnStart();
        services.TryAddScoped<RolloutActivities>();
        return services;
    }

    /// <summary>Registers every maintenance activity class with the hosted Temporal worker, behind the redaction step.</summary>
    public static ITemporalWorkerServiceOptionsBuilder AddMaintenanceActivities(this ITemporalWorkerServiceOptionsBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder
            .AddScopedActivities<LambdaActivities>()
            .AddScopedActivities<HttpCheckActivities>()
            .AddScopedActivities<CommandActivities>()
            .AddScopedActivities<NotificationActivities>()
            .AddScopedActivities<CheckBatchActivities>()
            .AddScopedActivities<GovernanceActivities>()
            .AddScopedActivities<RolloutActivities>();
        builder.ConfigureOptions().Configure<RedactingInterceptor>((options, interceptor) =>
            options.Interceptors = [.. options.Interceptors ?? [], interceptor]);
        return builder;
    }

    /// <summary>
    /// Credentials go on the first request only: a redirect would carry signed AWS headers, the Statuspage key or a
    /// webhook's body to whatever origin the answer names, so redirects come back as answers instead.
    /// </summary>
    private static SocketsHttpHandler NoRedirects() => new() { AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(2) };

    private static SigV4SigningHandler SigningHandler(IServiceProvider sp, string service, Func<AwsOptions, AwsServiceOptions> serviceOptions)
    {
        var aws = sp.GetRequiredService<IOptions<AwsOptions>>().Value;
        return new SigV4SigningHandler(
            sp.GetRequiredService<IAwsCredentialSource>(),
            sp.GetRequiredService<SecretRedactor>(),
            service,
            serviceOptions(aws).Region ?? aws.Region,
            sp.GetRequiredService<TimeProvider>());
    }
}
