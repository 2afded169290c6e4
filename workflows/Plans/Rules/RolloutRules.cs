using System.Globalization;
using System.Text.Json;

namespace MaintenanceWorkflows.Workflows.Plans;

/// <summary>One wave of a rollout: the canary (number 0) or batch k, as a slice of the fleet's host list.</summary>
/// <param name="Number">0 for the canary, 1..n for the batches.</param>
/// <param name="Start">Index of the wave's first host in the fleet.</param>
/// <param name="Count">How many hosts the wave patches.</param>
public sealed record RolloutWave(int Number, int Start, int Count)
{
    public string Name => Number == 0 ? "canary" : $"batch {Number}";
}

/// <summary>
/// Pure rules of fleet rollouts: host ranges, waves, <c>{host}</c> substitution, and validation that names
/// every problem (unknown or empty fleet, batches larger than the fleet, a budget that cannot work,
/// <c>{host}</c> where no host is in scope, waves that cannot fit the window). The workflow calls the same
/// rules, so what the starter accepts is what runs.
/// </summary>
public static class RolloutRules
{
    /// <summary>Largest fleet one rollout takes (after ranges are expanded): bounds inputs and histories.</summary>
    public const int MaxHosts = 50_000;

    public const int MaxHostNameLength = 63;

    private static readonly string[] HostStepTypes = [StepTypes.Command, StepTypes.HttpRequest, StepTypes.Wait];
    private static readonly string[] HostCheckTypes = [CheckTypes.HttpStatus, CheckTypes.HttpJson];

    /// <summary>Expands entries like <c>pve-{01..08}</c> (zero-padded as written) into host names; problems go to <paramref name="errors"/>.</summary>
    public static IReadOnlyList<string> ExpandHosts(IReadOnlyList<string> entries, ICollection<string> errors)
    {
        ArgumentNullException.ThrowIfNull(entries);
        ArgumentNullException.ThrowIfNull(errors);
        var hosts = new List<string>();
        foreach (var entry in entries)
        {
            var open = entry.IndexOf('{', StringComparison.Ordinal);
            var close = open < 0 ? -1 : entry.IndexOf('}', open);
            var range = close < 0 ? null : entry[(open + 1)..close].Split("..");
            if (open < 0)
            {
                hosts.Add(entry.Trim());
            }
            else if (range is [var from, var to] && int.TryParse(from, NumberStyles.None, CultureInfo.InvariantCulture, out var first)
                && int.TryParse(to, NumberStyles.None, CultureInfo.InvariantCulture, out var last) && first <= last)
            {
                if ((long)last - first + 1 + hosts.Count > MaxHosts)
                {
                    errors.Add($"'{Format.Clip(entry, 80)}' expands past {MaxHosts} hosts, the most one rollout takes");
                    return hosts;
                }
                var width = from.Length > 1 && from[0] == '0' ? from.Length : 0;
                for (var n = first; n <= last; n++)
                {
                    hosts.Add(entry[..open] + n.ToString(CultureInfo.InvariantCulture).PadLeft(width, '0') + entry[(close + 1)..]);
                }
            }
            else
            {
                errors.Add($"'{Format.Clip(entry, 80)}' is not a host name or a range like pve-{{01..08}}");
                continue;
            }
            if (hosts.Count > MaxHosts)
            {
                errors.Add($"the fleet has more than {MaxHosts} hosts, the most one rollout takes");
                return hosts;
            }
        }
        foreach (var bad in hosts.Where(h => !IsHostName(h)).Take(5))
        {
            errors.Add($"'{Format.Clip(bad, 80)}' is not a usable host name (letters, digits, '.', '_' and '-', at most {MaxHostNameLength} characters, starting with a letter or digit)");
        }
        foreach (var twice in hosts.GroupBy(h => h, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1).Take(5))
        {
            errors.Add($"host '{twice.Key}' is listed {twice.Count()} times");
        }
        return hosts;
    }

    public static bool IsHostName(string host) =>
        host.Length is > 0 and <= MaxHostNameLength && char.IsAsciiLetterOrDigit(host[0])
        && host.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');

