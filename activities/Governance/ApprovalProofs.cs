using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace MaintenanceWorkflows.Activities.Governance;

/// <summary>
/// Proof codes: HMAC-SHA256 under the worker's key over the window id, the run, the person, the purpose
/// (approve, reject, extend-n) and the expiry, shown as the key id plus 80 bits in base32
/// (<c>k1-ABCD-EFGH-JKLM-NPQR</c>). Only the worker can make or check one; a code for one window, run,
/// person or decision says nothing about any other.
/// </summary>
public sealed class ApprovalProofs
{
    private const string Alphabet = MaintenanceWorkflows.Workflows.Governance.ProofCodeShape.Alphabet;
    private const int CodeBytes = 10;
    private readonly string currentId;
    private readonly Dictionary<string, byte[]> keys = new(StringComparer.OrdinalIgnoreCase);

    public ApprovalProofs(IOptions<ApprovalOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var value = options.Value;
        currentId = value.SigningKeyId;
        keys[currentId] = Encoding.UTF8.GetBytes(value.SigningKey ?? throw new InvalidOperationException("Approvals:SigningKey is not set."));
        foreach (var (id, key) in value.PreviousKeys)
        {
            keys[id] = Encoding.UTF8.GetBytes(key);
        }
    }

    /// <summary>The code for one person and purpose, under the current key.</summary>
    public string Issue(string windowId, string runId, string person, string purpose, DateTimeOffset expires) =>
        $"{currentId}-{Mac(keys[currentId], windowId, runId, person, purpose, expires)}";

    /// <summary>Checks a typed code; the reason never repeats the code.</summary>
    public ProofCheck Verify(string windowId, string runId, string person, string purpose, DateTimeOffset expires, string? code, DateTimeOffset at)
    {
        var typed = Normalize(code);
        if (typed.Length == 0)
        {
            return new(false, $"no proof code: {purpose} needs the code mailed to {person} for this window");
        }
        var dash = typed.IndexOf('-', StringComparison.Ordinal);
        if (dash <= 0)
        {
            return new(false, "the proof code is malformed: it looks like k1-XXXX-XXXX-XXXX-XXXX");
        }
        var keyId = typed[..dash].ToLowerInvariant();
        if (!keys.TryGetValue(keyId, out var key))
        {
            return new(false, $"the proof code was issued under key '{keyId}', which this worker does not hold (rotated out, or not a code of ours)");
        }
        var expected = Encoding.ASCII.GetBytes(Mac(key, windowId, runId, person, purpose, expires).Replace("-", string.Empty, StringComparison.Ordinal));
        var given = Encoding.ASCII.GetBytes(typed[(dash + 1)..].Replace("-", string.Empty, StringComparison.Ordinal));
        if (!CryptographicOperations.FixedTimeEquals(expected, given))
        {
            return new(false, $"the proof code is not {person}'s {purpose} code for this window and run (wrong person, decision, window or run)");
        }
        if (at > expires)
        {
            return new(false, $"the proof code expired at {expires.UtcDateTime:yyyy-MM-dd HH:mm} UTC");
        }
        return new(true, $"proof ok (key {keyId})");
    }

    private static string Normalize(string? code) =>
        new((code ?? string.Empty).Trim().ToUpperInvariant().Where(c => !char.IsWhiteSpace(c)).ToArray());

    private static string Mac(byte[] key, string windowId, string runId, string person, string purpose, DateTimeOffset expires)
    {
        var message = string.Join('\n', "maintenance-proof-v1", windowId, runId, person.Trim().ToUpperInvariant(), purpose, expires.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture));
        var mac = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(message));
        var text = Base32(mac.AsSpan(0, CodeBytes));
        return string.Join('-', Enumerable.Range(0, text.Length / 4).Select(i => text.Substring(i * 4, 4)));
    }

    private static string Base32(ReadOnlySpan<byte> bytes)
    {
        var builder = new StringBuilder();
        var buffer = 0;
        var bits = 0;
        foreach (var b in bytes)
        {
            buffer = (buffer << 8) | b;
            bits += 8;
            while (bits >= 5)
            {
                builder.Append(Alphabet[(buffer >> (bits - 5)) & 31]);
                bits -= 5;
            }
        }
        return builder.ToString();
    }
}

/// <param name="Valid">Whether the code proves the claim.</param>
/// <param name="Reason">Why (never the code itself).</param>
public sealed record ProofCheck(bool Valid, string Reason);
