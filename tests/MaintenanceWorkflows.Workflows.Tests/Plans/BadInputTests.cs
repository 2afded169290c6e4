using MaintenanceWorkflows.Workflows.Plans;

namespace MaintenanceWorkflows.Workflows.Tests.Plans;

/// <summary>Issue 13 rows for plan YAML: bad numbers, dates, durations, nesting, size and target paths get an error naming the field.</summary>
public class BadInputTests
{
    private const string File = "plan.yaml";

    private static string Lambda => System.IO.File.ReadAllText(TestFiles.Example("lambda-v40-promotion.yaml"));

    [Theory]
    [InlineData("NaN")]
    [InlineData(".nan")]
    [InlineData("Infinity")]
    [InlineData("-Infinity")]
    [InlineData("1e400")]
    public void ParsePlan_NonFiniteAvailability_RefusedNamingTheField(string value)
    {
        var yaml = Replace(Lambda, "availabilityBelowPercent:", $"availabilityBelowPercent: {value}");

        var error = Assert.Single(PlanYaml.ParsePlan(yaml, File, TestFiles.Now).Errors);

        Assert.Equal("rollback.triggers.availabilityBelowPercent", error.Path);
    }

    [Theory]
    [InlineData("200", "between 0 and 100")]
    [InlineData("-1", "between 0 and 100")]
    public void ParsePlan_AvailabilityOutOfRange_RefusedNamingTheField(string value, string expected)
    {
        var yaml = Replace(Lambda, "availabilityBelowPercent:", $"availabilityBelowPercent: {value}");

        var error = Assert.Single(PlanYaml.ParsePlan(yaml, File, TestFiles.Now).Errors);

        Assert.Equal("rollback.triggers.availabilityBelowPercent", error.Path);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("99999999999d")]
    [InlineData("3651d")]
    [InlineData("999999999999999999999999999999ms")]
    public void ParsePlan_HugeDuration_RefusedNamingTheFieldAndTheLimit(string value)
    {
        var yaml = Replace(Lambda, "  duration:", $"  duration: {value}");

        var error = Assert.Single(PlanYaml.ParsePlan(yaml, File, TestFiles.Now).Errors);

        Assert.Equal("window.duration", error.Path);
        Assert.Contains("3650 days", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0001-01-01T00:00")]
    [InlineData("9999-12-31T23:59")]
    [InlineData("0001-01-01T00:00+05:00")]
    [InlineData("9999-12-31T23:59-12:00")]
    public void ParsePlan_DateOutOfRange_RefusedNamingTheField(string value)
    {
        var yaml = Replace(Lambda, "  start:", $"  start: {value}");

        var error = Assert.Single(PlanYaml.ParsePlan(yaml, File, TestFiles.Now).Errors);

        Assert.Equal("window.start", error.Path);
        Assert.Contains("out of range", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(100_000, "tags: ", "[")]
    [InlineData(100_000, "tags: ", "{a: ")]
    [InlineData(100_000, "tags:\n", "- ")]
    public void ParsePlan_NestedOneHundredThousandDeep_RefusedBeforeParsingWithoutOverflow(int depth, string prefix, string opener)
    {
        var yaml = Lambda + "\n" + prefix + string.Concat(Enumerable.Repeat(opener, depth));

        var error = Assert.Single(PlanYaml.ParsePlan(yaml, File, TestFiles.Now).Errors);

        Assert.Contains($"more than {PlanYaml.MaxDepth} levels", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadPlanFile_LargerThanTheCap_RefusedWithoutReadingItAll()
    {
        var path = Path.GetTempFileName();
        try
        {
            System.IO.File.WriteAllText(path, Lambda + "\n# " + new string('x', PlanYaml.MaxFileBytes));

            var error = Assert.Single(Assert.Throws<PlanLoadException>(() => PlanYaml.LoadPlanFile(path, TestFiles.Now)).Errors);

            Assert.Contains("larger than 1024 KiB", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            System.IO.File.Delete(path);
        }
    }

    [Fact]
    public void LoadPlanFile_DevZero_RefusedAsTooLarge()
    {
        var error = Assert.Single(Assert.Throws<PlanLoadException>(() => PlanYaml.LoadPlanFile("/dev/zero", TestFiles.Now)).Errors);

        Assert.Contains("larger than", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadPlanFile_InvalidUtf8_RefusedNamingTheByte()
    {
        var path = Path.GetTempFileName();
        try
        {
            var bytes = System.Text.Encoding.UTF8.GetBytes("id: demo\ntitle: caf").Concat(new byte[] { 0xC3, 0x28 }).Concat(System.Text.Encoding.UTF8.GetBytes("\n")).ToArray();
            System.IO.File.WriteAllBytes(path, bytes);

            var error = Assert.Single(Assert.Throws<PlanLoadException>(() => PlanYaml.LoadPlanFile(path, TestFiles.Now)).Errors);

            Assert.Contains("not valid UTF-8 text at byte", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            System.IO.File.Delete(path);
        }
    }

    [Theory]
    [InlineData("https://other-host:8443/collect")]
    [InlineData("//other-host/collect")]
    [InlineData("../../admin")]
    [InlineData("/beak/../../admin")]
    [InlineData("%2e%2e/admin")]
    [InlineData("%252e%252e%252fadmin")]
    [InlineData("beak\\..\\admin")]
    [InlineData("mailto:ops@example.com")]
    public void Validate_TargetPathLeavingTheTarget_RefusedNamingThePath(string path)
    {
        var yaml = Replace(Lambda, "    path: /beak/system/status", $"    path: '{path}'");
        var plan = PlanYaml.ParsePlan(yaml, File, TestFiles.Now).GetValueOrThrow();

        var violation = Assert.Single(PlanValidator.Validate(plan, TestFiles.Policy(), TestFiles.Now), v => v.Severity == ViolationSeverity.Error);

        Assert.Equal(ViolationCodes.CheckLocation, violation.Code);
        Assert.EndsWith(".path", violation.Path, StringComparison.Ordinal);
        Assert.Contains("is refused", violation.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/beak/system/status")]
    [InlineData("beak/system/status?verbose=1")]
    [InlineData("/v1/items:batchGet")]
    [InlineData("/search?q=a%20b")]
    public void TargetPaths_OrdinaryPaths_Accepted(string path) => Assert.Null(TargetPaths.Problem(path));

    private static string Replace(string yaml, string key, string replacement)
    {
        var lines = yaml.Split('\n');
        var index = Array.FindIndex(lines, l => l.TrimStart().StartsWith(key.Trim(), StringComparison.Ordinal));
        Assert.True(index >= 0, $"no line with {key}");
        var indent = lines[index][..(lines[index].Length - lines[index].TrimStart().Length)];
        lines[index] = indent + replacement.TrimStart();
        return string.Join('\n', lines);
    }
}
