using MaintenanceWorkflows.Workflows.Plans;

namespace MaintenanceWorkflows.Workflows.Tests.Plans;

/// <summary>
/// America/Los_Angeles around its 2027 changes: spring forward Sunday 14 March 02:00 PST -> 03:00 PDT,
/// fall back Sunday 7 November 02:00 PDT -> 01:00 PST. Wall-clock rules must be turned into instants per date.
/// </summary>
public class DstTests
{
    private const string Zone = "America/Los_Angeles";
    private static readonly DateTimeOffset Now = new(2027, 1, 10, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Blackout_SpringForwardNight_EndsAt03PdtNotAnHourLater()
    {
        // Nightly job 01:00-03:00 local: on 14 March it runs 09:00Z-10:00Z (01:00 PST to 03:00 PDT), one hour long.
        var policy = PolicyWith(blackout: Daily("01:00", "03:00"));

        Assert.Empty(Conflicts(policy, "2027-03-14T10:00:00Z", TimeSpan.FromHours(1)));
        var conflict = Assert.Single(Conflicts(policy, "2027-03-14T09:30:00Z", TimeSpan.FromMinutes(15)));
        Assert.Equal(DateTimeOffset.Parse("2027-03-14T09:00:00Z", System.Globalization.CultureInfo.InvariantCulture), conflict.Start);
        Assert.Equal(DateTimeOffset.Parse("2027-03-14T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture), conflict.End);
    }

    [Fact]
    public void Blackout_FallBackNight_LastsThreeHours()
    {
        // On 7 November 01:00 PDT = 08:00Z and 03:00 PST = 11:00Z: a fixed-offset calculation would end it at 10:00Z.
        var policy = PolicyWith(blackout: Daily("01:00", "03:00"));

        var conflict = Assert.Single(Conflicts(policy, "2027-11-07T10:00:00Z", TimeSpan.FromMinutes(30)));
        Assert.Equal(TimeSpan.FromHours(3), conflict.End - conflict.Start);
        Assert.Empty(Conflicts(policy, "2027-11-07T11:00:00Z", TimeSpan.FromMinutes(30)));
    }

    [Fact]
    public void Blackout_StartingInTheRepeatedHour_StartsAtTheFirstOccurrence()
    {
        // 01:30-02:30 on the fall-back night: 01:30 happens twice; the job starts at the first (08:30Z) and ends 02:30 PST (10:30Z).
        var policy = PolicyWith(blackout: Daily("01:30", "02:30"));

        var conflict = Assert.Single(Conflicts(policy, "2027-11-07T08:45:00Z", TimeSpan.FromMinutes(10)));
        Assert.Equal(DateTimeOffset.Parse("2027-11-07T08:30:00Z", System.Globalization.CultureInfo.InvariantCulture), conflict.Start);
        Assert.Equal(DateTimeOffset.Parse("2027-11-07T10:30:00Z", System.Globalization.CultureInfo.InvariantCulture), conflict.End);
    }

    [Fact]
    public void Cadence_TuesdayWindowInPstAndPdt_UsesTheOffsetInForceThatDay()
    {
        var policy = PolicyWith();

        // Tuesday 9 March (PST): 02:00 local = 10:00Z. Tuesday 16 March (PDT): 02:00 local = 09:00Z.
        Assert.NotNull(CalendarRules.ContainingSlot(policy, At("2027-03-09T10:00:00Z"), At("2027-03-09T12:00:00Z")));
        Assert.Null(CalendarRules.ContainingSlot(policy, At("2027-03-09T09:00:00Z"), At("2027-03-09T10:00:00Z")));
        Assert.NotNull(CalendarRules.ContainingSlot(policy, At("2027-03-16T09:00:00Z"), At("2027-03-16T11:00:00Z")));
        Assert.Null(CalendarRules.ContainingSlot(policy, At("2027-03-16T10:00:00Z"), At("2027-03-16T11:30:00Z")));
    }

    [Fact]
    public void Cadence_SundaySlotOnSpringForward_StartsAt03Pdt()
    {
        // 02:00 does not exist on 14 March; the 02:00-04:00 slot runs 03:00-04:00 PDT (10:00Z-11:00Z).
        var policy = PolicyWith(cadenceDays: [Weekday.Sunday]);

        Assert.NotNull(CalendarRules.ContainingSlot(policy, At("2027-03-14T10:00:00Z"), At("2027-03-14T11:00:00Z")));
        Assert.Null(CalendarRules.ContainingSlot(policy, At("2027-03-14T09:30:00Z"), At("2027-03-14T10:30:00Z")));
    }

    [Fact]
    public void Cadence_SundaySlotOnFallBack_IsThreeHoursOfElapsedTime()
    {
        // 01:00-03:00 on 7 November spans 08:00Z-11:00Z: the repeated hour belongs to the slot.
        var policy = PolicyWith(cadenceDays: [Weekday.Sunday], slotStart: "01:00", slotEnd: "03:00");

        Assert.NotNull(CalendarRules.ContainingSlot(policy, At("2027-11-07T08:00:00Z"), At("2027-11-07T11:00:00Z")));
    }

    [Fact]
    public void Validate_WindowDuringSpringForwardBlackout_ReportsLocalTimesWithBothOffsets()
    {
        var policy = PolicyWith(blackout: Daily("01:00", "03:00"));
        var plan = Plan("2027-03-14T09:30:00Z", TimeSpan.FromMinutes(20));

        var violation = Assert.Single(PlanValidator.Validate(plan, policy, Now), v => v.Code == ViolationCodes.BlackoutOverlap);

        Assert.Contains("2027-03-14 01:00 PST", violation.Message, StringComparison.Ordinal);
        Assert.Contains("2027-03-14 03:00 PDT", violation.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadPlan_LocalTimeInTheSkippedHour_IsAnErrorNamingAValidTime()
    {
        var error = Assert.Single(PlanYaml.ParsePlan(Yaml("2027-03-14T02:30"), "p.yaml").Errors);

        Assert.Equal("window.start", error.Path);
        Assert.Contains("does not exist in America/Los_Angeles", error.Message, StringComparison.Ordinal);
        Assert.Contains("2027-03-14T03:30", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadPlan_LocalTimeInTheRepeatedHour_AsksForAnOffset()
    {
        var error = Assert.Single(PlanYaml.ParsePlan(Yaml("2027-11-07T01:30"), "p.yaml").Errors);

        Assert.Contains("occurs twice", error.Message, StringComparison.Ordinal);
        Assert.Contains("2027-11-07T01:30-07", error.Message, StringComparison.Ordinal);
        Assert.Contains("2027-11-07T01:30-08", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("2027-11-07T01:30-07:00", "2027-11-07T08:30:00Z")]
    [InlineData("2027-11-07T01:30-08:00", "2027-11-07T09:30:00Z")]
    public void LoadPlan_RepeatedHourWithOffset_PicksThatInstant(string start, string expected)
    {
        var plan = PlanYaml.ParsePlan(Yaml(start), "p.yaml").GetValueOrThrow();

        Assert.Equal(At(expected), plan.Window.Start);
    }

    [Fact]
    public void LoadPlan_OffsetNotInForceInTheZone_IsAnError()
    {
        // -08:00 is PST; in July Los Angeles is on PDT (-07:00).
        var error = Assert.Single(PlanYaml.ParsePlan(Yaml("2027-07-06T02:00-08:00"), "p.yaml").Errors);

        Assert.Contains("not in force", error.Message, StringComparison.Ordinal);
        Assert.Contains("-07", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Schedule_NoticeAcrossSpringForward_IsTwentyFourElapsedHours()
    {
        // Monday 15 March 02:00 PDT (09:00Z): 24 h earlier is Sunday 14 March 01:00 PST on the wall clock.
        var policy = PolicyWith();
        var plan = Plan("2027-03-15T09:00:00Z", TimeSpan.FromMinutes(30)) with { Type = MaintenanceType.Urgent };
        var schedule = ScheduleRules.Derive(plan, policy with { Types = policy.Types with { Urgent = policy.Types.Urgent with { Notice = TimeSpan.FromHours(24) } } }, Now);

        Assert.Equal(At("2027-03-14T09:00:00Z"), schedule.NoticeAt);
        Assert.Equal("2027-03-14 01:00 PST (UTC-08:00)", ZoneMath.FormatLocal(schedule.NoticeAt, Zone));
    }

    [Fact]
    public void EarliestLegalStart_AcrossSpringForward_LandsOnTheNextSlotInPdt()
    {
        // Now: Saturday 13 March 12:00Z. 24 h notice -> Sunday 12:00Z; next slot Tuesday 16 March 02:00 PDT = 09:00Z.
        var policy = PolicyWith();
        var plan = Plan("2027-03-16T09:00:00Z", TimeSpan.FromHours(1)) with { Type = MaintenanceType.Routine };

        Assert.Equal(At("2027-03-16T09:00:00Z"), CalendarRules.EarliestLegalStart(plan, policy, At("2027-03-13T12:00:00Z")));
    }

    private static IReadOnlyList<WindowConflict> Conflicts(MaintenancePolicy policy, string start, TimeSpan duration)
    {
        var plan = Plan(start, duration);
        return CalendarRules.Conflicts(plan, policy, plan.Window.Start, plan.Window.End);
    }

    private static DateTimeOffset At(string text) => DateTimeOffset.Parse(text, System.Globalization.CultureInfo.InvariantCulture);

    private static BlackoutJob Daily(string start, string end) => new()
    {
        Id = "nightly",
        Job = "Nightly backup",
        Start = TimeOnly.Parse(start, System.Globalization.CultureInfo.InvariantCulture),
        End = TimeOnly.Parse(end, System.Globalization.CultureInfo.InvariantCulture),
    };

    private static MaintenancePolicy PolicyWith(BlackoutJob? blackout = null, IReadOnlyList<Weekday>? cadenceDays = null, string slotStart = "02:00", string slotEnd = "04:00")
    {
        var policy = TestFiles.Policy();
        return policy with
        {
            Freezes = [],
            Blackouts = blackout is null ? [] : [blackout],
            Cadence =
            [
                new CadenceSlot
                {
                    Days = cadenceDays ?? [Weekday.Tuesday, Weekday.Thursday],
                    Start = TimeOnly.Parse(slotStart, System.Globalization.CultureInfo.InvariantCulture),
                    End = TimeOnly.Parse(slotEnd, System.Globalization.CultureInfo.InvariantCulture),
                },
            ],
        };
    }

    private static MaintenancePlan Plan(string start, TimeSpan duration) =>
        TestFiles.Plan("flask-security-patch.yaml") with { Window = TestFiles.Window(start, duration, Zone) };

    private static string Yaml(string start) => $"""
        id: dst
        title: DST
        type: routine
        requester: ops-lead
        window:
          start: {start}
          duration: 30m
          timeZone: America/Los_Angeles
        scope: x
        impact:
          summary: x
        steps:
          - id: w
            type: wait
            title: w
            duration: 1m
        """;
}
