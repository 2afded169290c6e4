using Amazon.Runtime;
using Amazon.Runtime.CredentialManagement;
using Amazon.Runtime.Credentials;
using MaintenanceWorkflows.Workflows.Contracts;
using Microsoft.Extensions.Options;
using Temporalio.Exceptions;

namespace MaintenanceWorkflows.Activities.Aws;

/// <summary>Resolved AWS credentials. Never logged, never put in an activity input or result.</summary>
/// <param name="AccessKeyId">Access key id.</param>
/// <param name="SecretAccessKey">Secret access key.</param>
/// <param name="SessionToken">Session token of temporary credentials, or null.</param>
public sealed record AwsCredentials(string AccessKeyId, string SecretAccessKey, string? SessionToken)
{
    /// <summary>Keeps the secret out of logs and exception messages that print the record.</summary>
    public override string ToString() => $"AwsCredentials {{ AccessKeyId = {AccessKeyId} }}";
}

/// <summary>Where the signing handler gets credentials from; resolved per request so rotation is picked up.</summary>
public interface IAwsCredentialSource
{
    ValueTask<AwsCredentials> GetCredentialsAsync(CancellationToken cancellationToken);
}

/// <summary>
/// The AWS SDK's standard chain: a named profile when <see cref="AwsOptions.Profile"/> is set, otherwise
/// environment variables, the default profile, container and instance credentials.
/// </summary>
public sealed class SdkAwsCredentialSource(IOptions<AwsOptions> options) : IAwsCredentialSource
{
    private readonly AwsOptions options = options.Value;
    private AWSCredentials? resolved;

    public async ValueTask<AwsCredentials> GetCredentialsAsync(CancellationToken cancellationToken)
    {
        resolved ??= Resolve();
        ImmutableCredentials credentials;
        try
        {
            credentials = await resolved.GetCredentialsAsync().WaitAsync(cancellationToken);
        }
        catch (AmazonClientException e)
        {
            throw new ApplicationFailureException($"AWS credentials could not be loaded: {e.Message}", ActivityErrorTypes.RemoteUnavailable);
        }

        return new AwsCredentials(
            credentials.AccessKey,
            credentials.SecretKey,
            string.IsNullOrEmpty(credentials.Token) ? null : credentials.Token);
    }

    private AWSCredentials Resolve()
    {
        if (string.IsNullOrEmpty(options.Profile))
        {
            try
            {
                return DefaultAWSCredentialsIdentityResolver.GetCredentials(null);
            }
            catch (AmazonClientException e)
            {
                throw new ApplicationFailureException(
                    "No AWS credentials found. Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a profile in "
                    + "Aws:Profile (shared credentials file), or run where container/instance credentials exist. "
                    + e.Message,
                    ActivityErrorTypes.InvalidInput,
                    nonRetryable: true);
            }
        }

        var chain = string.IsNullOrEmpty(options.ProfilesLocation)
            ? new CredentialProfileStoreChain()
            : new CredentialProfileStoreChain(options.ProfilesLocation);
        if (!chain.TryGetAWSCredentials(options.Profile, out var credentials))
        {
            throw new ApplicationFailureException(
                $"Aws:Profile '{options.Profile}' was not found in the shared credentials/config files"
                + (string.IsNullOrEmpty(options.ProfilesLocation) ? string.Empty : $" at '{options.ProfilesLocation}'")
                + ". Add the profile or fix Aws:Profile.",
                ActivityErrorTypes.InvalidInput,
                nonRetryable: true);
        }

        return credentials;
    }
}
