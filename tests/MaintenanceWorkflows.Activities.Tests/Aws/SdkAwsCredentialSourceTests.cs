using MaintenanceWorkflows.Workflows.Plans;
using MaintenanceWorkflows.Activities.Aws;
using MaintenanceWorkflows.Activities.Lambda;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Temporalio.Exceptions;
using Temporalio.Testing;

namespace MaintenanceWorkflows.Activities.Tests.Aws;

public sealed class SdkAwsCredentialSourceTests : IDisposable
{
    private readonly string file = Path.Combine(Path.GetTempPath(), $"mw-credentials-{Guid.NewGuid():N}");

    public SdkAwsCredentialSourceTests() => File.WriteAllText(file, """
        [default]
        aws_access_key_id = AKIDDEFAULT
        aws_secret_access_key = default-secret

        [maintenance]
        aws_access_key_id = AKIDMAINTENANCE
        aws_secret_access_key = maintenance-secret
        aws_session_token = maintenance-token
        """);

    public void Dispose() => File.Delete(file);

    [Fact]
    public async Task GetCredentialsAsync_NamedProfileInSharedFile_ReturnsItsKeysAndToken()
    {
        var source = new SdkAwsCredentialSource(Options.Create(new AwsOptions { Profile = "maintenance", ProfilesLocation = file }));

        var credentials = await source.GetCredentialsAsync(CancellationToken.None);

        Assert.Equal(new AwsCredentials("AKIDMAINTENANCE", "maintenance-secret", "maintenance-token"), credentials);
    }

    [Fact]
    public async Task GetCredentialsAsync_UnknownProfile_FailsNamingTheSetting()
    {
        var source = new SdkAwsCredentialSource(Options.Create(new AwsOptions { Profile = "nope", ProfilesLocation = file }));

        var error = await Assert.ThrowsAsync<ApplicationFailureException>(() => source.GetCredentialsAsync(CancellationToken.None).AsTask());

        Assert.True(error.NonRetryable);
        Assert.Contains("Aws:Profile 'nope'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LambdaCall_ProfileMissing_FailsNonRetryableThroughTheSigningHandler()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Aws:Profile"] = "missing",
            ["Aws:ProfilesLocation"] = file,
            ["Aws:Lambda:ServiceUrl"] = "http://127.0.0.1:9/",
        }).Build();
        var services = new ServiceCollection().AddLogging().AddMaintenanceActivities(configuration);
        await using var provider = services.BuildServiceProvider();
        await using var scope = provider.CreateAsyncScope();
        var lambda = scope.ServiceProvider.GetRequiredService<LambdaActivities>();

        var error = await Assert.ThrowsAsync<ApplicationFailureException>(() => new ActivityEnvironment().RunAsync(() => lambda.CheckAliasAsync(new LambdaAliasCheck { Id = "c", Title = "c", Function = "beak-api", Alias = "prod", ExpectedVersion = "40" })));

        Assert.True(error.NonRetryable);
        Assert.Contains("Aws:Profile 'missing'", error.Message, StringComparison.Ordinal);
    }
}
