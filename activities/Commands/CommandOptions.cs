namespace MaintenanceWorkflows.Activities.Commands;

/// <summary>Section <c>Commands</c>: the allow-list of runbook commands, by name.</summary>
public sealed class CommandsOptions() : Dictionary<string, CommandOptions>(StringComparer.OrdinalIgnoreCase)
{
    public const string Section = "Commands";
}

/// <summary>One allow-listed command. Plans name it and fill its placeholders; nothing runs through a shell.</summary>
public sealed class CommandOptions
{
    /// <summary>Absolute path of the executable.</summary>
    public string? Executable { get; set; }

    /// <summary>Arguments, each passed as one argv entry; <c>{name}</c> is replaced by the plan's value for that placeholder.</summary>
    public List<string> Arguments { get; set; } = [];

    /// <summary>Working directory; empty for the worker's current directory.</summary>
    public string? WorkingDirectory { get; set; }

    /// <summary>The process is killed after this long.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How often the activity heartbeats while the process runs.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Names of worker environment variables this command may see. A command gets only these, the basics
    /// (<see cref="CommandActivities.BasicEnvironment"/>) and <see cref="Environment"/>, never the worker's whole environment.
    /// </summary>
    public List<string> PassEnvironment { get; set; } = [];

    /// <summary>
    /// False for a command that must not run twice (it is not re-run on a later attempt after a worker crash or
    /// restart; the step fails with an escalation for a human instead).
    /// </summary>
    public bool Idempotent { get; set; } = true;

    /// <summary>Each output line is cut to this many characters (the rest is counted, not kept).</summary>
    public int MaxLineLength { get; set; } = 2000;

    /// <summary>Only the first this many output lines go to the worker log; the tail is kept either way.</summary>
    public int MaxLoggedLines { get; set; } = 5000;

    /// <summary>Extra environment variables (may hold secrets: they are never logged or returned).</summary>
    public Dictionary<string, string> Environment { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Regular expression each placeholder's value must match in full (anchored \A..\z); unlisted placeholders use
    /// <see cref="DefaultPlaceholderPattern"/>. Whatever the pattern, values with control characters or a '..' segment are
    /// refused, and so is a leading '-' unless the pattern itself starts with a dash.
    /// </summary>
    public Dictionary<string, string> Placeholders { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Values used when the plan does not give a placeholder.</summary>
    public Dictionary<string, string> Defaults { get; set; } = new(StringComparer.Ordinal);

    /// <summary>How many trailing output lines the result carries.</summary>
    public int TailLines { get; set; } = 40;

    /// <summary>Letters, digits and . _ : / = @ + - only: no spaces, quotes or shell metacharacters.</summary>
    public const string DefaultPlaceholderPattern = "[A-Za-z0-9._:/=@+-]{1,200}";
}
