using System.Text.Json.Serialization;

namespace MaintenanceWorkflows.Workflows.Contracts;

/// <summary>Traffic-light outcome of a check; amber passes but should be shown to people.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<CheckStatus>))]
public enum CheckStatus
{
    /// <summary>Within every threshold.</summary>
    Green,

    /// <summary>Passed, but past the warning threshold (for example SES quota at 160/200).</summary>
    Amber,

    /// <summary>Failed: a blocking check with this status stops or rolls back the window.</summary>
    Red,
}

/// <summary>
/// What every check activity returns. A failing check is a result with <see cref="CheckStatus.Red"/>,
/// never an exception; exceptions mean the check could not be run at all (bad input, missing config).
/// </summary>
/// <param name="CheckId">Id of the check in the plan, echoed from the input.</param>
/// <param name="Name">Human name of the check, echoed from the input.</param>
/// <param name="Status">Green, amber or red.</param>
/// <param name="Observed">What was seen, for people (for example "v39", "160/200 (80%)", "HTTP 502").</param>
/// <param name="Threshold">What was expected (for example "v40", "amber at 80%, red at 100%").</param>
/// <param name="Message">One sentence explaining the status.</param>
/// <param name="Latency">How long the check's remote calls took.</param>
/// <param name="CheckedAt">When the check ran (UTC).</param>
/// <param name="Details">Per-item outcomes (per route, per required key); empty when not applicable.</param>
public sealed record CheckResult(
    string CheckId,
    string Name,
    CheckStatus Status,
    string Observed,
    string Threshold,
    string Message,
    TimeSpan Latency,
    DateTimeOffset CheckedAt,
    IReadOnlyList<CheckDetail> Details)
{
    /// <summary>Gets a value indicating whether the check passed (green or amber).</summary>
    public bool Passed => Status != CheckStatus.Red;
}

/// <summary>One item inside a check, such as one route or one required JSON key.</summary>
/// <param name="Name">The item (route path, JSON path, version...).</param>
/// <param name="Passed">Whether this item met its expectation.</param>
/// <param name="Observed">What was seen for this item.</param>
/// <param name="Message">Why it passed or failed.</param>
public sealed record CheckDetail(string Name, bool Passed, string Observed, string Message);
