using System.Text;
using MaintenanceWorkflows.Workflows.Contracts;
using MaintenanceWorkflows.Workflows.Plans;
using Temporalio.Converters;

namespace MaintenanceWorkflows.Activities.Tests.Contracts;

public class ContractSerializationTests
{
    [Fact]
    public async Task CheckResult_RoundTripThroughTemporalConverter_KeepsValuesAndWritesEnumAsString()
    {
        var result = new CheckResult(
            "ses-quota",
            "SES quota",
            CheckStatus.Amber,
            "160/200 (80%)",
            "amber at 80%, red at 100%",
            "Quota is at the amber threshold.",
            TimeSpan.FromMilliseconds(42),
            new DateTimeOffset(2025, 3, 4, 10, 0, 0, TimeSpan.Zero),
            [new CheckDetail("quota", true, "160", "ok")]);

        var (json, back) = await RoundTripAsync(result);

        Assert.Contains("\"Status\":\"Amber\"", json, StringComparison.Ordinal);
        Assert.Equal(result with { Details = back.Details }, back);
        Assert.Equal(result.Details, back.Details);
        Assert.True(back.Passed);
    }

    [Fact]
    public async Task PromoteLambdaAliasResult_RoundTripThroughTemporalConverter_KeepsPreviousVersion()
    {
        var result = new PromoteLambdaAliasResult("beak", "prod", "39", "40", "40", true, "rev-2");

        var (_, back) = await RoundTripAsync(result);

        Assert.Equal(result, back);
    }

    [Fact]
    public async Task RunCommandResult_RoundTripThroughTemporalConverter_KeepsOutputTail()
    {
        var result = new RunCommandResult("patch", "apt-upgrade", 3, TimeSpan.FromSeconds(2), ["a", "b"]);

        var (_, back) = await RoundTripAsync(result);

        Assert.Equal(result.OutputTail, back.OutputTail);
        Assert.Equal(3, back.ExitCode);
        Assert.False(back.Succeeded);
    }

    [Fact]
    public async Task RunChecksInput_RoundTripThroughTemporalConverter_KeepsEachCheckTypeAndItsPlanFields()
    {
        var input = new RunChecksInput(
        [
            new LambdaAliasCheck { Id = "parity", Title = "Alias parity", Function = "beak-api", Alias = "prod", ExpectedVersion = "40" },
            new HttpJsonCheck { Id = "status", Title = "Status", Target = "beak", Path = "/status", RequiredKeys = ["lambda.version"], Expect = [new() { Path = "database", EqualTo = "ok" }] },
            new FreezeCheck { Id = "freeze", Title = "Freeze", Source = "dashboard", When = CheckPhase.Pre },
        ]);

        var (json, back) = await RoundTripAsync(input);

        // The YAML discriminator and field names, so history reads like the plan.
        Assert.Contains("\"type\":\"lambda.alias\"", json, StringComparison.Ordinal);
        Assert.Contains("\"Function\":\"beak-api\"", json, StringComparison.Ordinal);
        Assert.Equal(input.Checks.Select(c => c.GetType()), back.Checks.Select(c => c.GetType()));
        Assert.Equal(input.Checks[0], back.Checks[0]);
        Assert.Equal(["lambda.version"], ((HttpJsonCheck)back.Checks[1]).RequiredKeys);
        Assert.Equal("ok", ((HttpJsonCheck)back.Checks[1]).Expect[0].EqualTo);
        Assert.Equal(input.Checks[2], back.Checks[2]);
    }

    private static async Task<(string Json, T Back)> RoundTripAsync<T>(T value)
    {
        var payload = await DataConverter.Default.ToPayloadAsync(value);
        var back = await DataConverter.Default.ToValueAsync<T>(payload);
        return (Encoding.UTF8.GetString(payload.Data.ToByteArray()), back);
    }
}