    /// <summary>The canary, then the batches, as slices of the host list in order.</summary>
    public static IReadOnlyList<RolloutWave> PlanWaves(int fleetSize, RolloutStrategy strategy)
    {
        ArgumentNullException.ThrowIfNull(strategy);
        var waves = new List<RolloutWave>();
        var done = Math.Min(fleetSize, strategy.Canary.ForBatch(fleetSize));
        if (done > 0)
        {
            waves.Add(new RolloutWave(0, 0, done));
        }
        if (strategy.Waves.Count > 0)
        {
            foreach (var target in strategy.Waves)
            {
                var upTo = Math.Min(fleetSize, target.ForBatch(fleetSize));
                if (upTo > done)
                {
                    waves.Add(new RolloutWave(waves.Count(w => w.Number > 0) + 1, done, upTo - done));
                    done = upTo;
                }
            }
            return waves;
        }
        var size = strategy.BatchSize is { } batch ? Math.Max(1, batch.ForBatch(fleetSize)) : fleetSize - done;
        while (done < fleetSize && size > 0)
        {
            var count = Math.Min(size, fleetSize - done);
            waves.Add(new RolloutWave(waves.Count(w => w.Number > 0) + 1, done, count));
            done += count;
        }
        return waves;
    }

    /// <summary>How many hosts of a wave change at the same time.</summary>
    public static int Parallelism(RolloutStrategy strategy, int fleetSize, int waveSize)
    {
        ArgumentNullException.ThrowIfNull(strategy);
        var limit = strategy.MaxUnavailable is { } max ? Math.Max(1, max.ForBatch(fleetSize)) : waveSize;
        return Math.Max(1, Math.Min(limit, waveSize));
    }

    /// <summary>The step as it runs on <paramref name="host"/>: <c>{host}</c> replaced in arguments, URL, target, path, body and title, rollback included.</summary>
    public static PlanStep ForHost(PlanStep step, string host)
    {
        ArgumentNullException.ThrowIfNull(step);
        var rollback = step.Rollback is null ? null : ForHost(step.Rollback, host);
        return step switch
        {
            CommandStep c => c with { Title = Sub(c.Title, host), Args = c.Args.ToDictionary(a => a.Key, a => Sub(a.Value, host), StringComparer.Ordinal), Rollback = rollback },
            HttpRequestStep h => h with { Title = Sub(h.Title, host), Url = Sub(h.Url, host), Target = Sub(h.Target, host), Path = Sub(h.Path, host), Body = Sub(h.Body, host), Rollback = rollback },
            _ => step with { Title = Sub(step.Title, host), Rollback = rollback },
        };
    }

    public static PlanCheck ForHost(PlanCheck check, string host)
    {
        ArgumentNullException.ThrowIfNull(check);
        return check switch
        {
            HttpStatusCheck c => c with { Title = Sub(c.Title, host), Url = Sub(c.Url, host), Target = Sub(c.Target, host), Path = Sub(c.Path, host) },
            HttpJsonCheck c => c with { Title = Sub(c.Title, host), Url = Sub(c.Url, host), Target = Sub(c.Target, host), Path = Sub(c.Path, host) },
            _ => check with { Title = Sub(check.Title, host) },
        };
    }

    /// <summary>What the waves need at least (waits and timed pauses) and at most (every step using its timeout).</summary>
    public static (TimeSpan Least, TimeSpan? Most) Duration(RolloutStep step, int fleetSize)
    {
        ArgumentNullException.ThrowIfNull(step);
        var least = step.Steps.OfType<WaitStep>().Aggregate(TimeSpan.Zero, (sum, w) => sum + w.Duration);
        TimeSpan? most = step.Steps.All(s => s is WaitStep || s.Timeout is not null)
            ? step.Steps.Aggregate(TimeSpan.Zero, (sum, s) => sum + (s is WaitStep w ? w.Duration : s.Timeout!.Value))
            : null;
        var waves = PlanWaves(fleetSize, step.Strategy);
        var rounds = waves.Sum(w => (w.Count + Parallelism(step.Strategy, fleetSize, w.Count) - 1) / Parallelism(step.Strategy, fleetSize, w.Count));
        var pauses = step.Strategy.Pause is { Duration: { } pause } p
            ? pause * Math.Max(0, p.After == PauseAfter.Canary ? (waves.Any(w => w.Number == 0) && waves.Count > 1 ? 1 : 0) : waves.Count - 1)
            : TimeSpan.Zero;
        return ((least * rounds) + pauses, most is null ? null : (most.Value * rounds) + pauses);
    }

