using System.Diagnostics;
using System.Globalization;
using MaintenanceWorkflows.Activities.Aws;
using MaintenanceWorkflows.Workflows.Contracts;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MaintenanceWorkflows.Workflows.Plans;
using Temporalio.Activities;
using Temporalio.Exceptions;

namespace MaintenanceWorkflows.Activities.Email;

/// <summary>The email.quota check (run by <see cref="Checks.CheckBatchActivities"/>): the SES sending quota before a change that may trigger transactional mail.</summary>
public sealed class EmailChecks(SesEmailSender sender, IOptions<EmailOptions> options, TimeProvider timeProvider)
{
    public async Task<CheckResult> CheckQuotaAsync(EmailQuotaCheck input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.AmberAt <= 0 || input.RedAt < input.AmberAt)
        {
            throw AwsCall.InvalidInput($"email.quota check '{input.Id}': need 0 < amberAt <= redAt (got amberAt {input.AmberAt}, redAt {input.RedAt}); the seeds use 160 and 200.");
        }

        var accountName = options.Value.AccountName;
        if (input.Account is not null && !string.Equals(input.Account, accountName, StringComparison.OrdinalIgnoreCase))
        {
            throw new ApplicationFailureException(
                $"Email account '{input.Account}' of check '{input.Id}' is not configured on this worker; the configured account is '{accountName}' (Email:AccountName).",
                ActivityErrorTypes.UnknownName,
                nonRetryable: true);
        }

        var started = Stopwatch.GetTimestamp();
        var account = await sender.GetAccountAsync(ActivityExecutionContext.Current.CancellationToken);
        var latency = Stopwatch.GetElapsedTime(started);
        var quota = account.SendQuota ?? new SesSendQuota();
        var sent = quota.SentLast24Hours;
        var max = quota.Max24HourSend;
        var percent = max > 0 ? sent / max * 100 : 0;
        var observed = string.Create(CultureInfo.InvariantCulture, $"{sent:0}/{max:0} ({percent:0}%)");
        var threshold = string.Create(CultureInfo.InvariantCulture, $"amber at {input.AmberAt}, red at {input.RedAt} sent in 24 h");

        var details = new List<CheckDetail>
        {
            new("sent last 24 h", sent < input.RedAt, sent.ToString("0", CultureInfo.InvariantCulture), threshold),
            new("sending enabled", account.SendingEnabled != false, account.SendingEnabled?.ToString() ?? "unknown", "SES must accept outgoing mail"),
            new("production access", account.ProductionAccessEnabled != false, account.ProductionAccessEnabled?.ToString() ?? "unknown", "in the sandbox SES only delivers to verified addresses"),
        };

        CheckStatus status;
        string message;
        if (account.SendingEnabled == false)
        {
            status = CheckStatus.Red;
            message = $"SES sending is disabled for this account (enforcement: {account.EnforcementStatus ?? "unknown"}).";
        }
        else if (sent >= input.RedAt || (max > 0 && sent >= max))
        {
            status = CheckStatus.Red;
            message = $"SES quota exhausted or past red: {observed}. Defer the change or raise the quota.";
        }
        else if (sent >= input.AmberAt)
        {
            status = CheckStatus.Amber;
            message = $"SES quota near the limit: {observed}. Defer to off-peak or tell the approver before the change sends mail.";
        }
        else if (account.ProductionAccessEnabled == false)
        {
            status = CheckStatus.Amber;
            message = $"SES account is in the sandbox: only verified addresses receive mail ({observed} used).";
        }
        else
        {
            status = CheckStatus.Green;
            message = $"SES quota fine: {observed}.";
        }

        ActivityExecutionContext.Current.Logger.LogInformation("Email quota check {CheckId}: {Status} {Observed}", input.Id, status, observed);
        return new CheckResult(input.Id, input.Title, status, observed, threshold, message, latency, timeProvider.GetUtcNow(), details);
    }
}
