using YamlDotNet.RepresentationModel;

namespace MaintenanceWorkflows.Workflows.Plans;

/// <summary>The fields of a <c>type: rollout</c> step (its id, title, timeout and rollback are read with every step).</summary>
internal static class RolloutMapper
{
    public static RolloutStep? Read(YamlSource s, MapReader m, string? id, string? title)
    {
        var hosts = m.Strings("hosts");
        var fleet = m.String("fleet");
        var steps = m.List("steps", (n, p) => PlanMapper.ReadStep(s, n, p, allowRollback: true));
        var checks = m.List("checks", (n, p) => PlanMapper.ReadCheck(s, n, p));
        var strategy = m.OptionalRef("strategy", (n, p) => ReadStrategy(s, n, p));
        return id is null || title is null
            ? null
            : new RolloutStep { Id = id, Title = title, Hosts = hosts, Fleet = fleet, Steps = steps, Checks = checks, Strategy = strategy ?? new RolloutStrategy() };
    }

    private static RolloutStrategy? ReadStrategy(YamlSource s, YamlNode node, string path)
    {
        var m = MapReader.Of(s, node, path);
        if (m is null)
        {
            return null;
        }

        var canary = m.OptionalRef("canary", (n, p) => ReadCount(s, n, p));
        var batchSize = m.OptionalRef("batchSize", (n, p) => ReadCount(s, n, p));
        var waves = m.List("waves", (n, p) => ReadCount(s, n, p));
        var maxUnavailable = m.OptionalRef("maxUnavailable", (n, p) => ReadCount(s, n, p));
        var maxFailed = m.OptionalRef("maxFailedHosts", (n, p) => ReadCount(s, n, p));
        var pause = m.OptionalRef("pause", (n, p) => ReadPause(s, n, p));
        var onFailure = m.Optional("onFailure", s.Enum<RolloutFailureAction>);
        m.Finish();
        return new RolloutStrategy
        {
            Canary = canary ?? HostCount.None,
            BatchSize = batchSize,
            Waves = waves,
            MaxUnavailable = maxUnavailable,
            MaxFailedHosts = maxFailed ?? HostCount.None,
            Pause = pause,
            OnFailure = onFailure ?? RolloutFailureAction.Halt,
        };
    }

    /// <summary>A host count: a whole number (3) or a share of the fleet (10%).</summary>
    private static HostCount? ReadCount(YamlSource s, YamlNode node, string path)
    {
        var text = s.Scalar(node, path, "a number of hosts (3) or a share of the fleet (10%)");
        if (text is null)
        {
            return null;
        }

        var trimmed = text.Trim();
        if (trimmed.EndsWith('%')
            && double.TryParse(trimmed[..^1].Trim(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var percent))
        {
            if (percent is >= 0 and <= 100)
            {
                return new HostCount { Percent = percent };
            }

            s.Error(node, path, $"expected a share between 0% and 100%, found '{trimmed}'.");
            return null;
        }

        if (int.TryParse(trimmed, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var count))
        {
            return new HostCount { Count = count };
        }

        s.Error(node, path, $"expected a number of hosts (3) or a share of the fleet (10%), found '{trimmed}'.");
        return null;
    }

    private static RolloutPause? ReadPause(YamlSource s, YamlNode node, string path)
    {
        var m = MapReader.Of(s, node, path);
        if (m is null)
        {
            return null;
        }

        var after = m.Optional("after", s.Enum<PauseAfter>);
        var duration = m.Optional("duration", s.Duration);
        var approval = m.Optional("approval", s.Bool);
        m.Finish();
        if (duration is null && approval is not true)
        {
            s.Error(node, path, "a pause needs 'duration: 15m' (a timed pause) or 'approval: true' (a human continue gate).");
            return null;
        }

        return new RolloutPause { After = after ?? PauseAfter.Canary, Duration = duration, Approval = approval ?? false };
    }
}
