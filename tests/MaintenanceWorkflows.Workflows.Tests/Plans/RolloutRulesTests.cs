using MaintenanceWorkflows.Workflows.Plans;

namespace MaintenanceWorkflows.Workflows.Tests.Plans;

/// <summary>Rollout steps: the examples' waves, and every validation problem the issue lists, each named with a path and a fix.</summary>
public class RolloutRulesTests
{
    private static readonly MaintenancePolicy Policy = TestFiles.Policy();

    private static readonly Dictionary<string, IReadOnlyList<string>> Fleets = new(StringComparer.OrdinalIgnoreCase)
    {
        ["agents"] = ["agent-{001..200}"],
        ["empty"] = [],
    };

    [Fact]
    public void Examples_ProxmoxOneAtATime_EightBatchesOfOne()
    {
        var rollout = Rollout(TestFiles.Plan("proxmox-cluster-patch.yaml"));

        var waves = RolloutRules.PlanWaves(8, rollout.Strategy);

        Assert.Equal(8, waves.Count);
        Assert.All(waves, w => Assert.Equal(1, w.Count));
        Assert.Equal(["pve-01", "pve-02", "pve-03", "pve-04", "pve-05", "pve-06", "pve-07", "pve-08"], RolloutRules.ExpandHosts(rollout.Hosts, new List<string>()));
    }

    [Fact]
    public void Examples_AgentWaves_CanaryThenCumulativeShares()
    {
        var rollout = Rollout(TestFiles.Plan("agent-update-waves.yaml"));

        var waves = RolloutRules.PlanWaves(200, rollout.Strategy);

        Assert.Equal([(0, 0, 1), (1, 1, 19), (2, 20, 30), (3, 50, 150)], waves.Select(w => (w.Number, w.Start, w.Count)));
        Assert.Equal(4, rollout.Strategy.MaxFailedHosts.ForBudget(200));
        Assert.True(rollout.Strategy.Pause is { Approval: true, After: PauseAfter.Canary });
        Assert.Equal(RolloutFailureAction.RollbackFailed, rollout.Strategy.OnFailure);
    }

    [Fact]
    public void Validate_UnknownFleet_NamedWithTheKnownOnes()
    {
        var plan = WithRollout(r => r with { Hosts = [], Fleet = "agnets" });

        var violation = Assert.Single(PlanValidator.Validate(plan, Policy, TestFiles.Now, Fleets), v => v.Code == RolloutCodes.UnknownFleet);

        Assert.Equal("steps[0].fleet", violation.Path);
        Assert.Contains("did you mean 'agents'", violation.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Validate_FleetWithoutWorkerFleets_IsAWarningOnly()
    {
        var plan = WithRollout(r => r with { Hosts = [], Fleet = "agents" });

        var violations = PlanValidator.Validate(plan, Policy, TestFiles.Now);

        Assert.Contains(violations, v => v.Code == RolloutCodes.FleetUnchecked && v.Severity == ViolationSeverity.Warning);
        Assert.False(violations.HasErrors());
    }

    [Fact]
    public void Validate_EmptyFleet_IsAnError()
    {
        var plan = WithRollout(r => r with { Hosts = [], Fleet = "empty" });

        Assert.Contains(PlanValidator.Validate(plan, Policy, TestFiles.Now, Fleets), v => v.Code == RolloutCodes.EmptyFleet);
    }

    [Fact]
    public void Validate_BatchLargerThanFleet_IsAnError()
    {
        var plan = WithRollout(r => r with { Hosts = ["a-{1..3}"], Strategy = r.Strategy with { Waves = [], BatchSize = new HostCount { Count = 5 }, Canary = HostCount.None, Pause = null } });

        var violation = Assert.Single(PlanValidator.Validate(plan, Policy, TestFiles.Now), v => v.Code == RolloutCodes.BatchTooLarge);

        Assert.Equal("steps[0].strategy.batchSize", violation.Path);
    }

    [Fact]
    public void Validate_BudgetAllowingEveryHostToFail_IsUnmeetable()
    {
        var plan = WithRollout(r => r with { Strategy = r.Strategy with { MaxFailedHosts = new HostCount { Percent = 100 } } });

        Assert.Contains(PlanValidator.Validate(plan, Policy, TestFiles.Now), v => v.Code == RolloutCodes.BudgetUnmeetable && v.Path == "steps[0].strategy.maxFailedHosts");
    }

    [Fact]
    public void Validate_HostPlaceholderOutsideARollout_IsAnError()
    {
        var plan = TestFiles.LambdaPlan(p => p with
        {
            Checks = [.. p.Checks, new HttpStatusCheck { Id = "stray", Title = "stray", Target = "portal", Path = "/hosts/{host}" }],
        });

        var violation = Assert.Single(PlanValidator.Validate(plan, Policy, TestFiles.Now), v => v.Code == RolloutCodes.HostOutOfScope);

        Assert.Equal($"checks[{plan.Checks.Count - 1}]", violation.Path);
    }

    [Fact]
    public void Validate_WavesThatCannotFitTheWindow_AreAnError()
    {
        // 200 hosts, 5 at a time, each waiting 10 minutes: 40 rounds, far beyond a 2 h window.
        var plan = WithRollout(r => r with
        {
            Steps = [.. r.Steps, new WaitStep { Id = "settle", Title = "let {host} settle", Duration = TimeSpan.FromMinutes(10) }],
        });

        var violation = Assert.Single(PlanValidator.Validate(plan, Policy, TestFiles.Now), v => v.Code == RolloutCodes.ExceedsWindow && v.Severity == ViolationSeverity.Error);

        Assert.Contains("longer than the 2 h window", violation.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_ManualStepOnHosts_IsRefused()
    {
        var plan = WithRollout(r => r with { Steps = [new ManualStep { Id = "look", Title = "look at {host}", Instructions = "look" }] });

        Assert.Contains(PlanValidator.Validate(plan, Policy, TestFiles.Now), v => v.Code == RolloutCodes.HostStepType && v.Path == "steps[0].steps[0]");
    }

    [Fact]
    public void ExpandHosts_BadAndHugeRanges_AreNamedNotCrashed()
    {
        var errors = new List<string>();

        RolloutRules.ExpandHosts(["web-{5..1}", "ok-1", "ok-1", "bad host", "x-{1..99999999}"], errors);

        Assert.Contains(errors, e => e.Contains("web-{5..1}", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("expands past", StringComparison.Ordinal));
    }

    [Fact]
    public void ForHost_ReplacesTheHostEverywhereIncludingTheRollback()
    {
        var step = Rollout(TestFiles.Plan("proxmox-cluster-patch.yaml")).Steps[1];

        var forHost = (CommandStep)RolloutRules.ForHost(step, "pve-03");

        Assert.Equal("pve-03", forHost.Args["host"]);
        Assert.Equal("pve-03", ((CommandStep)forHost.Rollback!).Args["host"]);
        Assert.Contains("pve-03", forHost.Title, StringComparison.Ordinal);
    }

    private static RolloutStep Rollout(MaintenancePlan plan) => plan.Steps.OfType<RolloutStep>().Single();

    private static MaintenancePlan WithRollout(Func<RolloutStep, RolloutStep> change)
    {
        var plan = TestFiles.Plan("agent-update-waves.yaml");
        return plan with { Steps = [change(Rollout(plan))] };
    }
}
