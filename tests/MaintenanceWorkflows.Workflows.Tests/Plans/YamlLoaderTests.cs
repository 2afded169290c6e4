using MaintenanceWorkflows.Workflows.Plans;

namespace MaintenanceWorkflows.Workflows.Tests.Plans;

public class YamlLoaderTests
{
    private const string File = "plan.yaml";

    private const string Valid = """
        id: demo
        title: Demo
        type: routine
        requester: ops-lead
        window:
          start: 2027-02-09T02:00
          duration: 30m
          timeZone: America/Los_Angeles
        scope: Demo scope
        impact:
          summary: None
        steps:
          - id: wait
            type: wait
            title: Wait a bit
            duration: 1m
        """;

    [Fact]
    public void ParsePlan_ValidMinimalPlan_ReadsLocalTimeInItsZone()
    {
        var plan = PlanYaml.ParsePlan(Valid, File).GetValueOrThrow();

        Assert.Equal(new DateTimeOffset(2027, 2, 9, 10, 0, 0, TimeSpan.Zero), plan.Window.Start);
        Assert.Equal(TimeSpan.FromMinutes(30), plan.Window.Duration);
        Assert.Equal(TimeSpan.FromMinutes(1), Assert.IsType<WaitStep>(Assert.Single(plan.Steps)).Duration);
    }

