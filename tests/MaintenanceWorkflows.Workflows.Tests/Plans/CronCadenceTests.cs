using System.Globalization;
using MaintenanceWorkflows.Workflows.Plans;
using Temporalio.Converters;

namespace MaintenanceWorkflows.Workflows.Tests.Plans;

/// <summary>
/// Cadence given as a cron expression with a duration: loading (and every way to get it wrong), occurrences
/// against the day/time-list equivalent across America/Los_Angeles's 2027 DST changes (14 March, 7 November),
/// and validation, earliest legal start and policy rules on a cron policy.
/// </summary>
public class CronCadenceTests
{
    private const string DayList = "cadence:\n  - days: [Tuesday, Thursday]\n    start: \"02:00\"\n    end: \"04:00\"\n";
    private const string TueThuCron = "cadence:\n  - cron: \"0 2 * * TUE,THU\"   # slot starts, local time\n    duration: 2h\n";
    private const string File = "policy.yaml";

    private static readonly MaintenancePolicy DayListPolicy = TestFiles.Policy();
    private static readonly MaintenancePolicy CronPolicy = Parse(TueThuCron).GetValueOrThrow();

    // Lambda example: Tuesday 2027-02-09 02:00-02:30 PST (10:00Z), routine.
    private static readonly MaintenancePlan Lambda = TestFiles.Plan("lambda-v40-promotion.yaml");

    [Fact]
    public void ParsePolicy_CronSlot_ReadsTheExpressionAndDuration()
    {
        var slot = Assert.Single(CronPolicy.Cadence);

        Assert.Equal("0 2 * * TUE,THU", slot.Cron);
        Assert.Equal(TimeSpan.FromHours(2), slot.Duration);
        Assert.Empty(slot.Days);
        Assert.Null(slot.Start);
        Assert.Empty(PolicyRules.Validate(CronPolicy));
    }

    [Fact]
    public void ParsePolicy_SlotWithBothForms_IsAnErrorAtTheCronKey()
    {
        var error = Assert.Single(Parse("cadence:\n  - days: [Tuesday]\n    start: \"02:00\"\n    end: \"04:00\"\n    cron: \"0 2 * * TUE\"\n    duration: 2h\n").Errors);

        Assert.Equal((CadenceLine + 4, 11), (error.Line, error.Column));
        Assert.Equal("cadence[0].cron", error.Path);
        Assert.Equal("a slot is either days, start and end or cron and duration, not both; keep one form.", error.Message);
        Assert.Equal(File, error.File);
    }

    [Fact]
    public void ParsePolicy_DurationWithDayTimeFields_IsAnErrorAtTheDurationKey()
    {
        var error = Assert.Single(Parse("cadence:\n  - days: [Tuesday]\n    start: \"02:00\"\n    end: \"04:00\"\n    duration: 2h\n").Errors);

        Assert.Equal((CadenceLine + 4, 15), (error.Line, error.Column));
        Assert.Equal("cadence[0].duration", error.Path);
    }

