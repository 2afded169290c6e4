using System.Globalization;
using System.Text;
using Amazon;
using Amazon.Runtime;
using Amazon.Runtime.Signing;
using MaintenanceWorkflows.Activities.Aws;

namespace MaintenanceWorkflows.Activities.Tests.Aws;

/// <summary>
/// Our signer against AWSSDK.Core's own SigV4 signer on requests shaped like the ones the activities
/// send (ARNs with colons in the path, queries, JSON bodies): an independent implementation must agree.
/// </summary>
public class SigV4CrossCheckTests
{
    private static readonly DateTime SignedAt = new(2026, 11, 23, 2, 15, 0, DateTimeKind.Utc);

    [Theory]
    [InlineData("GET", "https://lambda.us-east-1.amazonaws.com/2015-03-31/functions/beak-api/aliases/prod", null, "lambda")]
    [InlineData("GET", "https://lambda.us-east-1.amazonaws.com/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Abeak/configuration?Qualifier=%24LATEST", null, "lambda")]
    [InlineData("GET", "https://lambda.us-east-1.amazonaws.com/2015-03-31/functions/beak-api/versions?MaxItems=50&Marker=abc%2Bdef%3D%3D", null, "lambda")]
    [InlineData("PUT", "https://lambda.us-east-1.amazonaws.com/2015-03-31/functions/beak-api/aliases/prod", "{\"FunctionVersion\":\"40\",\"Description\":\"maint:w/s previous=39\"}", "lambda")]
    [InlineData("POST", "https://email.us-east-1.amazonaws.com/v2/email/outbound-emails", "{\"FromEmailAddress\":\"ops@example.com\"}", "ses")]
    public async Task Sign_RequestShapedLikeOurs_MatchesAwsSdkSigner(string method, string url, string? body, string service)
    {
        var uri = new Uri(url);
        var content = body is null ? [] : Encoding.UTF8.GetBytes(body);
        var payloadHash = SigV4Signer.HexSha256(content);
        var amzDate = SignedAt.ToString(SigV4Signer.AmzDateFormat, CultureInfo.InvariantCulture);

        var request = new AWSSigningRequest
        {
            HttpMethod = new HttpMethod(method),
            RequestUri = uri,
            Content = body is null ? null : content,
        };
        request.Headers["Content-Type"] = "application/json";
        var sdk = await AWSSigV4Signer.SignAsync(
            request,
            new AWSSigV4Parameters
            {
                Credentials = new BasicAWSCredentials("AKIDCROSSCHECK", "cross-check-secret"),
                Region = RegionEndpoint.USEast1,
                Service = service,
                SignedAt = SignedAt,
            },
            CancellationToken.None);

        var headers = new List<KeyValuePair<string, string>>
        {
            new("Host", uri.Host),
            new("Content-Type", "application/json"),
            new("X-Amz-Date", amzDate),
        };
        if (sdk.Headers.TryGetValue("X-Amz-Content-Sha256", out var sdkHash))
        {
            headers.Add(new("X-Amz-Content-Sha256", sdkHash));
        }

        var ours = SigV4Signer.Sign(
            new SigV4Request(method, uri.AbsolutePath, uri.Query.TrimStart('?'), headers, payloadHash),
            "AKIDCROSSCHECK",
            "cross-check-secret",
            "us-east-1",
            service,
            SignedAt);

        Assert.Equal(sdk.Headers["Authorization"], ours.Authorization);
    }
}
