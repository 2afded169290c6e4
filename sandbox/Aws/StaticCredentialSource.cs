using MaintenanceWorkflows.Activities.Aws;

namespace MaintenanceWorkflows.Sandbox.Aws;

/// <summary>Fixed credentials for tests; production resolves them through the AWS SDK's chain.</summary>
public sealed class StaticCredentialSource(AwsCredentials credentials) : IAwsCredentialSource
{
    public static readonly AwsCredentials Test = new("AKIDMAINTENANCETEST", "maintenance-test-secret/K7MDENG+bPxRfiCY", null);

    public ValueTask<AwsCredentials> GetCredentialsAsync(CancellationToken cancellationToken) => ValueTask.FromResult(credentials);
}