    [Theory]
    [InlineData("cadence:\n  - {}\n")]
    [InlineData("cadence:\n  - cron:\n")]
    public void ParsePolicy_SlotWithNeitherForm_SaysWhatBothFormsLookLike(string cadence)
    {
        var error = Assert.Single(Parse(cadence).Errors);

        Assert.Equal((CadenceLine + 1, 5), (error.Line, error.Column));
        Assert.Equal("cadence[0]", error.Path);
        Assert.Contains("days, start and end (e.g. days: [Tuesday, Thursday]", error.Message, StringComparison.Ordinal);
        Assert.Contains("cron and duration (e.g. cron: \"0 2 * * TUE,THU\", duration: 2h)", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"61 2 * * *\"", "cron \"61 2 * * *\": minute 61 (field 1, character 1) is out of range 0-59.")]
    [InlineData("\"0 2 * * TUE,THX\"", "cron \"0 2 * * TUE,THX\": day-of-week 'THX' (field 5, character 13) is not allowed: use 0-7 (0 and 7 are Sunday) or SUN-SAT. Did you mean 'THU'?")]
    [InlineData("0 2 * *", "cron \"0 2 * *\": expected five fields: minute hour day-of-month month day-of-week, e.g. \"0 2 * * TUE,THU\"; found 4 fields.")]
    [InlineData("'0 2 31 FEB *'", "cron \"0 2 31 FEB *\": day-of-month 31 (field 3, character 5) never occurs in FEB, so the expression would never fire; pick days that exist in those months.")]
    [InlineData("[0, 2]", "expected five fields: minute hour day-of-month month day-of-week, e.g. \"0 2 * * TUE,THU\", found a list.")]
    public void ParsePolicy_BadCron_IsAnErrorAtTheValueNamingFieldAndPosition(string value, string message)
    {
        var error = Assert.Single(Parse($"cadence:\n  - cron: {value}\n    duration: 2h\n").Errors);

        Assert.Equal((CadenceLine + 1, 11), (error.Line, error.Column));
        Assert.Equal("cadence[0].cron", error.Path);
        Assert.Equal(message, error.Message);
    }

