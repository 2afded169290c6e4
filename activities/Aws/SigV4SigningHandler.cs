using System.Globalization;
using System.Net.Http.Headers;

namespace MaintenanceWorkflows.Activities.Aws;

/// <summary>Signs every outgoing request with SigV4 for one service and region.</summary>
public sealed class SigV4SigningHandler(
    IAwsCredentialSource credentials,
    Redaction.SecretRedactor redactor,
    string service,
    string region,
    TimeProvider timeProvider) : DelegatingHandler
{
    /// <summary>Headers that proxies and HttpClient itself may change, so they are not signed.</summary>
    private static readonly HashSet<string> UnsignedHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "authorization", "user-agent", "expect", "connection", "transfer-encoding", "traceparent", "tracestate",
        "x-amzn-trace-id", "accept-encoding",
    };

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var uri = request.RequestUri ?? throw new InvalidOperationException("SigV4 signing needs an absolute request URI.");
        var creds = await credentials.GetCredentialsAsync(cancellationToken);
        redactor.Remember(creds.SecretAccessKey);
        redactor.Remember(creds.SessionToken);
        var now = timeProvider.GetUtcNow();

        byte[] body = [];
        if (request.Content is not null)
        {
            // Buffering lets the body be hashed here and still be sent afterwards.
            await request.Content.LoadIntoBufferAsync(cancellationToken);
            body = await request.Content.ReadAsByteArrayAsync(cancellationToken);
        }

        request.Headers.Remove("X-Amz-Date");
        request.Headers.Remove("X-Amz-Security-Token");
        request.Headers.Authorization = null;
        request.Headers.Host = uri.IsDefaultPort ? uri.IdnHost : $"{uri.IdnHost}:{uri.Port.ToString(CultureInfo.InvariantCulture)}";
        request.Headers.TryAddWithoutValidation("X-Amz-Date", now.UtcDateTime.ToString(SigV4Signer.AmzDateFormat, CultureInfo.InvariantCulture));
        if (creds.SessionToken is not null)
        {
            request.Headers.TryAddWithoutValidation("X-Amz-Security-Token", creds.SessionToken);
        }

        var signature = SigV4Signer.Sign(
            new SigV4Request(
                request.Method.Method,
                uri.AbsolutePath,
                uri.Query.TrimStart('?'),
                SignedHeaders(request),
                SigV4Signer.HexSha256(body)),
            creds.AccessKeyId,
            creds.SecretAccessKey,
            region,
            service,
            now);

        request.Headers.TryAddWithoutValidation("Authorization", signature.Authorization);
        return await base.SendAsync(request, cancellationToken);
    }

    private static List<KeyValuePair<string, string>> SignedHeaders(HttpRequestMessage request)
    {
        var headers = new List<KeyValuePair<string, string>>();
        Add(request.Headers);
        if (request.Content is not null)
        {
            Add(request.Content.Headers);
        }

        return headers;

        void Add(HttpHeaders source)
        {
            foreach (var (name, values) in source.NonValidated)
            {
                if (!UnsignedHeaders.Contains(name))
                {
                    headers.Add(new(name, string.Join(',', values)));
                }
            }
        }
    }
}
