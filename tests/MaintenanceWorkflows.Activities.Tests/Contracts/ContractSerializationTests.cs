using System.Text;
using MaintenanceWorkflows.Workflows.Contracts;
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
    public async Task StatusPageUpdateInput_RoundTripThroughTemporalConverter_WritesStatusAsString()
    {
        var input = new StatusPageUpdateInput(
            "maint-lambda-v40",
            "Lambda v40 promotion",
            "Starting now.",
            StatusPageMaintenanceStatus.InProgress,
            new DateTimeOffset(2025, 3, 4, 10, 0, 0, TimeSpan.Zero),
            new DateTimeOffset(2025, 3, 4, 12, 0, 0, TimeSpan.Zero),
            null);

        var (json, back) = await RoundTripAsync(input);

        Assert.Contains("\"Status\":\"InProgress\"", json, StringComparison.Ordinal);
        Assert.Equal(input, back);
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

    private static async Task<(string Json, T Back)> RoundTripAsync<T>(T value)
    {
        var payload = await DataConverter.Default.ToPayloadAsync(value);
        var back = await DataConverter.Default.ToValueAsync<T>(payload);
        return (Encoding.UTF8.GetString(payload.Data.ToByteArray()), back);
    }
}