    [Theory]
    [InlineData("0", "expected a positive duration like 2h (the slot's length), found 0s.")]
    [InlineData("0m", "expected a positive duration like 2h (the slot's length), found 0s.")]
    [InlineData("-2h", "expected a duration like 24h, 15m, 90s, 2000ms, 1d or 1h30m, found '-2h'.")]
    [InlineData("two hours", "expected a duration like 24h, 15m, 90s, 2000ms, 1d or 1h30m, found 'two hours'.")]
    public void ParsePolicy_NonPositiveOrBadDuration_IsAnErrorAtTheDuration(string value, string message)
    {
        var error = Assert.Single(Parse($"cadence:\n  - cron: \"0 2 * * TUE\"\n    duration: {value}\n").Errors);

        Assert.Equal((CadenceLine + 2, 15), (error.Line, error.Column));
        Assert.Equal("cadence[0].duration", error.Path);
        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void ParsePolicy_CronWithoutDuration_IsAMissingFieldError()
    {
        var error = Assert.Single(Parse("cadence:\n  - cron: \"0 2 * * TUE\"\n").Errors);

        Assert.Equal((CadenceLine + 1, 5), (error.Line, error.Column));
        Assert.Equal("cadence[0].duration", error.Path);
        Assert.Equal("missing required field 'duration' (the slot's length, e.g. 2h).", error.Message);
    }

    [Fact]
    public void ParsePolicy_DurationWithoutCron_IsAMissingFieldError()
    {
        var error = Assert.Single(Parse("cadence:\n  - duration: 2h\n").Errors);

        Assert.Equal("cadence[0].cron", error.Path);
        Assert.StartsWith("missing required field 'cron' (the slots' local starts as five fields", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ParsePolicy_MisspelledCronKey_ListsBothFormsFields()
    {
        var errors = Parse("cadence:\n  - cronn: \"0 2 * * TUE\"\n    duration: 2h\n").Errors;

        var unknown = Assert.Single(errors, e => e.Path == "cadence[0].cronn");
        Assert.Contains("Did you mean 'cron'?", unknown.Message, StringComparison.Ordinal);
        Assert.Contains("Fields allowed here: days, start, end, cron, duration.", unknown.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("*/30 2 * * TUE")]
    [InlineData("* * * * *")]
    public void ParsePolicy_UnquotedCronStartingWithStar_IsASyntaxErrorThatSaysToQuote(string cron)
    {
        var error = Assert.Single(Parse($"cadence:\n  - cron: {cron}\n    duration: 1h\n").Errors);

        Assert.Equal(CadenceLine + 1, error.Line);
        Assert.StartsWith("YAML syntax error", error.Message, StringComparison.Ordinal);
        Assert.EndsWith("A value starting with * or & must be quoted, e.g. cron: \"*/15 2 * * *\"; YAML otherwise reads it as an alias or anchor.", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("indentation", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SlotOccurrences_CronTueThu_EqualsTheDayListAllOf2027()
    {
        var from = At("2027-01-01T00:00:00Z");
        var to = At("2028-01-01T00:00:00Z");

        var cron = CalendarRules.SlotOccurrences(CronPolicy, from, to).ToList();
        var days = CalendarRules.SlotOccurrences(DayListPolicy, from, to).ToList();

        Assert.Equal(days, cron);
        Assert.InRange(cron.Count, 104, 106);
        Assert.All(cron, s => Assert.Equal(TimeSpan.FromHours(2), s.End - s.Start));
    }

    [Theory]
    [InlineData("2027-03-09T10:00:00Z", "2027-03-11T10:00:00Z", "2027-03-16T09:00:00Z", "2027-03-18T09:00:00Z")]
    [InlineData("2027-11-02T09:00:00Z", "2027-11-04T09:00:00Z", "2027-11-09T10:00:00Z", "2027-11-11T10:00:00Z")]
    public void SlotOccurrences_CronAcrossADstChange_StartsAt02LocalWithTheOffsetOfThatDay(params string[] starts)
    {
        var first = At(starts[0]);
        var last = first.AddDays(10);

        var cron = CalendarRules.SlotOccurrences(CronPolicy, first, last).Where(s => s.End > first && s.Start < last).ToList();

        Assert.Equal(starts.Select(At), cron.Select(s => s.Start));
        Assert.Equal(cron, CalendarRules.SlotOccurrences(DayListPolicy, first, last).Where(s => s.End > first && s.Start < last));
    }

    [Theory]
    [InlineData("2027-03-14T09:30:00Z", "2027-03-14T10:30:00Z")]
    [InlineData("2027-11-07T08:30:00Z", "2027-11-07T11:30:00Z")]
    public void SlotOccurrences_CronSlotSpanningTheDstNight_EndsAtTheSameWallClockTimeAsTheDayList(string start, string end)
    {
        // Sunday 01:30 for 2h is 01:30-03:30 on the wall clock: one hour on the spring-forward night, three on the fall-back night.
        var cron = PolicyWith(new CadenceSlot { Cron = "30 1 * * SUN", Duration = TimeSpan.FromHours(2) });
        var days = PolicyWith(new CadenceSlot { Days = [Weekday.Sunday], Start = new TimeOnly(1, 30), End = new TimeOnly(3, 30) });
        var night = At(start);

        var slot = Assert.Single(CalendarRules.SlotOccurrences(cron, night.AddHours(-12), night.AddHours(12)), s => s.Start == night);

        Assert.Equal(At(end), slot.End);
        Assert.Equal(CalendarRules.SlotOccurrences(days, night.AddDays(-30), night.AddDays(30)), CalendarRules.SlotOccurrences(cron, night.AddDays(-30), night.AddDays(30)));
    }

    [Fact]
    public void ContainingSlot_CronStartInTheSkippedHour_MovesTo03PdtLikeTheDayList()
    {
        // 02:00 does not exist on 14 March; the 02:00 + 2h slot runs 03:00-04:00 PDT (10:00Z-11:00Z), as days/start/end does.
        var policy = PolicyWith(new CadenceSlot { Cron = "0 2 * * SUN", Duration = TimeSpan.FromHours(2) });

        Assert.Equal(new TimeRange(At("2027-03-14T10:00:00Z"), At("2027-03-14T11:00:00Z")), CalendarRules.ContainingSlot(policy, At("2027-03-14T10:00:00Z"), At("2027-03-14T11:00:00Z")));
        Assert.Null(CalendarRules.ContainingSlot(policy, At("2027-03-14T09:30:00Z"), At("2027-03-14T10:30:00Z")));
    }

    [Fact]
    public void ContainingSlot_CronSlotLongerThanADay_IsFoundFromItsLastDay()
    {
        // Friday 20:00 for 58 h reaches Monday 06:00: a Sunday window lies two days after the slot's start date.
        var policy = PolicyWith(new CadenceSlot { Cron = "0 20 * * FRI", Duration = TimeSpan.FromHours(58) });

        var slot = CalendarRules.ContainingSlot(policy, At("2027-02-07T18:00:00Z"), At("2027-02-07T20:00:00Z"));

        Assert.Equal(new TimeRange(At("2027-02-06T04:00:00Z"), At("2027-02-08T14:00:00Z")), slot);
    }

    [Fact]
    public void Validate_PlanInsideACronSlot_HasNoViolations()
    {
        Assert.Empty(PlanValidator.Validate(Lambda, CronPolicy, TestFiles.Now));
    }

    [Fact]
    public void Validate_PlanOnAWednesdayAgainstACronPolicy_IsOutsideCadenceWithTheNextLegalStart()
    {
        var plan = Lambda with { Window = TestFiles.Window("2027-02-10T10:00:00Z", TimeSpan.FromMinutes(30)) };

        var cron = Assert.Single(PlanValidator.Validate(plan, CronPolicy, TestFiles.Now), v => v.Code == ViolationCodes.OutsideCadence);
        var days = Assert.Single(PlanValidator.Validate(plan, DayListPolicy, TestFiles.Now), v => v.Code == ViolationCodes.OutsideCadence);

        Assert.Contains("(cron \"0 2 * * TUE,THU\" for 2 h America/Los_Angeles)", cron.Message, StringComparison.Ordinal);
        Assert.Contains("The nearest legal start at or after the planned one is 2027-02-11 10:00 UTC (2027-02-11 02:00 PST (UTC-08:00)).", cron.Fix, StringComparison.Ordinal);
        Assert.Equal(days.Fix, cron.Fix);
    }

    [Fact]
    public void Validate_PlanRunningPastTheCronSlotEnd_IsOutsideCadence()
    {
        var plan = Lambda with { Window = TestFiles.Window("2027-02-09T11:30:00Z", TimeSpan.FromMinutes(45)) };

        Assert.Single(PlanValidator.Validate(plan, CronPolicy, TestFiles.Now), v => v.Code == ViolationCodes.OutsideCadence);
    }

    [Fact]
    public void EarliestLegalStart_CronPolicyAcrossSpringForward_EqualsTheDayListAnswer()
    {
        // Now: Saturday 13 March 12:00Z. 24 h notice -> Sunday 12:00Z; next slot Tuesday 16 March 02:00 PDT = 09:00Z.
        var now = At("2027-03-13T12:00:00Z");
        var plan = Lambda with { Window = TestFiles.Window("2027-03-16T09:00:00Z", TimeSpan.FromHours(1)) };

        Assert.Equal(At("2027-03-16T09:00:00Z"), CalendarRules.EarliestLegalStart(plan, CronPolicy, now));
        Assert.Equal(CalendarRules.EarliestLegalStart(plan, DayListPolicy, now), CalendarRules.EarliestLegalStart(plan, CronPolicy, now));
    }

    [Fact]
    public void EarliestLegalStart_MonthlyCron_SkipsWeeksWithoutASlot()
    {
        // The 15th at 22:00 local, 3 h: from 1 February the first slot is 15 February 22:00 PST = 16 February 06:00Z.
        var policy = PolicyWith(new CadenceSlot { Cron = "0 22 15 * *", Duration = TimeSpan.FromHours(3) });
        var plan = Lambda with { Window = TestFiles.Window("2027-02-16T06:00:00Z", TimeSpan.FromHours(1)) };

        Assert.Equal(At("2027-02-16T06:00:00Z"), CalendarRules.EarliestLegalStart(plan, policy, TestFiles.Now));
        Assert.DoesNotContain(PlanValidator.Validate(plan, policy, TestFiles.Now), v => v.Code == ViolationCodes.OutsideCadence);
    }

    [Fact]
    public void Validate_MalformedSlotsBuiltInCode_AreReportedAndIgnoredByTheCalendar()
    {
        var policy = DayListPolicy with
        {
            Cadence =
            [
                new CadenceSlot { Days = [Weekday.Monday], Start = new TimeOnly(2, 0), End = new TimeOnly(4, 0), Cron = "0 2 * * MON", Duration = TimeSpan.FromHours(2) },
                new CadenceSlot(),
                new CadenceSlot { Cron = "0 25 * * *", Duration = TimeSpan.FromHours(1) },
                new CadenceSlot { Cron = "0 2 * * MON", Duration = TimeSpan.Zero },
                new CadenceSlot { Duration = TimeSpan.FromHours(1) },
                new CadenceSlot { Days = [Weekday.Tuesday, Weekday.Thursday], Start = new TimeOnly(2, 0), End = new TimeOnly(4, 0) },
            ],
        };

        var violations = PolicyRules.Validate(policy);

        Assert.Equal(
            ["policy.cadence[0]", "policy.cadence[1]", "policy.cadence[2].cron", "policy.cadence[3].duration", "policy.cadence[4].cron"],
            violations.Select(v => v.Path));
        Assert.Contains("mixes the day/time form and the cron form", violations[0].Message, StringComparison.Ordinal);
        Assert.Equal("cron \"0 25 * * *\": hour 25 (field 2, character 3) is out of range 0-23.", violations[2].Message);
        Assert.Equal(
            CalendarRules.SlotOccurrences(DayListPolicy, TestFiles.Now, TestFiles.Now.AddDays(14)),
            CalendarRules.SlotOccurrences(policy, TestFiles.Now, TestFiles.Now.AddDays(14)));
        Assert.Contains(PlanValidator.Validate(Lambda, policy, TestFiles.Now), v => v.Path == "policy.cadence[2].cron");
    }

    [Fact]
    public async Task DataConverter_CronPolicy_RoundTrips()
    {
        var payload = await DataConverter.Default.ToPayloadAsync(CronPolicy);
        var back = await DataConverter.Default.ToValueAsync<MaintenancePolicy>(payload);

        Assert.NotNull(back);
        var slot = Assert.Single(back.Cadence);
        Assert.Equal(("0 2 * * TUE,THU", TimeSpan.FromHours(2), (TimeOnly?)null, (TimeOnly?)null, 0), (slot.Cron, slot.Duration, slot.Start, slot.End, slot.Days.Count));
        Assert.Equal(
            CalendarRules.SlotOccurrences(CronPolicy, TestFiles.Now, TestFiles.Now.AddDays(30)),
            CalendarRules.SlotOccurrences(back, TestFiles.Now, TestFiles.Now.AddDays(30)));
    }

    /// <summary>1-based line of "cadence:" in the example policy.</summary>
    private static int CadenceLine =>
        Array.IndexOf(System.IO.File.ReadAllText(TestFiles.Example("policy.yaml")).Split('\n'), "cadence:") + 1;

    private static LoadResult<MaintenancePolicy> Parse(string cadence)
    {
        var yaml = System.IO.File.ReadAllText(TestFiles.Example("policy.yaml"));
        Assert.Contains(DayList, yaml, StringComparison.Ordinal);
        return PlanYaml.ParsePolicy(yaml.Replace(DayList, cadence, StringComparison.Ordinal), File);
    }

    private static MaintenancePolicy PolicyWith(CadenceSlot slot) =>
        DayListPolicy with { Cadence = [slot], Freezes = [], Blackouts = [] };

    private static DateTimeOffset At(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture);
}
