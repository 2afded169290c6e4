namespace MaintenanceWorkflows.Workflows.Contracts;

/// <summary>SES sending quota: SentLast24Hours against the amber and red counts.</summary>
/// <param name="CheckId">Id of the check in the plan.</param>
/// <param name="Name">Human name of the check.</param>
/// <param name="AmberAt">Sent-in-24h count at which the check turns amber (the seeds: 160 of 200).</param>
/// <param name="RedAt">Sent-in-24h count at which the check fails.</param>
/// <param name="Account">Email account configured on the worker (<c>Email:Accounts:&lt;name&gt;</c>); null for the default.</param>
public sealed record EmailQuotaCheckInput(
    string CheckId,
    string Name,
    int AmberAt,
    int RedAt,
    string? Account = null);
