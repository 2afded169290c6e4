using System.Text.Json.Serialization;

namespace MaintenanceWorkflows.Workflows.Plans;

/// <summary>
/// One execution step. A step that changes state must declare how to undo it: an explicit
/// <see cref="Rollback"/> step, or (lambda.promote only) the built-in compensation that restores the
/// alias to the version it had before.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(LambdaPromoteStep), StepTypes.LambdaPromote)]
[JsonDerivedType(typeof(HttpRequestStep), StepTypes.HttpRequest)]
[JsonDerivedType(typeof(CommandStep), StepTypes.Command)]
[JsonDerivedType(typeof(WaitStep), StepTypes.Wait)]
[JsonDerivedType(typeof(ManualStep), StepTypes.Manual)]
[JsonDerivedType(typeof(RolloutStep), StepTypes.Rollout)]
public abstract record PlanStep
{
    public required string Id { get; init; }

    public required string Title { get; init; }

    /// <summary>Upper bound for the step's activity; null means the worker's default for the step type.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>Explicit compensation, run in reverse order when the window rolls back.</summary>
    public PlanStep? Rollback { get; init; }

    [JsonIgnore]
    public abstract string StepType { get; }

    /// <summary>Whether running this step changes something that a rollback must restore.</summary>
    [JsonIgnore]
    public abstract bool ChangesState { get; }

    [JsonIgnore]
    public virtual bool HasBuiltInCompensation => false;

    [JsonIgnore]
    public bool HasCompensation => Rollback is not null || HasBuiltInCompensation;
}

public static class StepTypes
{
    public const string LambdaPromote = "lambda.promote";
    public const string HttpRequest = "http.request";
    public const string Command = "command";
    public const string Wait = "wait";
    public const string Manual = "manual";
    public const string Rollout = "rollout";

    public static IReadOnlyList<string> All { get; } = [LambdaPromote, HttpRequest, Command, Wait, Manual, Rollout];
}

/// <summary>Points a Lambda alias at a version (or at a freshly published one); undone by restoring the old version.</summary>
public sealed record LambdaPromoteStep : PlanStep
{
    /// <summary>Function name (not an ARN with an account: the worker resolves account and region).</summary>
    public required string Function { get; init; }

    public required string Alias { get; init; }

    /// <summary>Target version; null with <see cref="Publish"/> true publishes $LATEST first.</summary>
    public string? Version { get; init; }

    public bool Publish { get; init; }

    public override string StepType => StepTypes.LambdaPromote;

    public override bool ChangesState => true;

    public override bool HasBuiltInCompensation => true;
}

public sealed record HttpRequestStep : PlanStep
{
    public string Method { get; init; } = "POST";

    /// <summary>Absolute URL; alternatively <see cref="Target"/> + <see cref="Path"/>.</summary>
    public string? Url { get; init; }

    /// <summary>Name of a base URL the worker resolves (keeps hosts and credentials out of the plan).</summary>
    public string? Target { get; init; }

    public string? Path { get; init; }

    public string? Body { get; init; }

    public int ExpectedStatus { get; init; } = 200;

    /// <summary>Null means "GET/HEAD/OPTIONS are read-only, everything else changes state".</summary>
    public bool? Mutates { get; init; }

    public override string StepType => StepTypes.HttpRequest;

    public override bool ChangesState => Mutates ?? !IsSafeMethod(Method);

    private static bool IsSafeMethod(string method) =>
        method.Equals("GET", StringComparison.OrdinalIgnoreCase)
        || method.Equals("HEAD", StringComparison.OrdinalIgnoreCase)
        || method.Equals("OPTIONS", StringComparison.OrdinalIgnoreCase);
}

/// <summary>Runs a command the worker allow-lists by name, with named arguments; never a shell string.</summary>
public sealed record CommandStep : PlanStep
{
    public required string Command { get; init; }

    public IReadOnlyDictionary<string, string> Args { get; init; } = new Dictionary<string, string>();

    public bool Mutates { get; init; } = true;

    public override string StepType => StepTypes.Command;

    public override bool ChangesState => Mutates;
}

public sealed record WaitStep : PlanStep
{
    public required TimeSpan Duration { get; init; }

    public override string StepType => StepTypes.Wait;

    public override bool ChangesState => false;
}

/// <summary>An operator action outside our reach (e.g. a provider portal), acknowledged by signal.</summary>
public sealed record ManualStep : PlanStep
{
    public required string Instructions { get; init; }

    /// <summary>Who may acknowledge; empty means any eligible approver or the requester.</summary>
    public IReadOnlyList<string> AcknowledgedBy { get; init; } = [];

    public bool Mutates { get; init; }

    public override string StepType => StepTypes.Manual;

    public override bool ChangesState => Mutates;
}