    /// <summary>Every problem of the plan's rollout steps, and <c>{host}</c> anywhere outside them.</summary>
    internal static void Check(ViolationList v, MaintenancePlan plan, IReadOnlyDictionary<string, IReadOnlyList<string>>? fleets)
    {
        for (var i = 0; i < plan.Steps.Count; i++)
        {
            var path = $"steps[{i}]";
            if (plan.Steps[i] is RolloutStep rollout)
            {
                CheckRollout(v, rollout, path, plan.Window.Duration, fleets);
            }
            else if (MentionsHost(plan.Steps[i]))
            {
                OutOfScope(v, path, $"step '{plan.Steps[i].Id}'");
            }
        }
        for (var i = 0; i < plan.Checks.Count; i++)
        {
            if (MentionsHost(plan.Checks[i]))
            {
                OutOfScope(v, $"checks[{i}]", $"check '{plan.Checks[i].Id}'");
            }
        }
    }

    /// <summary>The problems of one rollout against the hosts it resolved to (the workflow checks again at run time with the worker's fleet).</summary>
    public static IReadOnlyList<PlanViolation> ValidateFleet(RolloutStep step, IReadOnlyList<string> hosts, TimeSpan window, string path)
    {
        ArgumentNullException.ThrowIfNull(step);
        ArgumentNullException.ThrowIfNull(hosts);
        var v = new ViolationList();
        CheckStrategy(v, step, hosts.Count, window, path);
        return v;
    }

    private static void CheckRollout(ViolationList v, RolloutStep step, string path, TimeSpan window, IReadOnlyDictionary<string, IReadOnlyList<string>>? fleets)
    {
        if (step.Rollback is not null)
        {
            v.Error(RolloutCodes.Rollback, path + ".rollback", $"Rollout '{step.Id}' declares a rollback of its own; a rollout is undone host by host.", "Remove it and give each host step that changes something its own rollback.");
        }
        if (step.Steps.Count == 0)
        {
            v.Error(ViolationCodes.NoSteps, path + ".steps", $"Rollout '{step.Id}' runs nothing on its hosts.", "List the host steps under steps: (a command or http.request with {host} in it).");
        }
        v.Duplicates(step.Steps.Select((s, j) => (s.Id, $"{path}.steps[{j}]")), "host step");
        v.Duplicates(step.Checks.Select((c, j) => (c.Id, $"{path}.checks[{j}]")), "host check");
        for (var j = 0; j < step.Steps.Count; j++)
        {
            var hostStep = step.Steps[j];
            var stepPath = $"{path}.steps[{j}]";
            if (!HostStepTypes.Contains(hostStep.StepType) || (hostStep.Rollback is { } r && !HostStepTypes.Contains(r.StepType)))
            {
                var type = HostStepTypes.Contains(hostStep.StepType) ? hostStep.Rollback!.StepType : hostStep.StepType;
                v.Error(RolloutCodes.HostStepType, stepPath, $"Host step '{hostStep.Id}' is (or rolls back with) a {type}, which a rollout cannot run on each host.", $"Use {string.Join(", ", HostStepTypes)} on hosts; put other steps before or after the rollout.");
                continue;
            }
            var sample = ForHost(hostStep, "example-host");
            PlanValidator.CheckStep(v, sample, stepPath);
            if (sample.Rollback is { } rollback)
            {
                PlanValidator.CheckStep(v, rollback, stepPath + ".rollback");
            }
            if (hostStep.ChangesState && !hostStep.HasCompensation)
            {
                v.Error(ViolationCodes.StepWithoutRollback, stepPath + ".rollback", $"Host step '{hostStep.Id}' ({hostStep.StepType}) changes state but declares no rollback.", "Add rollback: with a step that undoes it on {host}, or set mutates: false if it changes nothing.");
            }
        }
        for (var j = 0; j < step.Checks.Count; j++)
        {
            var check = step.Checks[j];
            if (!HostCheckTypes.Contains(check.CheckType))
            {
                v.Error(RolloutCodes.HostCheckType, $"{path}.checks[{j}]", $"Host check '{check.Id}' is a {check.CheckType}, which says nothing about one host.", $"Use {string.Join(" or ", HostCheckTypes)} with {{host}} in its URL or path.");
                continue;
            }
            PlanValidator.CheckCheck(v, ForHost(check, "example-host"), $"{path}.checks[{j}]");
        }
        if (!step.Steps.Any(MentionsHost) && !step.Checks.Any(MentionsHost))
        {
            v.Warning(RolloutCodes.NoHostPlaceholder, path + ".steps", $"No host step or check of rollout '{step.Id}' mentions {{host}}, so every host runs exactly the same thing.", "Put {host} where the host's name belongs (e.g. args: { node: \"{host}\" } or path: /hosts/{host}/health).");
        }
        if (step.Checks.Count == 0 && step.ChangesState)
        {
            v.Warning(RolloutCodes.NoHostChecks, path + ".checks", $"Rollout '{step.Id}' checks no host after patching it, so only a failed step can fail a host.", "Add a host check, e.g. http.status on /hosts/{host}/health.");
        }

        var hosts = ResolveForValidation(v, step, path, fleets);
        if (hosts is not null)
        {
            CheckStrategy(v, step, hosts.Count, window, path);
        }
    }

