using System.Globalization;
using System.Text;
using System.Text.Json;
using MaintenanceWorkflows.Activities.Aws;

namespace MaintenanceWorkflows.Activities.Tests.Aws;

/// <summary>Runs every case of AWS's SigV4 test suite (see SigV4TestSuite/README.md for provenance).</summary>
public class SigV4TestSuiteTests
{
    private static readonly string SuiteDirectory = Path.Combine(AppContext.BaseDirectory, "Aws", "SigV4TestSuite");

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var directory in Directory.GetDirectories(SuiteDirectory).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(directory));
        }

        return data;
    }

    [Fact]
    public void Cases_SuiteIsPresent_HasEveryVectorFolder()
    {
        Assert.Equal(38, Cases().Count);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Sign_AwsTestSuiteCase_MatchesCanonicalRequestStringToSignAndSignature(string name)
    {
        var folder = Path.Combine(SuiteDirectory, name);
        var vector = SuiteVector.Load(folder);

        var signature = SigV4Signer.Sign(
            vector.Request,
            vector.AccessKeyId,
            vector.SecretAccessKey,
            vector.Region,
            vector.Service,
            vector.Timestamp);

        Assert.Equal(ReadNormalized(folder, "header-canonical-request.txt"), signature.CanonicalRequest);
        Assert.Equal(ReadNormalized(folder, "header-string-to-sign.txt"), signature.StringToSign);
        Assert.Equal(ReadNormalized(folder, "header-signature.txt").Trim(), signature.Signature);
    }

    private static string ReadNormalized(string folder, string file) =>
        File.ReadAllText(Path.Combine(folder, file)).Replace("\r\n", "\n", StringComparison.Ordinal);

    private sealed record SuiteVector(
        SigV4Request Request,
        string AccessKeyId,
        string SecretAccessKey,
        string Region,
        string Service,
        DateTimeOffset Timestamp)
    {
        public static SuiteVector Load(string folder)
        {
            using var context = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "context.json")));
            var root = context.RootElement;
            var credentials = root.GetProperty("credentials");
            var timestamp = DateTimeOffset.Parse(root.GetProperty("timestamp").GetString()!, CultureInfo.InvariantCulture);
            var signBody = root.TryGetProperty("sign_body", out var sb) && sb.GetBoolean();
            var omitToken = root.TryGetProperty("omit_session_token", out var ot) && ot.GetBoolean();
            var normalize = !root.TryGetProperty("normalize", out var n) || n.GetBoolean();

            var raw = File.ReadAllText(Path.Combine(folder, "request.txt")).Replace("\r\n", "\n", StringComparison.Ordinal);
            var headerEnd = raw.IndexOf("\n\n", StringComparison.Ordinal);
            var head = headerEnd < 0 ? raw.TrimEnd('\n') : raw[..headerEnd];
            var body = headerEnd < 0 ? string.Empty : raw[(headerEnd + 2)..];
            var lines = head.Split('\n');

            // The request line may hold spaces inside the path (get-space), so split at the first and last space.
            var requestLine = lines[0];
            var method = requestLine[..requestLine.IndexOf(' ', StringComparison.Ordinal)];
            var target = requestLine[(method.Length + 1)..requestLine.LastIndexOf(' ')];
            var question = target.IndexOf('?', StringComparison.Ordinal);
            var path = question < 0 ? target : target[..question];
            var query = question < 0 ? string.Empty : target[(question + 1)..];

            var headers = new List<KeyValuePair<string, string>>();
            foreach (var line in lines.Skip(1))
            {
                if (line.Length > 0 && char.IsWhiteSpace(line[0]))
                {
                    var last = headers[^1];
                    headers[^1] = new(last.Key, last.Value + " " + line.Trim());
                    continue;
                }

                var colon = line.IndexOf(':', StringComparison.Ordinal);
                headers.Add(new(line[..colon], line[(colon + 1)..]));
            }

            var bodyHash = SigV4Signer.HexSha256(Encoding.UTF8.GetBytes(body));
            headers.Add(new("X-Amz-Date", timestamp.UtcDateTime.ToString(SigV4Signer.AmzDateFormat, CultureInfo.InvariantCulture)));
            if (credentials.TryGetProperty("token", out var token) && !omitToken)
            {
                headers.Add(new("X-Amz-Security-Token", token.GetString()!));
            }

            if (signBody)
            {
                headers.Add(new("X-Amz-Content-Sha256", bodyHash));
            }

            return new SuiteVector(
                new SigV4Request(method, path, query, headers, bodyHash, normalize),
                credentials.GetProperty("access_key_id").GetString()!,
                credentials.GetProperty("secret_access_key").GetString()!,
                root.GetProperty("region").GetString()!,
                root.GetProperty("service").GetString()!,
                timestamp);
        }
    }
}
