namespace MaintenanceWorkflows.Workflows.Governance;

/// <summary>
/// The public shape of a proof code (<c>k1-ABCD-EFGH-JKLM-NPQR</c>: a key id of 1-8 letters or digits, then 16
/// characters of the code alphabet, dashes and spaces ignored, any case). Only the worker can tell a real code
/// from a forged one; the shape the workflow can judge itself, so a junk or mistyped code is refused at once
/// instead of costing a proof-check activity (a flood of junk votes then schedules no work).
/// </summary>
public static class ProofCodeShape
{
    /// <summary>The code alphabet: base32 without 0, 1, I and O, so codes survive being read aloud or retyped.</summary>
    public const string Alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

    public const int KeyIdMaxLength = 8;

    public const int CodeCharacters = 16;

    /// <summary>Null when <paramref name="code"/> has the shape of a proof code; otherwise what is wrong with it (never repeating it).</summary>
    public static string? Problem(string code)
    {
        ArgumentNullException.ThrowIfNull(code);
        var typed = new string(code.Where(c => !char.IsWhiteSpace(c)).ToArray()).ToUpperInvariant();
        var dash = typed.IndexOf('-', StringComparison.Ordinal);
        if (dash <= 0 || dash > KeyIdMaxLength || !typed[..dash].All(char.IsAsciiLetterOrDigit))
        {
            return "the proof code is malformed: it starts with the key id, like k1-XXXX-XXXX-XXXX-XXXX";
        }
        var body = typed[(dash + 1)..].Replace("-", string.Empty, StringComparison.Ordinal);
        if (body.Length != CodeCharacters || !body.All(c => Alphabet.Contains(c, StringComparison.Ordinal)))
        {
            return $"the proof code is malformed: after the key id it has {CodeCharacters} letters and digits (no 0, 1, I or O), like k1-XXXX-XXXX-XXXX-XXXX; copy it from the email";
        }
        return null;
    }
}
