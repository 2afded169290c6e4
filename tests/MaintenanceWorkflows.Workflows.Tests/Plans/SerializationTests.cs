using System.Text;
using System.Text.Json;
using MaintenanceWorkflows.Workflows.Plans;
using Temporalio.Converters;

namespace MaintenanceWorkflows.Workflows.Tests.Plans;

/// <summary>Plans, policies and schedules travel as workflow input: they must survive Temporal's default converter unchanged.</summary>
public class SerializationTests
{
    [Fact]
    public async Task DataConverter_LambdaPlan_RoundTripsWithTypedStepsAndChecks()
    {
        var plan = TestFiles.Plan("lambda-v40-promotion.yaml");

        var (back, json) = await RoundTripAsync(plan);

        Assert.Equal(json, await JsonOfAsync(back));
        Assert.Equal(plan.Window, back.Window);
        var promote = Assert.IsType<LambdaPromoteStep>(Assert.Single(back.Steps));
        Assert.Equal("40", promote.Version);
        Assert.True(promote.HasBuiltInCompensation);
        Assert.Equal(plan.Checks.Select(c => c.GetType()), back.Checks.Select(c => c.GetType()));
        var invoke = back.Checks.OfType<LambdaInvokeCheck>().Single();
        Assert.Equal(TimeSpan.FromMilliseconds(2000), invoke.MaxDuration);
        Assert.Equal(160, back.Checks.OfType<EmailQuotaCheck>().Single().AmberAt);
    }

    [Fact]
    public async Task DataConverter_Plan_WritesEnumsAndDiscriminatorsAsReadableText()
    {
        var (_, json) = await RoundTripAsync(TestFiles.Plan("lambda-v40-promotion.yaml"));

        Assert.Contains("\"type\":\"lambda.promote\"", json, StringComparison.Ordinal);
        Assert.Contains("\"type\":\"http.json\"", json, StringComparison.Ordinal);
        Assert.Contains("\"Type\":\"Routine\"", json, StringComparison.Ordinal);
        Assert.Contains("\"When\":\"Verify\"", json, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DataConverter_StepWithExplicitRollbackAndArgs_RoundTrips()
    {
        PlanStep step = new CommandStep
        {
            Id = "migrate",
            Title = "Run migrations",
            Command = "flask-db-upgrade",
            Args = new Dictionary<string, string> { ["revision"] = "a1b2c3" },
            Timeout = TimeSpan.FromMinutes(10),
            Rollback = new CommandStep { Id = "migrate-down", Title = "Downgrade", Command = "flask-db-downgrade", Args = new Dictionary<string, string> { ["revision"] = "9f8e7d" } },
        };

        var (back, json) = await RoundTripAsync(step);

        Assert.Equal(json, await JsonOfAsync(back));
        var command = Assert.IsType<CommandStep>(back);
        Assert.Equal("a1b2c3", command.Args["revision"]);
        Assert.Equal("flask-db-downgrade", Assert.IsType<CommandStep>(command.Rollback).Command);
    }

    [Fact]
    public async Task DataConverter_Policy_RoundTrips()
    {
        var policy = TestFiles.Policy();

        var (back, json) = await RoundTripAsync(policy);

        Assert.Equal(json, await JsonOfAsync(back));
        Assert.Equal(policy.Cadence[0].Start, back.Cadence[0].Start);
        Assert.Equal([Weekday.Tuesday, Weekday.Thursday], back.Cadence[0].Days);
        Assert.Equal(policy.Freezes[0].Start, back.Freezes[0].Start);
    }

    [Fact]
    public async Task DataConverter_ScheduleAndFacts_RoundTrip()
    {
        var schedule = ScheduleRules.Derive(TestFiles.Plan("lambda-v40-promotion.yaml"), TestFiles.Policy(), TestFiles.Now);
        var facts = new NoticeFacts
        {
            CompletedAt = TestFiles.Now,
            Duration = TimeSpan.FromMinutes(8),
            Verification = [new VerificationLine { Name = "Lambda alias parity", Passed = true, Detail = "prod -> 40" }],
        };

        var (scheduleBack, scheduleJson) = await RoundTripAsync(schedule);
        var (factsBack, factsJson) = await RoundTripAsync(facts);

        Assert.Equal(scheduleJson, await JsonOfAsync(scheduleBack));
        Assert.Equal(schedule.NoticeAt, scheduleBack.NoticeAt);
        Assert.Equal(factsJson, await JsonOfAsync(factsBack));
        Assert.True(factsBack.Verification[0].Passed);
    }

    private static async Task<(T Value, string Json)> RoundTripAsync<T>(T value)
    {
        var payload = await DataConverter.Default.ToPayloadAsync(value);
        var json = Encoding.UTF8.GetString(payload.Data.ToByteArray());
        var back = await DataConverter.Default.ToValueAsync<T>(payload);
        Assert.NotNull(back);
        return (back, json);
    }

    private static async Task<string> JsonOfAsync<T>(T value)
    {
        var payload = await DataConverter.Default.ToPayloadAsync(value);
        var json = Encoding.UTF8.GetString(payload.Data.ToByteArray());
        using var _ = JsonDocument.Parse(json);
        return json;
    }
}
