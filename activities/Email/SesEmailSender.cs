using MaintenanceWorkflows.Activities.Aws;
using Microsoft.Extensions.Options;

namespace MaintenanceWorkflows.Activities.Email;

/// <summary>An email ready to send: both bodies, so every client shows something readable.</summary>
/// <param name="Subject">Subject line.</param>
/// <param name="Text">Plain-text body.</param>
/// <param name="Html">HTML body, or null for text only.</param>
/// <param name="To">To addresses.</param>
/// <param name="Cc">Cc addresses.</param>
/// <param name="Bcc">Bcc addresses.</param>
/// <param name="ReplyTo">Reply-to addresses.</param>
public sealed record EmailMessage(
    string Subject,
    string Text,
    string? Html,
    IReadOnlyList<string> To,
    IReadOnlyList<string> Cc,
    IReadOnlyList<string> Bcc,
    IReadOnlyList<string> ReplyTo);

/// <summary>Sends email through SES v2 with the configured sender and configuration set.</summary>
public sealed class SesEmailSender(ISesApi ses, IOptions<EmailOptions> options)
{
    public const string Service = "SES";

    /// <summary>Sends and returns SES's message id; AWS errors become Temporal failures with AWS's type.</summary>
    public Task<string> SendAsync(EmailMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var settings = options.Value;
        if (string.IsNullOrWhiteSpace(settings.From))
        {
            throw AwsCall.InvalidInput("Email:From is not configured on the worker; set a verified sender address to send email.");
        }

        if (message.To.Count + message.Cc.Count + message.Bcc.Count == 0)
        {
            throw AwsCall.InvalidInput("The email has no recipients; configure To, Cc or Bcc for the list.");
        }

        var request = new SesSendEmailRequest
        {
            FromEmailAddress = settings.From,
            Destination = new SesDestination
            {
                ToAddresses = message.To.Count == 0 ? null : message.To,
                CcAddresses = message.Cc.Count == 0 ? null : message.Cc,
                BccAddresses = message.Bcc.Count == 0 ? null : message.Bcc,
            },
            ReplyToAddresses = message.ReplyTo.Count == 0 ? null : message.ReplyTo,
            ConfigurationSetName = string.IsNullOrWhiteSpace(settings.ConfigurationSet) ? null : settings.ConfigurationSet,
            Content = new SesEmailContent
            {
                Simple = new SesMessage
                {
                    Subject = new SesText { Data = message.Subject },
                    Body = new SesBody
                    {
                        Text = new SesText { Data = message.Text },
                        Html = message.Html is null ? null : new SesText { Data = message.Html },
                    },
                },
            },
        };

        return SendCoreAsync(request, cancellationToken);
    }

    public Task<SesAccount> GetAccountAsync(CancellationToken cancellationToken) =>
        AwsCall.RunAsync(Service, "GetAccount", () => ses.GetAccountAsync(cancellationToken));

    private async Task<string> SendCoreAsync(SesSendEmailRequest request, CancellationToken cancellationToken)
    {
        var response = await AwsCall.RunAsync(Service, "SendEmail", () => ses.SendEmailAsync(request, cancellationToken));
        return response.MessageId ?? throw new InvalidOperationException("SES accepted the email but returned no MessageId.");
    }
}
