using MaintenanceWorkflows.Workflows.Plans;
using NodaTime;

namespace MaintenanceWorkflows.Workflows.Tests.Plans;

/// <summary>The five-field cron evaluator on local dates: syntax, the day-of-month / day-of-week rule, and every kind of error.</summary>
public class CronExpressionTests
{
    // Monday 1 March 2027 .. Sunday 7 March 2027.
    private static readonly LocalDate Monday = new(2027, 3, 1);

    [Theory]
    [InlineData("0 2 * * TUE,THU", "02:00")]
    [InlineData("30 1 * * *", "01:30")]
    [InlineData("*/20 9-10 * * *", "09:00 09:20 09:40 10:00 10:20 10:40")]
    [InlineData("0,15,45 23 * * *", "23:00 23:15 23:45")]
    [InlineData("5-20/5 0 * * *", "00:05 00:10 00:15 00:20")]
    [InlineData("50/5 6 * * *", "06:50 06:55")]
    [InlineData("0 */8 * * *", "00:00 08:00 16:00")]
    [InlineData("0   2\t*  *   1", "02:00")]
    public void TimesOfDay_FieldSyntax_ListsEveryFiringAscending(string text, string expected)
    {
        var cron = CronExpression.Parse(text);

        Assert.Equal(expected, string.Join(' ', cron.TimesOfDay.Select(t => t.ToString("HH:mm", null))));
    }

    [Theory]
    [InlineData("0 2 * * TUE,THU", "Tue Thu")]
    [InlineData("0 2 * * tue,thu", "Tue Thu")]
    [InlineData("0 2 * * 2,4", "Tue Thu")]
    [InlineData("0 2 * * MON-FRI", "Mon Tue Wed Thu Fri")]
    [InlineData("0 2 * * 0", "Sun")]
    [InlineData("0 2 * * 7", "Sun")]
    [InlineData("0 2 * * SUN", "Sun")]
    [InlineData("0 2 * * 5-7", "Fri Sat Sun")]
    [InlineData("0 2 * * FRI-SUN", "Fri Sat Sun")]
    [InlineData("0 2 * * SAT,SUN", "Sat Sun")]
    [InlineData("0 2 * * 0-6/2", "Tue Thu Sat Sun")]
    [InlineData("0 2 * * */3", "Wed Sat Sun")]
    [InlineData("0 2 * * *", "Mon Tue Wed Thu Fri Sat Sun")]
    public void Matches_DayOfWeekForms_PickTheseDaysOfAWeek(string text, string expected)
    {
        var cron = CronExpression.Parse(text);

        Assert.Equal(expected, string.Join(' ', Week().Where(cron.Matches).Select(d => d.DayOfWeek.ToString()[..3])));
    }

    [Fact]
    public void Matches_DayOfMonthAndDayOfWeekBothRestricted_EitherMatches()
    {
        // The 13th, or any Friday (Vixie cron's rule): in March 2027 that is the 5th, 12th, 13th, 19th and 26th.
        var cron = CronExpression.Parse("0 2 13 * FRI");

        Assert.Equal([5, 12, 13, 19, 26], March().Where(cron.Matches).Select(d => d.Day));
    }

    [Theory]
    [InlineData("0 2 13 * *", new[] { 13 })]
    [InlineData("0 2 * * FRI", new[] { 5, 12, 19, 26 })]
    [InlineData("0 2 */10 * THU", new[] { 11 })]
    [InlineData("0 2 1-7 * */7", new[] { 7 })]
    public void Matches_OneDayFieldStartsWithStar_BothMustMatch(string text, int[] days)
    {
        // A field starting with * leaves the other in charge, so "*/10 ... THU" is the 1st/11th/21st/31st that is a Thursday.
        var cron = CronExpression.Parse(text);

        Assert.Equal(days, March().Where(cron.Matches).Select(d => d.Day));
    }

    [Theory]
    [InlineData("0 0 1 JAN-MAR,DEC *", new[] { 1, 2, 3, 12 })]
    [InlineData("0 0 1 nov-dec *", new[] { 11, 12 })]
    [InlineData("0 0 1 */4 *", new[] { 1, 5, 9 })]
    [InlineData("0 0 31 * *", new[] { 1, 3, 5, 7, 8, 10, 12 })]
    public void Matches_MonthsAndShortMonths_FireOnlyWhereTheDateExists(string text, int[] months)
    {
        var cron = CronExpression.Parse(text);

        var year = Enumerable.Range(0, 365).Select(i => new LocalDate(2027, 1, 1).PlusDays(i));
        Assert.Equal(months, year.Where(cron.Matches).Select(d => d.Month));
    }

    [Fact]
    public void StartsOn_LeapDay_FiresOnlyInLeapYears()
    {
        var cron = CronExpression.Parse("0 3 29 FEB *");

        Assert.Empty(cron.StartsOn(new LocalDate(2027, 2, 28)));
        Assert.Equal([new LocalDateTime(2028, 2, 29, 3, 0)], cron.StartsOn(new LocalDate(2028, 2, 29)));
    }