    private static IReadOnlyList<string>? ResolveForValidation(ViolationList v, RolloutStep step, string path, IReadOnlyDictionary<string, IReadOnlyList<string>>? fleets)
    {
        if (step.Fleet is not null && step.Hosts.Count > 0)
        {
            v.Error(RolloutCodes.HostsAndFleet, path + ".fleet", $"Rollout '{step.Id}' names both a fleet and hosts.", "Keep one: fleet: <name> (the worker's list) or hosts: [...].");
            return null;
        }
        if (step.Fleet is null && step.Hosts.Count == 0)
        {
            v.Error(RolloutCodes.EmptyFleet, path + ".hosts", $"Rollout '{step.Id}' names no hosts.", "Add hosts: [pve-{01..08}] or fleet: <a name from the worker's Fleets configuration>.");
            return null;
        }
        var errors = new List<string>();
        IReadOnlyList<string> hosts;
        if (step.Fleet is { } fleet)
        {
            if (fleets is null)
            {
                v.Warning(RolloutCodes.FleetUnchecked, path + ".fleet", $"Fleet '{fleet}' is resolved by the worker (Fleets:{fleet}); its size, batches and budget are checked when the window is scheduled.", "Nothing to do here; or list the hosts inline to check them now.");
                return null;
            }
            var known = fleets.Keys.FirstOrDefault(k => string.Equals(k, fleet, StringComparison.OrdinalIgnoreCase));
            if (known is null)
            {
                v.Error(RolloutCodes.UnknownFleet, path + ".fleet", $"The worker knows no fleet '{fleet}'.{Suggest.DidYouMean(fleet, fleets.Keys)}", fleets.Count == 0 ? "Configure Fleets:<name> on the worker (a list of hosts), or list the hosts inline." : $"Use one of: {string.Join(", ", fleets.Keys.Order(StringComparer.Ordinal))}.");
                return null;
            }
            hosts = ExpandHosts(fleets[known], errors);
        }
        else
        {
            hosts = ExpandHosts(step.Hosts, errors);
        }
        foreach (var error in errors)
        {
            v.Error(RolloutCodes.HostInvalid, path + (step.Fleet is null ? ".hosts" : ".fleet"), $"Rollout '{step.Id}': {error}.", "Use host names (letters, digits, '.', '_', '-') or ranges like web-{01..20}, each host once.");
        }
        return errors.Count == 0 ? hosts : null;
    }

