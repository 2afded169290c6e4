using System.Reflection;
using MaintenanceWorkflows.Activities.Aws;
using MaintenanceWorkflows.Activities.Tests.Support;
using MaintenanceWorkflows.Workflows.Contracts;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Temporalio.Extensions.Hosting;

namespace MaintenanceWorkflows.Activities.Tests;

public class RegistrationTests
{
    [Fact]
    public void AddMaintenanceActivities_WorkerBuilder_RegistersAnActivityForEveryContractName()
    {
        var configuration = new ConfigurationBuilder().Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddMaintenanceActivities(configuration);
        var optionsName = new TemporalWorkerServiceOptionsBuilder("registration-test", services).AddMaintenanceActivities().ConfigureOptions().Name;
        using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptionsMonitor<TemporalWorkerServiceOptions>>().Get(optionsName);
        var registered = options.Activities.Select(a => a.Name!).Order(StringComparer.Ordinal).ToList();
        var contract = typeof(ActivityNames).GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => (string)f.GetValue(null)!).Order(StringComparer.Ordinal).ToList();

        Assert.Equal(contract, registered);
    }

    [Fact]
    public async Task AddMaintenanceActivities_EveryActivityClass_ResolvesFromAScope()
    {
        await using var host = new ActivityHost(new Dictionary<string, string?>());

        Assert.NotNull(host.Get<global::MaintenanceWorkflows.Activities.Lambda.LambdaActivities>());
        Assert.NotNull(host.Get<global::MaintenanceWorkflows.Activities.Email.EmailChecks>());
        Assert.NotNull(host.Get<global::MaintenanceWorkflows.Activities.Http.HttpCheckActivities>());
        Assert.NotNull(host.Get<global::MaintenanceWorkflows.Activities.Commands.CommandActivities>());
        Assert.NotNull(host.Get<global::MaintenanceWorkflows.Activities.Notifications.NotificationActivities>());
    }

    [Theory]
    [InlineData("Aws:Region", "mars-1", "Aws:Region must look like us-east-1")]
    [InlineData("Targets:beak:BaseUrl", "not a url", "Targets:<name>:BaseUrl")]
    [InlineData("Chat:Channels:ops:WebhookUrl", "http://hooks.example.com/x", "must be an absolute https URL")]
    [InlineData("StatusPage:BaseUrl", "https://api.statuspage.io/", "StatusPage needs BaseUrl, PageId and ApiKey")]
    [InlineData("Email:Lists:ops:To:0", "ops@example.com", "Email:From is required")]
    public async Task StartupValidation_BadSetting_FailsWithMessageNamingIt(string key, string value, string expected)
    {
        await using var host = new ActivityHost(new Dictionary<string, string?> { [key] = value });

        var error = Assert.ThrowsAny<Exception>(() => host.Get<IStartupValidator>().Validate());

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AwsCredentials_ToString_DoesNotPrintTheSecret()
    {
        var credentials = new AwsCredentials("AKID", "very-secret", "token");

        Assert.DoesNotContain("very-secret", credentials.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("token", credentials.ToString(), StringComparison.Ordinal);
    }
}
