using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace MaintenanceWorkflows.Activities.Governance;

/// <summary>
/// Section <c>Approvals</c>: the key that signs approval codes. Rotation: move the current key to
/// <c>PreviousKeys:&lt;its id&gt;</c>, set a new <c>SigningKey</c> with a new <c>SigningKeyId</c>; codes already
/// mailed keep working until their windows end, then drop the old key.
/// </summary>
public sealed class ApprovalOptions
{
    public const string Section = "Approvals";

    public const int MinimumKeyLength = 32;

    /// <summary>Gets or sets the current key (at least 32 characters of random text); codes are issued under it.</summary>
    public string? SigningKey { get; set; }

    /// <summary>Gets or sets the id written at the front of every code, so the worker knows which key checks it.</summary>
    public string SigningKeyId { get; set; } = "k1";

    /// <summary>Gets or sets keys that only verify (codes issued before a rotation), by id.</summary>
    public Dictionary<string, string> PreviousKeys { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}

/// <summary>Names the key and the fix; never prints a key.</summary>
public sealed partial class ApprovalOptionsValidator : IValidateOptions<ApprovalOptions>
{
    public ValidateOptionsResult Validate(string? name, ApprovalOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.SigningKey))
        {
            failures.Add(
                "Approvals:SigningKey is not set: approvals need proof codes signed by a key only the worker holds. " +
                $"Set Approvals__SigningKey to at least {ApprovalOptions.MinimumKeyLength} random characters (e.g. `openssl rand -base64 48`).");
        }
        else if (options.SigningKey.Length < ApprovalOptions.MinimumKeyLength)
        {
            failures.Add($"Approvals:SigningKey is {options.SigningKey.Length} characters; use at least {ApprovalOptions.MinimumKeyLength} random characters.");
        }
        if (!KeyId().IsMatch(options.SigningKeyId ?? string.Empty))
        {
            failures.Add($"Approvals:SigningKeyId '{options.SigningKeyId}' must be 1-8 lower-case letters or digits, e.g. k2.");
        }
        foreach (var (id, key) in options.PreviousKeys)
        {
            if (!KeyId().IsMatch(id))
            {
                failures.Add($"Approvals:PreviousKeys:{id}: the id must be 1-8 lower-case letters or digits.");
            }
            if (string.Equals(id, options.SigningKeyId, StringComparison.OrdinalIgnoreCase))
            {
                failures.Add($"Approvals:PreviousKeys:{id} has the id of the current key; give the new key a new Approvals:SigningKeyId.");
            }
            if (string.IsNullOrEmpty(key) || key.Length < ApprovalOptions.MinimumKeyLength)
            {
                failures.Add($"Approvals:PreviousKeys:{id} must be at least {ApprovalOptions.MinimumKeyLength} characters.");
            }
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    [GeneratedRegex("^[a-z0-9]{1,8}$")]
    private static partial Regex KeyId();
}

