using System.ComponentModel.DataAnnotations;

namespace MaintenanceWorkflows.Activities.Email;

/// <summary>Section <c>Email</c>: sender, configuration set and named recipient lists (SES endpoint under Aws:Ses).</summary>
public sealed class EmailOptions : IValidatableObject
{
    public const string Section = "Email";

    /// <summary>Verified sender address, for example "Maintenance &lt;maintenance@example.com&gt;".</summary>
    public string? From { get; set; }

    /// <summary>SES configuration set for delivery events; empty for none.</summary>
    public string? ConfigurationSet { get; set; }

    /// <summary>Name plans use for this SES account in email.quota checks.</summary>
    public string AccountName { get; set; } = "default";

    /// <summary>Recipient lists by channel name (Email:Lists:&lt;name&gt;).</summary>
    public Dictionary<string, EmailListOptions> Lists { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Lists.Count > 0 && string.IsNullOrWhiteSpace(From))
        {
            yield return new ValidationResult("Email:From is required when Email:Lists are configured; set a verified sender address.", [nameof(From)]);
        }

        foreach (var (name, list) in Lists)
        {
            if (list.To.Count + list.Cc.Count + list.Bcc.Count == 0)
            {
                yield return new ValidationResult($"Email:Lists:{name} has no recipients; add To, Cc or Bcc addresses.", [nameof(Lists)]);
            }

            foreach (var address in list.To.Concat(list.Cc).Concat(list.Bcc).Concat(list.ReplyTo))
            {
                if (!address.Contains('@', StringComparison.Ordinal))
                {
                    yield return new ValidationResult($"Email:Lists:{name} has '{address}', which is not an email address.", [nameof(Lists)]);
                }
            }
        }
    }
}

/// <summary>One named recipient list.</summary>
public sealed class EmailListOptions
{
    public List<string> To { get; set; } = [];

    public List<string> Cc { get; set; } = [];

    public List<string> Bcc { get; set; } = [];

    public List<string> ReplyTo { get; set; } = [];
}
