using System.Globalization;
using System.Text.RegularExpressions;
using MaintenanceWorkflows.Activities.Aws;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace MaintenanceWorkflows.Sandbox.Aws;

/// <summary>
/// Server-side SigV4 check as AWS does it: rebuild the canonical request from what arrived on the wire
/// (raw request target, the headers the client says it signed, the body) and recompute the signature
/// with the secret the server knows for the access key.
/// </summary>
public static partial class SigV4Verifier
{
    /// <summary>Returns null when the signature verifies, otherwise AWS's error type and message.</summary>
    public static async Task<(string Type, string Message)?> VerifyAsync(HttpContext context, string service, IReadOnlyDictionary<string, string> secrets)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(secrets);
        var authorization = context.Request.Headers.Authorization.ToString();
        var match = AuthorizationRegex().Match(authorization);
        if (!match.Success)
        {
            return ("IncompleteSignatureException", "Missing Authentication Token");
        }

        var accessKey = match.Groups["key"].Value;
        if (!secrets.TryGetValue(accessKey, out var secret))
        {
            return ("UnrecognizedClientException", "The security token included in the request is invalid.");
        }

        if (match.Groups["service"].Value != service)
        {
            return ("InvalidSignatureException", $"Credential should be scoped to correct service: '{service}'.");
        }

        var amzDate = context.Request.Headers["X-Amz-Date"].ToString();
        if (!DateTimeOffset.TryParseExact(amzDate, SigV4Signer.AmzDateFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var signedAt))
        {
            return ("IncompleteSignatureException", "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
        }

        context.Request.EnableBuffering();
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer);
        context.Request.Body.Position = 0;

        var rawTarget = context.Features.GetRequiredFeature<IHttpRequestFeature>().RawTarget;
        var question = rawTarget.IndexOf('?', StringComparison.Ordinal);
        var headers = new List<KeyValuePair<string, string>>();
        foreach (var name in match.Groups["signed"].Value.Split(';'))
        {
            if (!context.Request.Headers.TryGetValue(name, out var values))
            {
                return ("InvalidSignatureException", $"Signed header '{name}' is missing from the request.");
            }

            headers.Add(new(name, string.Join(',', values.ToArray())));
        }

        var expected = SigV4Signer.Sign(
            new SigV4Request(
                context.Request.Method,
                question < 0 ? rawTarget : rawTarget[..question],
                question < 0 ? string.Empty : rawTarget[(question + 1)..],
                headers,
                SigV4Signer.HexSha256(buffer.ToArray())),
            accessKey,
            secret,
            match.Groups["region"].Value,
            service,
            signedAt);

        return expected.Signature == match.Groups["signature"].Value
            ? null
            : ("InvalidSignatureException", "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.");
    }

    [GeneratedRegex(@"^AWS4-HMAC-SHA256 Credential=(?<key>[^/]+)/(?<date>\d{8})/(?<region>[^/]+)/(?<service>[^/]+)/aws4_request, SignedHeaders=(?<signed>[a-z0-9;-]+), Signature=(?<signature>[0-9a-f]{64})$")]
    private static partial Regex AuthorizationRegex();
}