    private static void CheckStrategy(ViolationList v, RolloutStep step, int fleetSize, TimeSpan window, string path)
    {
        var strategy = step.Strategy;
        var s = path + ".strategy";
        var fleet = $"the fleet of {fleetSize} host(s)";
        if (fleetSize == 0)
        {
            v.Error(RolloutCodes.EmptyFleet, step.Fleet is null ? path + ".hosts" : path + ".fleet", $"Rollout '{step.Id}' resolves to no hosts.", step.Fleet is null ? "List at least one host." : $"Add hosts to the worker's Fleets:{step.Fleet}, or name another fleet.");
            return;
        }
        var ok = true;
        if (strategy.Canary.ForBatch(fleetSize) > fleetSize)
        {
            v.Error(RolloutCodes.BatchTooLarge, s + ".canary", $"The canary ({strategy.Canary}) is larger than {fleet}.", $"Use a canary of 1 to {fleetSize - 1} host(s).");
            ok = false;
        }
        if (strategy.BatchSize is { } batch && (batch.ForBatch(fleetSize) > fleetSize || batch.ForBatch(fleetSize) < 1))
        {
            v.Error(RolloutCodes.BatchTooLarge, s + ".batchSize", batch.ForBatch(fleetSize) < 1 ? $"A batch size of {batch} patches no host." : $"A batch of {batch} is larger than {fleet}.", $"Use a batch size between 1 and {fleetSize} (or a share like 25%).");
            ok = false;
        }
        if (strategy.BatchSize is not null && strategy.Waves.Count > 0)
        {
            v.Error(RolloutCodes.WavesAndBatch, s + ".waves", "The strategy gives both batchSize and waves.", "Keep one: batchSize (equal batches) or waves (cumulative targets like 10%, 25%, 100%).");
            ok = false;
        }
        for (var k = 0; k < strategy.Waves.Count; k++)
        {
            var target = strategy.Waves[k].ForBatch(fleetSize);
            if (target > fleetSize)
            {
                v.Error(RolloutCodes.BatchTooLarge, $"{s}.waves[{k}]", $"Wave {k + 1} targets {strategy.Waves[k]} hosts, more than {fleet}.", $"Waves are cumulative; end with {fleetSize} or 100%.");
                ok = false;
            }
            else if (k > 0 && target <= strategy.Waves[k - 1].ForBatch(fleetSize))
            {
                v.Error(RolloutCodes.WavesNotIncreasing, $"{s}.waves[{k}]", $"Wave {k + 1} ({strategy.Waves[k]} = {target} host(s)) adds no host to wave {k} ({strategy.Waves[k - 1]}).", "Waves are cumulative targets; make each larger than the one before (e.g. 10%, 25%, 100%).");
                ok = false;
            }
        }
        if (strategy.Waves.Count > 0 && strategy.Waves[^1].ForBatch(fleetSize) < fleetSize)
        {
            v.Error(RolloutCodes.WavesIncomplete, $"{s}.waves[{strategy.Waves.Count - 1}]", $"The last wave ({strategy.Waves[^1]}) stops at {strategy.Waves[^1].ForBatch(fleetSize)} of {fleetSize} hosts.", "End the waves with 100% so every host is patched.");
            ok = false;
        }
        if (strategy.MaxUnavailable is { } max && max.ForBatch(fleetSize) < 1)
        {
            v.Error(RolloutCodes.BudgetUnmeetable, s + ".maxUnavailable", $"maxUnavailable {max} lets no host change at a time, so the rollout could never start.", "Use at least 1 (or a share like 10%).");
            ok = false;
        }
        var budget = strategy.MaxFailedHosts.ForBudget(fleetSize);
        if (budget >= fleetSize)
        {
            v.Error(RolloutCodes.BudgetUnmeetable, s + ".maxFailedHosts", $"maxFailedHosts {strategy.MaxFailedHosts} allows all {fleetSize} host(s) to fail, so the rollout would never halt.", $"Use fewer than {fleetSize} (e.g. 0 to halt on the first failure, or a small share like 2%).");
            ok = false;
        }
        else if (strategy.MaxFailedHosts.Percent is > 0 && budget == 0)
        {
            v.Warning(RolloutCodes.BudgetRoundsToZero, s + ".maxFailedHosts", $"maxFailedHosts {strategy.MaxFailedHosts} of {fleetSize} hosts allows no failure (it rounds down to 0), so the first failed host halts the rollout.", "Write the budget as a number of hosts if that is not what you want.");
        }
        if (strategy.Pause is { Approval: true, Duration: not null })
        {
            v.Error(RolloutCodes.PauseAmbiguous, s + ".pause", "The pause is both timed and a human gate.", "Keep duration (timed) or approval: true (wait for a continue with proof).");
            ok = false;
        }
        if (strategy.Pause is { After: PauseAfter.Canary } && strategy.Canary.ForBatch(fleetSize) == 0)
        {
            v.Error(RolloutCodes.PauseWithoutCanary, s + ".pause.after", "The strategy pauses after the canary but has no canary.", "Add canary: 1, or pause after: each-batch.");
            ok = false;
        }
        if (!ok)
        {
            return;
        }
        var waves = PlanWaves(fleetSize, strategy);
        var parallel = waves.Max(w => Parallelism(strategy, fleetSize, w.Count));
        if (budget > 0 && parallel > budget + 1)
        {
            v.Warning(RolloutCodes.BudgetOvershoot, s + ".maxUnavailable", $"Up to {parallel} hosts change at once and the budget allows {budget} failure(s): hosts already running when the budget runs out still finish their step, so up to {budget + parallel} can fail.", $"Set maxUnavailable to {budget + 1} or less to keep failures near the budget.");
        }
        var (least, most) = Duration(step, fleetSize);
        if (least > window)
        {
            v.Error(RolloutCodes.ExceedsWindow, s, $"The {waves.Count} wave(s) of rollout '{step.Id}' need at least {Format.Span(least)} (waits and pauses alone), longer than the {Format.Span(window)} window.", "Patch more hosts at once (batchSize, waves, maxUnavailable), shorten the waits, or plan a longer window.");
        }
        else if (most is { } upper && upper > window)
        {
            v.Warning(RolloutCodes.ExceedsWindow, s, $"If every host step used its timeout, the {waves.Count} wave(s) of rollout '{step.Id}' would need {Format.Span(upper)}, longer than the {Format.Span(window)} window.", "Patch more hosts at once, shorten timeouts, or plan a longer window.");
        }
    }

