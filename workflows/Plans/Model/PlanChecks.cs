using System.Text.Json.Serialization;

namespace MaintenanceWorkflows.Workflows.Plans;

/// <summary>An automated check; pre checks gate execution, verify checks run over the soak period.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(HttpStatusCheck), CheckTypes.HttpStatus)]
[JsonDerivedType(typeof(HttpJsonCheck), CheckTypes.HttpJson)]
[JsonDerivedType(typeof(LambdaAliasCheck), CheckTypes.LambdaAlias)]
[JsonDerivedType(typeof(LambdaInvokeCheck), CheckTypes.LambdaInvoke)]
[JsonDerivedType(typeof(EmailQuotaCheck), CheckTypes.EmailQuota)]
[JsonDerivedType(typeof(FreezeCheck), CheckTypes.Freeze)]
public abstract record PlanCheck
{
    /// <summary>How long a check may take when the plan gives no <see cref="Timeout"/>.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    public required string Id { get; init; }

    public required string Title { get; init; }

    public CheckPhase When { get; init; } = CheckPhase.Both;

    /// <summary>A failing blocking pre check postpones the window; a failing blocking verify check counts towards rollback.</summary>
    public bool Blocking { get; init; } = true;

    public TimeSpan? Timeout { get; init; }

    [JsonIgnore]
    public TimeSpan TimeoutOrDefault => Timeout ?? DefaultTimeout;

    [JsonIgnore]
    public abstract string CheckType { get; }

    [JsonIgnore]
    public bool RunsPre => When is CheckPhase.Pre or CheckPhase.Both;

    [JsonIgnore]
    public bool RunsVerify => When is CheckPhase.Verify or CheckPhase.Both;
}

public static class CheckTypes
{
    public const string HttpStatus = "http.status";
    public const string HttpJson = "http.json";
    public const string LambdaAlias = "lambda.alias";
    public const string LambdaInvoke = "lambda.invoke";
    public const string EmailQuota = "email.quota";
    public const string Freeze = "freeze";

    public static IReadOnlyList<string> All { get; } = [HttpStatus, HttpJson, LambdaAlias, LambdaInvoke, EmailQuota, Freeze];
}

/// <summary>A route answers with the expected status within a latency bound (seed 001: /beak, /beak/metrics, /beak/system/status).</summary>
public sealed record HttpStatusCheck : PlanCheck
{
    public string? Url { get; init; }

    public string? Target { get; init; }

    public string? Path { get; init; }

    public int ExpectedStatus { get; init; } = 200;

    public TimeSpan? MaxLatency { get; init; }

    public override string CheckType => CheckTypes.HttpStatus;
}

/// <summary>A JSON endpoint answers with the required keys (dotted paths, e.g. lambda.version) and expected values.</summary>
public sealed record HttpJsonCheck : PlanCheck
{
    public string? Url { get; init; }

    public string? Target { get; init; }

    public string? Path { get; init; }

    public int ExpectedStatus { get; init; } = 200;

    public IReadOnlyList<string> RequiredKeys { get; init; } = [];

    public IReadOnlyList<JsonExpectation> Expect { get; init; } = [];

    public TimeSpan? MaxLatency { get; init; }

    public override string CheckType => CheckTypes.HttpJson;
}

public sealed record JsonExpectation
{
    /// <summary>Dotted path into the response, e.g. lambda.version.</summary>
    public required string Path { get; init; }

    /// <summary>Expected value, compared with the JSON value's text.</summary>
    public required string EqualTo { get; init; }
}

/// <summary>The alias points at the expected version (alias parity).</summary>
public sealed record LambdaAliasCheck : PlanCheck
{
    public required string Function { get; init; }

    public required string Alias { get; init; }

    public required string ExpectedVersion { get; init; }

    public override string CheckType => CheckTypes.LambdaAlias;
}

/// <summary>Smoke invocation; fails on a function error or when it takes longer than the cold-start limit.</summary>
public sealed record LambdaInvokeCheck : PlanCheck
{
    /// <summary>Cold-start limit when the plan gives none (seed 001: review when cold starts exceed 2,000 ms).</summary>
    public static readonly TimeSpan DefaultMaxDuration = TimeSpan.FromMilliseconds(2000);

    public required string Function { get; init; }

    /// <summary>Alias or version to invoke.</summary>
    public required string Qualifier { get; init; }

    /// <summary>JSON payload sent to the function.</summary>
    public string Payload { get; init; } = "{}";

    public TimeSpan? MaxDuration { get; init; }

    [JsonIgnore]
    public TimeSpan MaxDurationOrDefault => MaxDuration ?? DefaultMaxDuration;

    public override string CheckType => CheckTypes.LambdaInvoke;
}

/// <summary>Email sending quota used in the last 24 h: amber warns (and tells approvers), red fails.</summary>
public sealed record EmailQuotaCheck : PlanCheck
{
    /// <summary>Sent-in-24h count at which the check turns amber (seed 001: 160 of 200).</summary>
    public required int AmberAt { get; init; }

    /// <summary>Sent-in-24h count at which the check fails.</summary>
    public required int RedAt { get; init; }

    /// <summary>Name of the email account/region the worker resolves; null means its default.</summary>
    public string? Account { get; init; }

    public override string CheckType => CheckTypes.EmailQuota;
}

/// <summary>No change freeze is active: the policy's freezes, plus an external freeze flag when a source is named.</summary>
public sealed record FreezeCheck : PlanCheck
{
    /// <summary>Name of a freeze flag the worker resolves (e.g. the dashboard's Change Freeze banner).</summary>
    public string? Source { get; init; }

    public override string CheckType => CheckTypes.Freeze;
}
