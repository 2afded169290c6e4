using System.Text.Json.Serialization;

namespace MaintenanceWorkflows.Workflows.Plans;

/// <summary>How much notice a window needs and which channels carry it (seed 004's table).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<MaintenanceType>))]
public enum MaintenanceType
{
    Routine,
    Urgent,
    Emergency,
}

[JsonConverter(typeof(JsonStringEnumConverter<MaintenancePriority>))]
public enum MaintenancePriority
{
    Low,
    Medium,
    High,
    Critical,
}

/// <summary>Own weekday enum so it serializes by name (System.DayOfWeek would need a converter on every list).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<Weekday>))]
public enum Weekday
{
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

[JsonConverter(typeof(JsonStringEnumConverter<SystemRole>))]
public enum SystemRole
{
    Primary,
    Secondary,
}

/// <summary>When a check runs: before anything changes, during verification after the steps, or both.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<CheckPhase>))]
public enum CheckPhase
{
    Pre,
    Verify,
    Both,
}

[JsonConverter(typeof(JsonStringEnumConverter<ChecklistPhase>))]
public enum ChecklistPhase
{
    Before,
    During,
    After,
}

[JsonConverter(typeof(JsonStringEnumConverter<ChannelKind>))]
public enum ChannelKind
{
    Email,
    Chat,
    StatusPage,
}

/// <summary>What patching a component takes (seed 003: live vs restart vs shutdown).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<PatchMode>))]
public enum PatchMode
{
    Live,
    Restart,
    Shutdown,
}

[JsonConverter(typeof(JsonStringEnumConverter<OverrunAction>))]
public enum OverrunAction
{
    /// <summary>Extend the window (sending an "extended" notice) up to the policy's limit, then roll back.</summary>
    Extend,

    /// <summary>Roll back as soon as the window's end passes.</summary>
    Rollback,

    /// <summary>Keep going and tell the channels; a human decides.</summary>
    Notify,
}

/// <summary>What an approval or steering signal must carry to count.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ProofMode>))]
public enum ProofMode
{
    /// <summary>A code the worker derived for this window, run, person and decision, mailed only to that person.</summary>
    Code,

    /// <summary>The name alone counts; only when the policy says so explicitly for a type (the worker warns at start).</summary>
    None,
}

internal static class WeekdayExtensions
{
    public static NodaTime.IsoDayOfWeek ToIso(this Weekday day) => (NodaTime.IsoDayOfWeek)((int)day + 1);

    public static Weekday FromIso(NodaTime.IsoDayOfWeek day) => (Weekday)((int)day - 1);
}