    private static void OutOfScope(ViolationList v, string path, string what) =>
        v.Error(RolloutCodes.HostOutOfScope, path, $"{char.ToUpperInvariant(what[0])}{what[1..]} uses {{host}}, but no host is in scope outside a rollout.", "Move it into a rollout step's steps or checks, or write the host's name.");

    private static bool MentionsHost(PlanStep step) => JsonSerializer.Serialize(step).Contains(RolloutStep.HostPlaceholder, StringComparison.Ordinal);

    private static bool MentionsHost(PlanCheck check) => JsonSerializer.Serialize(check).Contains(RolloutStep.HostPlaceholder, StringComparison.Ordinal);

    [return: System.Diagnostics.CodeAnalysis.NotNullIfNotNull(nameof(text))]
    private static string? Sub(string? text, string host) => text?.Replace(RolloutStep.HostPlaceholder, host, StringComparison.Ordinal);
}

/// <summary>Stable violation codes of rollout steps.</summary>
public static class RolloutCodes
{
    public const string UnknownFleet = "rollout.unknown-fleet";
    public const string EmptyFleet = "rollout.empty-fleet";
    public const string HostsAndFleet = "rollout.hosts-and-fleet";
    public const string FleetUnchecked = "rollout.fleet-unchecked";
    public const string HostInvalid = "rollout.host-invalid";
    public const string BatchTooLarge = "rollout.batch-too-large";
    public const string WavesAndBatch = "rollout.waves-and-batch";
    public const string WavesNotIncreasing = "rollout.waves-not-increasing";
    public const string WavesIncomplete = "rollout.waves-incomplete";
    public const string BudgetUnmeetable = "rollout.budget-unmeetable";
    public const string BudgetRoundsToZero = "rollout.budget-zero";
    public const string BudgetOvershoot = "rollout.budget-overshoot";
    public const string PauseAmbiguous = "rollout.pause-ambiguous";
    public const string PauseWithoutCanary = "rollout.pause-without-canary";
    public const string ExceedsWindow = "rollout.exceeds-window";
    public const string HostOutOfScope = "rollout.host-out-of-scope";
    public const string HostStepType = "rollout.host-step-type";
    public const string HostCheckType = "rollout.host-check-type";
    public const string NoHostPlaceholder = "rollout.no-host-placeholder";
    public const string NoHostChecks = "rollout.no-host-checks";
    public const string Rollback = "rollout.rollback";
}
