namespace MaintenanceWorkflows.Workflows.Contracts;

/// <summary>SES sending quota: SentLast24Hours against Max24HourSend, as a percentage.</summary>
/// <param name="CheckId">Id of the check in the plan.</param>
/// <param name="Name">Human name of the check.</param>
/// <param name="AmberPercent">Amber at or above this share of the quota (the seeds: 160/200 = 80).</param>
/// <param name="RedPercent">Red at or above this share (100 means the quota is exhausted).</param>
public sealed record EmailQuotaCheckInput(
    string CheckId,
    string Name,
    double AmberPercent = 80,
    double RedPercent = 100);
