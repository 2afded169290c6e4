using MaintenanceWorkflows.Workflows;
using MaintenanceWorkflows.Workflows.Contracts;
using MaintenanceWorkflows.Workflows.Plans;

namespace MaintenanceWorkflows.Workflows.Tests.Window;

public class VerificationTrackerTests
{
    private static readonly HttpStatusCheck Route = new() { Id = "route", Title = "Route health", Url = "http://x/beak", Blocking = false };
    private static readonly LambdaAliasCheck Alias = new() { Id = "alias", Title = "Alias parity", Function = "f", Alias = "prod", ExpectedVersion = "40" };

    [Fact]
    public void Record_AllProbesPass_NoTriggerAndFullAvailability()
    {
        var tracker = new VerificationTracker(new RollbackTriggers { AvailabilityBelowPercent = 99 }, [Route, Alias], plannedRounds: 3);
        for (var i = 0; i < 3; i++)
        {
            tracker.Record([Result(Route, true, 40), Result(Alias, true)]);
        }

        Assert.Null(tracker.Finish());
        var summary = tracker.Summarize(TimeSpan.FromMinutes(3), TimeSpan.FromMinutes(1));
        Assert.Equal(100, summary.AvailabilityPercent);
        Assert.Equal(0, summary.ErrorRatePercent);
        Assert.Equal(3, summary.RoundsRun);
        Assert.All(summary.Checks, c => Assert.Equal(3, c.Passed));
    }

    [Fact]
    public void Record_BlockingCheckFailsLimitTimesInARow_Triggers()
    {
        var tracker = new VerificationTracker(new RollbackTriggers { BlockingCheckFailures = 2 }, [Alias], plannedRounds: 10);
        tracker.Record([Result(Alias, false)]);
        Assert.Null(tracker.Trigger);
        tracker.Record([Result(Alias, true)]);
        tracker.Record([Result(Alias, false)]);
        Assert.Null(tracker.Trigger);
        tracker.Record([Result(Alias, false)]);
        Assert.Contains("'alias' failed 2 time(s) in a row", tracker.Trigger, StringComparison.Ordinal);
    }

    [Fact]
    public void Record_NonBlockingCheckFails_DoesNotTriggerConsecutiveRule()
    {
        var tracker = new VerificationTracker(new RollbackTriggers { BlockingCheckFailures = 1 }, [Route], plannedRounds: 3);
        tracker.Record([Result(Route, false)]);
        tracker.Record([Result(Route, false)]);
        Assert.Null(tracker.Trigger);
    }

    [Fact]
    public void Record_AvailabilityCanNoLongerReachFloor_TriggersBeforeSoakEnds()
    {
        // 10 rounds planned with a 90% floor: the second failure makes 90% unreachable (best case 8/10).
        var tracker = new VerificationTracker(new RollbackTriggers { AvailabilityBelowPercent = 90 }, [Route], plannedRounds: 10);
        tracker.Record([Result(Route, false)]);
        Assert.Null(tracker.Trigger);
        tracker.Record([Result(Route, true)]);
        tracker.Record([Result(Route, false)]);
        Assert.NotNull(tracker.Trigger);
        Assert.Contains("can no longer recover", tracker.Trigger, StringComparison.Ordinal);
        Assert.Equal(3, tracker.RoundsRun);
    }

    [Fact]
    public void Finish_SoakEndedEarlyBelowFloor_Triggers()
    {
        var tracker = new VerificationTracker(new RollbackTriggers { AvailabilityBelowPercent = 90 }, [Route], plannedRounds: 10);
        tracker.Record([Result(Route, false)]);
        tracker.Record([Result(Route, true)]);
        Assert.Null(tracker.Trigger);
        Assert.Contains("availability 50%", tracker.Finish(), StringComparison.Ordinal);
    }

    [Fact]
    public void Record_ErrorRateExceedsCeilingOfPlannedProbes_Triggers()
    {
        var tracker = new VerificationTracker(new RollbackTriggers { ErrorRateAbovePercent = 20 }, [Route], plannedRounds: 10);
        tracker.Record([Result(Route, false)]);
        tracker.Record([Result(Route, false)]);
        Assert.Null(tracker.Trigger);
        tracker.Record([Result(Route, false)]);
        Assert.Contains("error rate", tracker.Trigger, StringComparison.Ordinal);
    }

    [Fact]
    public void Record_MoreSlowProbesThanPercentileAllows_Triggers()
    {
        // p95 over 20 planned probes allows one slow probe; the second slow one decides it.
        var triggers = new RollbackTriggers { LatencyAbove = TimeSpan.FromSeconds(1), LatencyPercentile = 95 };
        var tracker = new VerificationTracker(triggers, [Route], plannedRounds: 20);
        tracker.Record([Result(Route, true, 1500)]);
        tracker.Record([Result(Route, true, 200)]);
        Assert.Null(tracker.Trigger);
        tracker.Record([Result(Route, true, 1800)]);
        Assert.Contains("p95 latency", tracker.Trigger, StringComparison.Ordinal);
    }

    [Fact]
    public void Summarize_KeepsFailuresVerbatimUpToCap()
    {
        var tracker = new VerificationTracker(new RollbackTriggers(), [Route], plannedRounds: VerificationTracker.MaxRecordedFailures + 10);
        for (var i = 0; i < VerificationTracker.MaxRecordedFailures + 10; i++)
        {
            tracker.Record([Result(Route, false)]);
        }

        var summary = tracker.Summarize(TimeSpan.FromHours(1), TimeSpan.FromMinutes(1));
        Assert.Equal(VerificationTracker.MaxRecordedFailures, summary.Failures.Count);
        Assert.Equal(VerificationTracker.MaxRecordedFailures + 10, summary.Checks.Single().Runs);
    }

    private static CheckResult Result(PlanCheck check, bool passed, double latencyMs = 10) => new(
        check.Id,
        check.Title,
        passed ? CheckStatus.Green : CheckStatus.Red,
        passed ? "ok" : "HTTP 502",
        "HTTP 200",
        passed ? "healthy" : "bad gateway",
        TimeSpan.FromMilliseconds(latencyMs),
        DateTimeOffset.UnixEpoch,
        []);
}
