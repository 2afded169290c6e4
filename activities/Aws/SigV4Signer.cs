using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace MaintenanceWorkflows.Activities.Aws;

/// <summary>A request as SigV4 sees it: the wire form of path and query, and the headers to sign.</summary>
/// <param name="Method">HTTP method.</param>
/// <param name="Path">Path exactly as it appears on the request line (already percent-encoded once).</param>
/// <param name="Query">Query string as on the request line, without the leading '?'.</param>
/// <param name="Headers">Headers to sign (names in any case; repeated names are joined with commas).</param>
/// <param name="PayloadHash">Lowercase hex SHA-256 of the body.</param>
/// <param name="NormalizePath">Remove dot segments and repeated slashes (every service except S3).</param>
public sealed record SigV4Request(
    string Method,
    string Path,
    string Query,
    IReadOnlyList<KeyValuePair<string, string>> Headers,
    string PayloadHash,
    bool NormalizePath = true);

/// <summary>Everything a signature is built from, so tests can compare each step with AWS's vectors.</summary>
/// <param name="CanonicalRequest">The canonical request.</param>
/// <param name="StringToSign">The string to sign.</param>
/// <param name="Signature">Lowercase hex signature.</param>
/// <param name="SignedHeaders">Semicolon-separated lowercase header names.</param>
/// <param name="Authorization">Value of the Authorization header.</param>
public sealed record SigV4Signature(
    string CanonicalRequest,
    string StringToSign,
    string Signature,
    string SignedHeaders,
    string Authorization);

/// <summary>
/// AWS Signature Version 4 (header form), written from AWS's specification and checked against AWS's
/// published test suite. Pure: the caller supplies the time and adds x-amz-date (and the session token)
/// to the headers before signing.
/// </summary>
public static class SigV4Signer
{
    public const string Algorithm = "AWS4-HMAC-SHA256";
    public const string AmzDateFormat = "yyyyMMdd'T'HHmmss'Z'";

    /// <summary>SHA-256 of an empty body, the payload hash of every GET.</summary>
    public const string EmptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    public static SigV4Signature Sign(
        SigV4Request request,
        string accessKeyId,
        string secretAccessKey,
        string region,
        string service,
        DateTimeOffset signedAt)
    {
        ArgumentNullException.ThrowIfNull(request);
        var utc = signedAt.UtcDateTime;
        var amzDate = utc.ToString(AmzDateFormat, CultureInfo.InvariantCulture);
        var date = utc.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
        var scope = $"{date}/{region}/{service}/aws4_request";

        var (canonicalHeaders, signedHeaders) = CanonicalHeaders(request.Headers);
        var canonicalRequest = string.Join(
            '\n',
            request.Method.ToUpperInvariant(),
            CanonicalUri(request.Path, request.NormalizePath),
            CanonicalQuery(request.Query),
            canonicalHeaders,
            signedHeaders,
            request.PayloadHash);

        var stringToSign = string.Join('\n', Algorithm, amzDate, scope, HexSha256(Encoding.UTF8.GetBytes(canonicalRequest)));

        var key = HMACSHA256.HashData(Encoding.UTF8.GetBytes("AWS4" + secretAccessKey), Encoding.UTF8.GetBytes(date));
        key = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(region));
        key = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(service));
        key = HMACSHA256.HashData(key, "aws4_request"u8.ToArray());
        var signature = Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(stringToSign)));

        var authorization = $"{Algorithm} Credential={accessKeyId}/{scope}, SignedHeaders={signedHeaders}, Signature={signature}";
        return new SigV4Signature(canonicalRequest, stringToSign, signature, signedHeaders, authorization);
    }

    public static string HexSha256(ReadOnlySpan<byte> data) => Convert.ToHexStringLower(SHA256.HashData(data));

    /// <summary>
    /// Each segment of the wire path is URI-encoded again; for a real request (already encoded once) that
    /// is the double encoding AWS requires of every service but S3.
    /// </summary>
    internal static string CanonicalUri(string path, bool normalize)
    {
        if (string.IsNullOrEmpty(path))
        {
            return "/";
        }

        var segments = path.Split('/');
        if (normalize)
        {
            var kept = new List<string>();
            foreach (var segment in segments.Skip(1))
            {
                if (segment == "..")
                {
                    if (kept.Count > 0)
                    {
                        kept.RemoveAt(kept.Count - 1);
                    }
                }
                else if (segment.Length > 0 && segment != ".")
                {
                    kept.Add(segment);
                }
            }

            var trailingSlash = path.EndsWith('/') || path.EndsWith("/.", StringComparison.Ordinal) || path.EndsWith("/..", StringComparison.Ordinal);
            var joined = "/" + string.Join('/', kept.Select(UriEncode));
            return trailingSlash && kept.Count > 0 ? joined + "/" : joined;
        }

        return string.Join('/', segments.Select(UriEncode));
    }

    /// <summary>Parameters are decoded from the wire form, re-encoded the AWS way, and sorted by key then value.</summary>
    internal static string CanonicalQuery(string query)
    {
        if (string.IsNullOrEmpty(query))
        {
            return string.Empty;
        }

        var pairs = new List<(string Key, string Value)>();
        foreach (var part in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            var key = eq < 0 ? part : part[..eq];
            var value = eq < 0 ? string.Empty : part[(eq + 1)..];
            pairs.Add((UriEncode(Uri.UnescapeDataString(key)), UriEncode(Uri.UnescapeDataString(value))));
        }

        return string.Join(
            '&',
            pairs.OrderBy(p => p.Key, StringComparer.Ordinal).ThenBy(p => p.Value, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"));
    }

    internal static (string Canonical, string Signed) CanonicalHeaders(IEnumerable<KeyValuePair<string, string>> headers)
    {
        var byName = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var (name, value) in headers)
        {
            var key = name.Trim().ToLowerInvariant();
            if (!byName.TryGetValue(key, out var values))
            {
                values = [];
                byName[key] = values;
            }

            values.Add(CollapseSpaces(value));
        }

        var canonical = new StringBuilder();
        foreach (var (name, values) in byName)
        {
            canonical.Append(name).Append(':').Append(string.Join(',', values)).Append('\n');
        }

        return (canonical.ToString(), string.Join(';', byName.Keys));
    }

    /// <summary>RFC 3986 encoding: unreserved characters stay, every other UTF-8 byte becomes %XX (upper case).</summary>
    internal static string UriEncode(string value)
    {
        var builder = new StringBuilder(value.Length);
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            var c = (char)b;
            if (c is (>= 'A' and <= 'Z') or (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_' or '.' or '~')
            {
                builder.Append(c);
            }
            else
            {
                builder.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return builder.ToString();
    }

    /// <summary>Trims the value and turns every run of whitespace (including folded lines) into one space.</summary>
    private static string CollapseSpaces(string value)
    {
        var builder = new StringBuilder(value.Length);
        var pendingSpace = false;
        foreach (var c in value.Trim())
        {
            if (char.IsWhiteSpace(c))
            {
                pendingSpace = true;
                continue;
            }

            if (pendingSpace)
            {
                builder.Append(' ');
                pendingSpace = false;
            }

            builder.Append(c);
        }

        return builder.ToString();
    }
}
