namespace MaintenanceWorkflows.Activities.Rollout;

/// <summary>
/// Section <c>Fleets</c>: named host lists a rollout step refers to with <c>fleet: &lt;name&gt;</c>, e.g.
/// <c>Fleets:proxmox:0 = pve-{01..08}</c> (env <c>Fleets__proxmox__0</c>). Entries may be ranges.
/// </summary>
public sealed class FleetsOptions() : Dictionary<string, List<string>>(StringComparer.OrdinalIgnoreCase)
{
    public const string Section = "Fleets";

    /// <summary>The fleets as the plan validator takes them.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> AsLookup() =>
        this.ToDictionary(f => f.Key, f => (IReadOnlyList<string>)f.Value, StringComparer.OrdinalIgnoreCase);
}