    [Theory]
    [InlineData("61 2 * * *", "minute 61 (field 1, character 1) is out of range 0-59.")]
    [InlineData("0 24 * * *", "hour 24 (field 2, character 3) is out of range 0-23.")]
    [InlineData("0 2 0 * *", "day-of-month 0 (field 3, character 5) is out of range 1-31.")]
    [InlineData("0 2 32 * *", "day-of-month 32 (field 3, character 5) is out of range 1-31.")]
    [InlineData("0 2 * 13 *", "month 13 (field 4, character 7) is out of range 1-12 or JAN-DEC.")]
    [InlineData("0 2 * * 8", "day-of-week 8 (field 5, character 9) is out of range 0-7 (0 and 7 are Sunday) or SUN-SAT.")]
    [InlineData("0 2 * * TUE,THX", "day-of-week 'THX' (field 5, character 13) is not allowed: use 0-7 (0 and 7 are Sunday) or SUN-SAT. Did you mean 'THU'?")]
    [InlineData("0 2 * JUNE *", "month 'JUNE' (field 4, character 7) is not allowed: use 1-12 or JAN-DEC. Did you mean 'JUN'?")]
    [InlineData("0 MON * * *", "hour 'MON' (field 2, character 3) is not allowed: use 0-23.")]
    [InlineData("0 2 * * FRI-MON", "day-of-week range FRI-MON (field 5, character 9) runs backwards from 5 to 1; write it as two ranges, e.g. FRI-SUN,MON.")]
    [InlineData("0 22-2 * * *", "hour range 22-2 (field 2, character 3) runs backwards from 22 to 2; write it as two ranges, e.g. 22-23,0-2.")]
    [InlineData("0 2 * NOV-FEB *", "month range NOV-FEB (field 4, character 7) runs backwards from 11 to 2; write it as two ranges, e.g. NOV-DEC,JAN-FEB.")]
    [InlineData("*/0 2 * * *", "minute step '0' (field 1, character 3) must be a whole number of at least 1, e.g. */15.")]
    [InlineData("0 2/x * * *", "hour step 'x' (field 2, character 5) must be a whole number of at least 1, e.g. */15.")]
    [InlineData("0 2 * * 1,,3", "day-of-week has an empty list item (field 5, character 11); separate values with single commas, e.g. 1,15.")]
    [InlineData("0 2- * * *", "hour is missing a value (field 2, character 5): use 0-23.")]
    [InlineData("0 2 ? * MON", "day-of-month '?' (field 3, character 5) is not allowed; '?' is Quartz syntax, standard cron writes *: use 1-31.")]
    [InlineData("0 2 L * *", "day-of-month 'L' (field 3, character 5) is not allowed; L, W and # are Quartz extensions, not standard cron: use 1-31.")]
    [InlineData("0 2 * * 5#3", "day-of-week '5#3' (field 5, character 9) is not allowed; L, W and # are Quartz extensions, not standard cron: use 0-7 (0 and 7 are Sunday) or SUN-SAT.")]
    [InlineData("0 2 30 FEB *", "day-of-month 30 (field 3, character 5) never occurs in FEB, so the expression would never fire; pick days that exist in those months.")]
    [InlineData("0 2 31 4,6,9,11 *", "day-of-month 31 (field 3, character 5) never occurs in APR,JUN,SEP,NOV, so the expression would never fire; pick days that exist in those months.")]
    public void TryParse_BadField_NamesTheFieldPositionAndWhatIsAllowed(string text, string expected)
    {
        Assert.False(CronExpression.TryParse(text, out var cron, out var error));

        Assert.Null(cron);
        Assert.Equal(expected, error);
    }

    [Theory]
    [InlineData("", "the expression is empty")]
    [InlineData("0 2 * *", "found 4 fields.")]
    [InlineData("0 0 2 * * TUE", "found 6 fields. Seconds and year fields are not part of standard cron.")]
    [InlineData("0 2 * * TUE, THU", "found 6 fields. Lists take no spaces: write TUE,THU, not TUE, THU.")]
    [InlineData("@daily", "shorthands like '@daily' are not supported; write the five fields: minute hour day-of-month month day-of-week, e.g. \"0 2 * * TUE,THU\": @daily is \"0 0 * * *\".")]
    public void TryParse_WrongShape_SaysWhatAFullExpressionLooksLike(string text, string expected)
    {
        Assert.False(CronExpression.TryParse(text, out _, out var error));

        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.Contains("minute hour day-of-month month day-of-week", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_BadText_ThrowsFormatExceptionWithTheText()
    {
        var e = Assert.Throws<FormatException>(() => CronExpression.Parse("0 2 * * X"));

        Assert.StartsWith("cron \"0 2 * * X\": day-of-week 'X'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Text_ExtraWhitespace_IsNormalisedToSingleSpaces()
    {
        Assert.Equal("0 2 * * TUE,THU", CronExpression.Parse("  0  2 *\t* TUE,THU ").Text);
    }

    private static IEnumerable<LocalDate> Week() => Enumerable.Range(0, 7).Select(Monday.PlusDays);

    private static IEnumerable<LocalDate> March() => Enumerable.Range(0, 31).Select(Monday.PlusDays);
}