    [Fact]
    public void ParsePlan_BadIndentation_ReportsSyntaxErrorWithLineAndHint()
    {
        var yaml = Valid.Replace("  duration: 30m", "    duration: 30m", StringComparison.Ordinal);

        var error = Assert.Single(PlanYaml.ParsePlan(yaml, File).Errors);

        Assert.Equal(File, error.File);
        Assert.Equal(7, error.Line);
        Assert.Contains("YAML syntax error", error.Message, StringComparison.Ordinal);
        Assert.Contains("indentation", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ParsePlan_TabIndentation_ReportsSyntaxError()
    {
        var yaml = Valid.Replace("  summary: None", "\tsummary: None", StringComparison.Ordinal);

        var error = Assert.Single(PlanYaml.ParsePlan(yaml, File).Errors);

        Assert.Equal((11, 1), (error.Line, error.Column));
        Assert.Contains("tab", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ParsePlan_UnknownField_ReportsPositionPathAndSuggestion()
    {
        var yaml = Valid.Replace("  summary: None", "  summary: None\n  downtme: true", StringComparison.Ordinal);

        var error = Assert.Single(PlanYaml.ParsePlan(yaml, File).Errors);

        Assert.Equal((12, 3), (error.Line, error.Column));
        Assert.Equal("impact.downtme", error.Path);
        Assert.Contains("unknown field 'downtme'", error.Message, StringComparison.Ordinal);
        Assert.Contains("Did you mean 'downtime'?", error.Message, StringComparison.Ordinal);
        Assert.Contains("plan.yaml:12:3: impact.downtme:", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void ParsePlan_UnknownFieldInStep_SuggestsTheStepTypesField()
    {
        var yaml = Valid.Replace("    duration: 1m", "    duraton: 1m", StringComparison.Ordinal);

        var errors = PlanYaml.ParsePlan(yaml, File).Errors;

        Assert.Contains(errors, e => e.Path == "steps[0].duration" && e.Message.Contains("missing required field 'duration'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Path == "steps[0].duraton" && e.Line == 16 && e.Message.Contains("Did you mean 'duration'?", StringComparison.Ordinal));
    }

    [Fact]
    public void ParsePlan_WrongType_SaysWhatWasExpected()
    {
        var yaml = Valid.Replace("requester: ops-lead", "requester: [ops-lead, sre]", StringComparison.Ordinal)
            .Replace("scope: Demo scope", "scope: Demo scope\ntags: LAMBDA", StringComparison.Ordinal);

        var errors = PlanYaml.ParsePlan(yaml, File).Errors;

        Assert.Contains(errors, e => e.Path == "requester" && e.Line == 4 && e.Message.Contains("expected text, found a list", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Path == "tags" && e.Message.Contains("expected a list", StringComparison.Ordinal));
    }

    [Fact]
    public void ParsePlan_MissingRequiredField_NamesFieldAndItsMapping()
    {
        var yaml = Valid.Replace("scope: Demo scope\n", string.Empty, StringComparison.Ordinal);

        var error = Assert.Single(PlanYaml.ParsePlan(yaml, File).Errors);

        Assert.Equal("scope", error.Path);
        Assert.Contains("missing required field 'scope'", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, error.Line);
    }

    [Theory]
    [InlineData("30", "a unit is required")]
    [InlineData("half an hour", "expected a duration like 24h")]
    [InlineData("30 m", "expected a duration like 24h")]
    public void ParsePlan_BadDuration_ReportsExpectedFormat(string duration, string expected)
    {
        var yaml = Valid.Replace("duration: 30m", $"duration: {duration}", StringComparison.Ordinal);

        var error = Assert.Single(PlanYaml.ParsePlan(yaml, File).Errors);

        Assert.Equal(("window.duration", 7, 13), (error.Path, error.Line, error.Column));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ParsePlan_BadZoneId_SuggestsTheIanaId()
    {
        var yaml = Valid.Replace("America/Los_Angeles", "America/Los Angeles", StringComparison.Ordinal);

        var errors = PlanYaml.ParsePlan(yaml, File).Errors;

        var zone = Assert.Single(errors, e => e.Path == "window.timeZone");
        Assert.Equal((8, 13), (zone.Line, zone.Column));
        Assert.Contains("did you mean 'America/Los_Angeles'", zone.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ParsePlan_UnknownStepTypeAndEnum_SuggestClosest()
    {
        var yaml = Valid.Replace("type: wait", "type: wiat", StringComparison.Ordinal).Replace("type: routine", "type: rutine", StringComparison.Ordinal);

        var errors = PlanYaml.ParsePlan(yaml, File).Errors;

        Assert.Contains(errors, e => e.Path == "type" && e.Message.Contains("Did you mean 'routine'?", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Path == "steps[0].type" && e.Message.Contains("Did you mean 'wait'?", StringComparison.Ordinal));
    }

    [Fact]
    public void ParsePlan_SeveralProblems_AllReportedAtOnceInFileOrder()
    {
        var yaml = Valid.Replace("type: routine", "type: weekly", StringComparison.Ordinal)
            .Replace("duration: 30m", "duration: soon", StringComparison.Ordinal)
            .Replace("  summary: None", "  summary: None\n  colour: red", StringComparison.Ordinal);

        var errors = PlanYaml.ParsePlan(yaml, File).Errors;

        Assert.Equal(3, errors.Count);
        Assert.Equal(errors.OrderBy(e => e.Line).ThenBy(e => e.Column), errors);
    }

    [Theory]
    [InlineData("tags: [LAMBDA, PROD\n")]
    [InlineData("tags: [LAMBDA, PROD\nreason: x\n")]
    [InlineData("reason: 'unterminated\n")]
    public void ParsePlan_UnclosedFlowOrQuote_ReportsSyntaxErrorInsteadOfCrashing(string tail)
    {
        var error = Assert.Single(PlanYaml.ParsePlan(Valid + "\n" + tail, File).Errors);

        Assert.StartsWith("YAML syntax error", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ParsePlan_DuplicateKey_IsAnError()
    {
        var yaml = Valid + "\ntitle: Again\n";

        var errors = PlanYaml.ParsePlan(yaml, File).Errors;

        Assert.Contains(errors, e => e.Message.Contains("duplicate", StringComparison.OrdinalIgnoreCase) || e.Message.Contains("twice", StringComparison.Ordinal));
    }

    [Fact]
    public void ParsePlan_CommandWithShellString_RejectsArgsThatAreNotNamed()
    {
        var yaml = Valid.Replace(
            "  - id: wait\n    type: wait\n    title: Wait a bit\n    duration: 1m",
            "  - id: run\n    type: command\n    title: Run\n    command: migrate\n    args: \"rm -rf / && migrate\"",
            StringComparison.Ordinal);

        var error = Assert.Single(PlanYaml.ParsePlan(yaml, File).Errors);

        Assert.Equal("steps[0].args", error.Path);
        Assert.Contains("named arguments", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ParsePlan_StartNow_UsesTheGivenNow()
    {
        var now = new DateTimeOffset(2027, 2, 1, 12, 0, 0, TimeSpan.Zero);
        var yaml = Valid.Replace("start: 2027-02-09T02:00", "start: now", StringComparison.Ordinal);

        var plan = PlanYaml.ParsePlan(yaml, File, now).GetValueOrThrow();

        Assert.Equal(now, plan.Window.Start);
        Assert.Equal(now.AddMinutes(30), plan.Window.End);
    }

    [Fact]
    public void ParsePlan_StartNowWithoutNow_IsAnError()
    {
        var yaml = Valid.Replace("start: 2027-02-09T02:00", "start: now", StringComparison.Ordinal);

        var error = Assert.Single(PlanYaml.ParsePlan(yaml, File).Errors);

        Assert.Equal("window.start", error.Path);
    }

    [Fact]
    public void ParsePlan_EndAndDuration_IsAnError()
    {
        var yaml = Valid.Replace("  duration: 30m", "  duration: 30m\n  end: 2027-02-09T03:00", StringComparison.Ordinal);

        var error = Assert.Single(PlanYaml.ParsePlan(yaml, File).Errors);

        Assert.Contains("either end or duration", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ParsePolicy_UnknownNestedField_ReportsPath()
    {
        var yaml = System.IO.File.ReadAllText(TestFiles.Example("policy.yaml"))
            .Replace("    notice: 24h", "    notice: 24h\n    noticeChannel: email", StringComparison.Ordinal);

        var error = Assert.Single(PlanYaml.ParsePolicy(yaml, "policy.yaml").Errors);

        Assert.Equal("types.routine.noticeChannel", error.Path);
    }

    [Fact]
    public void LoadPlanFile_MissingFile_ThrowsWithClearMessage()
    {
        var e = Assert.Throws<PlanLoadException>(() => PlanYaml.LoadPlanFile("/nonexistent/plan.yaml"));

        Assert.Contains("cannot read the file", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("24h", 24 * 60 * 60 * 1000.0)]
    [InlineData("15m", 15 * 60 * 1000.0)]
    [InlineData("15min", 15 * 60 * 1000.0)]
    [InlineData("90s", 90 * 1000.0)]
    [InlineData("2000ms", 2000.0)]
    [InlineData("1h30m", 90 * 60 * 1000.0)]
    [InlineData("1d", 24 * 60 * 60 * 1000.0)]
    [InlineData("0", 0.0)]
    public void TryParseDuration_ValidText_ParsesAndFormatsBack(string text, double milliseconds)
    {
        Assert.True(YamlValues.TryParseDuration(text, out var duration));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), duration);
        Assert.True(YamlValues.TryParseDuration(YamlValues.FormatDuration(duration), out var again));
        Assert.Equal(duration, again);
    }

    [Theory]
    [InlineData("")]
    [InlineData("15")]
    [InlineData("h")]
    [InlineData("-5m")]
    [InlineData("5 minutes")]
    public void TryParseDuration_InvalidText_Fails(string text)
    {
        Assert.False(YamlValues.TryParseDuration(text, out _));
    }
}
