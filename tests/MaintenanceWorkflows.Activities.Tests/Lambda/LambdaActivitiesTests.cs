using MaintenanceWorkflows.Activities.Aws;
using MaintenanceWorkflows.Activities.Lambda;
using MaintenanceWorkflows.Activities.Tests.Support;
using MaintenanceWorkflows.Workflows.Contracts;
using MaintenanceWorkflows.Workflows.Plans;
using Temporalio.Exceptions;
using MaintenanceWorkflows.Sandbox.Aws;
using MaintenanceWorkflows.Sandbox.Lambda;

namespace MaintenanceWorkflows.Activities.Tests.Lambda;

public sealed class LambdaActivitiesTests : IAsyncLifetime
{
    private const string ShaV39 = "shaV39+AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    private const string ShaV40 = "shaV40+BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB=";
    private LocalLambdaServer fake = null!;
    private ActivityHost host = null!;
    private LocalFunction beak = null!;

    public async Task InitializeAsync()
    {
        fake = await LocalLambdaServer.StartAsync(StaticCredentialSource.Test.AccessKeyId, StaticCredentialSource.Test.SecretAccessKey);
        host = NewHost(StaticCredentialSource.Test);
        beak = fake.AddFunction("beak-api", ShaV40, [.. Enumerable.Repeat(ShaV39, 39), ShaV40]);
        beak.AddAlias("prod", "39");
    }

    public async Task DisposeAsync()
    {
        await host.DisposeAsync();
        await fake.DisposeAsync();
    }

    [Fact]
    public async Task CheckAlias_AliasOnExpectedVersion_IsGreen()
    {
        var result = await host.RunAsync<LambdaActivities, CheckResult>(a => a.CheckAliasAsync(new LambdaAliasCheck { Id = "alias-parity", Title = "Alias parity", Function = "beak-api", Alias = "prod", ExpectedVersion = "39" }));

        Assert.Equal(CheckStatus.Green, result.Status);
        Assert.Equal("39", result.Observed);
        Assert.Equal("alias-parity", result.CheckId);
    }

    [Fact]
    public async Task CheckAlias_AliasOnOtherVersion_IsRedAndReportsDrift()
    {
        var result = await host.RunAsync<LambdaActivities, CheckResult>(a => a.CheckAliasAsync(new LambdaAliasCheck { Id = "alias-parity", Title = "Alias parity", Function = "beak-api", Alias = "prod", ExpectedVersion = "40" }));

        Assert.Equal(CheckStatus.Red, result.Status);
        Assert.False(result.Passed);
        Assert.Contains("drift", result.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("points at 39", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckAlias_WeightedRoutingToAnotherVersion_IsRed()
    {
        beak.Aliases["prod"].Weights["40"] = 0.1;

        var result = await host.RunAsync<LambdaActivities, CheckResult>(a => a.CheckAliasAsync(new LambdaAliasCheck { Id = "alias-parity", Title = "Alias parity", Function = "beak-api", Alias = "prod", ExpectedVersion = "39" }));

        Assert.Equal(CheckStatus.Red, result.Status);
        Assert.Contains(result.Details, d => d.Name == "weighted 40" && !d.Passed);
    }

    [Fact]
    public async Task CheckAlias_FunctionMissing_IsRedWithAwsMessage()
    {
        var result = await host.RunAsync<LambdaActivities, CheckResult>(a => a.CheckAliasAsync(new LambdaAliasCheck { Id = "alias-parity", Title = "Alias parity", Function = "nope", Alias = "prod", ExpectedVersion = "39" }));

        Assert.Equal(CheckStatus.Red, result.Status);
        Assert.Contains("Function not found", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PromoteAlias_Version_MovesAliasAndReturnsPreviousVersion()
    {
        var result = await Promote(new("maint-v40", "promote", "beak-api", "prod", "40"));

        Assert.Equal("39", result.PreviousVersion);
        Assert.Equal("40", result.NewVersion);
        Assert.True(result.Changed);
        Assert.Null(result.PublishedVersion);
        Assert.Equal("40", beak.Aliases["prod"].FunctionVersion);
    }

    [Fact]
    public async Task PromoteAlias_RetriedAfterLostUpdateResponse_DoesNotFlipTwiceAndKeepsPreviousVersion()
    {
        fake.FailNext("UpdateAlias", 500, "ServiceException", "Internal error", afterApplying: true);

        var first = await Assert.ThrowsAsync<ApplicationFailureException>(() => Promote(new("maint-v40", "promote", "beak-api", "prod", "40")));
        var retry = await Promote(new("maint-v40", "promote", "beak-api", "prod", "40"));

        Assert.False(first.NonRetryable);
        Assert.Equal("ServiceException", first.ErrorType);
        Assert.Equal("39", retry.PreviousVersion);
        Assert.True(retry.Changed);
        Assert.Equal(1, fake.Calls("UpdateAlias"));
    }

    [Fact]
    public async Task PromoteAlias_AlreadyOnTargetBeforeWindow_ReportsNoChange()
    {
        var result = await Promote(new("maint-v39", "promote", "beak-api", "prod", "39"));

        Assert.False(result.Changed);
        Assert.Equal("39", result.PreviousVersion);
        Assert.Equal(0, fake.Calls("UpdateAlias"));
    }

    [Fact]
    public async Task PromoteAlias_PublishRetriedAfterLostPublishResponse_PublishesOnce()
    {
        const string ShaV41 = "shaV41+CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC=";
        beak.LatestCodeSha256 = ShaV41;
        fake.FailNext("PublishVersion", 503, "ServiceException", "Service unavailable", afterApplying: true);

        var first = await Assert.ThrowsAsync<ApplicationFailureException>(() => Promote(new("maint-v41", "publish", "beak-api", "prod", null, Publish: true)));
        var retry = await Promote(new("maint-v41", "publish", "beak-api", "prod", null, Publish: true));

        Assert.False(first.NonRetryable);
        Assert.Equal("41", retry.PublishedVersion);
        Assert.Equal("41", retry.NewVersion);
        Assert.Equal("39", retry.PreviousVersion);
        Assert.Equal(1, fake.Calls("PublishVersion"));
        Assert.Equal(41, beak.Versions.Count);
        Assert.Equal("maint:maint-v41/publish", beak.Versions[^1].Description);
    }

    [Theory]
    [InlineData("$LATEST", "not $LATEST")]
    [InlineData("v40", "digits")]
    public async Task PromoteAlias_BadVersion_FailsNonRetryableNamingTheField(string version, string hint)
    {
        var error = await Assert.ThrowsAsync<ApplicationFailureException>(() => Promote(new("w", "promote", "beak-api", "prod", version)));

        Assert.True(error.NonRetryable);
        Assert.Equal(ActivityErrorTypes.InvalidInput, error.ErrorType);
        Assert.Contains("Version", error.Message, StringComparison.Ordinal);
        Assert.Contains(hint, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PromoteAlias_BothTargetAndPublish_FailsNonRetryable()
    {
        var error = await Assert.ThrowsAsync<ApplicationFailureException>(() => Promote(new("w", "promote", "beak-api", "prod", "40", Publish: true)));

        Assert.True(error.NonRetryable);
        Assert.Contains("exactly one of Version", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PromoteAlias_UnknownVersion_FailsNonRetryableWithAwsType()
    {
        var error = await Assert.ThrowsAsync<ApplicationFailureException>(() => Promote(new("w", "promote", "beak-api", "prod", "99")));

        Assert.True(error.NonRetryable);
        Assert.Equal("ResourceNotFoundException", error.ErrorType);
        Assert.Contains("Version 99 of beak-api does not exist", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PromoteAlias_Throttled_FailsRetryableWithAwsTypeAndMessage()
    {
        fake.FailNext("GetAlias", 429, "TooManyRequestsException", "Rate exceeded");

        var error = await Assert.ThrowsAsync<ApplicationFailureException>(() => Promote(new("w", "promote", "beak-api", "prod", "40")));

        Assert.False(error.NonRetryable);
        Assert.Equal("TooManyRequestsException", error.ErrorType);
        Assert.Contains("Rate exceeded", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PromoteAlias_AccessDenied_FailsNonRetryable()
    {
        fake.FailNext("GetAlias", 403, "AccessDeniedException", "User is not authorized to perform: lambda:GetAlias");

        var error = await Assert.ThrowsAsync<ApplicationFailureException>(() => Promote(new("w", "promote", "beak-api", "prod", "40")));

        Assert.True(error.NonRetryable);
        Assert.Equal("AccessDeniedException", error.ErrorType);
    }

    [Fact]
    public async Task RestoreAlias_AfterPromotion_PutsPreviousVersionBack()
    {
        var promoted = await Promote(new("maint-v40", "promote", "beak-api", "prod", "40"));

        var restored = await host.RunAsync<LambdaActivities, RestoreLambdaAliasResult>(a => a.RestoreAliasAsync(new("maint-v40", "promote", "beak-api", "prod", promoted.PreviousVersion, promoted.NewVersion)));

        Assert.True(restored.Changed);
        Assert.Equal("40", restored.FromVersion);
        Assert.Equal("39", beak.Aliases["prod"].FunctionVersion);
    }

    [Fact]
    public async Task RestoreAlias_PromotionLostItsResult_RestoresExactPreRunStateFromTheMarkerAlone()
    {
        var prod = beak.Aliases["prod"];
        prod.Description = "owned by team-beak; see runbook #12";
        prod.Weights["38"] = 0.05;
        fake.FailNext("UpdateAlias", 400, "InvalidParameterValueException", "response lost", afterApplying: true);

        // The alias moved but the promotion never reported it: the workflow has no result to undo from.
        await Assert.ThrowsAsync<ApplicationFailureException>(() => Promote(new("maint-v40", "promote", "beak-api", "prod", "40", RunId: "run-1")));
        Assert.Equal("40", prod.FunctionVersion);
        Assert.Equal(0.05, prod.Weights["38"]);
        Assert.StartsWith("maint:maint-v40/run-1/promote previous=39 to=40", prod.Description, StringComparison.Ordinal);

        // Another run of the same window id finds no marker of its own and changes nothing.
        var otherRun = await host.RunAsync<LambdaActivities, RestoreLambdaAliasResult>(a => a.RestoreAliasAsync(new("maint-v40", "promote", "beak-api", "prod", null, null, RunId: "run-2")));
        Assert.False(otherRun.Changed);
        Assert.Equal("40", prod.FunctionVersion);

        var restored = await host.RunAsync<LambdaActivities, RestoreLambdaAliasResult>(a => a.RestoreAliasAsync(new("maint-v40", "promote", "beak-api", "prod", null, null, RunId: "run-1")));

        Assert.True(restored.Changed);
        Assert.Equal("39", restored.RestoredVersion);
        Assert.Equal("39", prod.FunctionVersion);
        Assert.Equal("owned by team-beak; see runbook #12", prod.Description);
        Assert.Equal(new Dictionary<string, double> { ["38"] = 0.05 }, prod.Weights);
        // A retried restore sees the original state (no marker) and changes nothing more.
        var again = await host.RunAsync<LambdaActivities, RestoreLambdaAliasResult>(a => a.RestoreAliasAsync(new("maint-v40", "promote", "beak-api", "prod", null, null, RunId: "run-1")));
        Assert.False(again.Changed);
    }

    [Fact]
    public async Task PromoteAlias_AfterEarlierWindowsLeftTheirMarkers_MarkersDoNotNestAndRestoreKeepsTheOriginal()
    {
        var prod = beak.Aliases["prod"];
        prod.Description = "owned by team-beak";

        // Completed windows leave their marker on the alias; each later window must still fit Lambda's limit.
        await Promote(new("maint-window-one-with-a-long-id", "promote", "beak-api", "prod", "40", RunId: "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"));
        await Promote(new("maint-window-two-with-a-long-id", "promote", "beak-api", "prod", "39", RunId: "1f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"));
        await Promote(new("maint-window-three-with-a-long-id", "promote", "beak-api", "prod", "40", RunId: "2f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"));

        Assert.True(prod.Description.Length <= 256, prod.Description);
        Assert.EndsWith("desc=owned%20by%20team-beak", prod.Description, StringComparison.Ordinal);
        var restored = await host.RunAsync<LambdaActivities, RestoreLambdaAliasResult>(a => a.RestoreAliasAsync(
            new("maint-window-three-with-a-long-id", "promote", "beak-api", "prod", null, null, RunId: "2f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0")));
        Assert.True(restored.Changed);
        Assert.Equal("39", prod.FunctionVersion);
        Assert.Equal("owned by team-beak", prod.Description);
    }

    [Fact]
    public async Task PromoteAlias_DescriptionLeavesNoRoomForTheMarker_RefusedBeforeAnythingChanges()
    {
        beak.Aliases["prod"].Description = new string('d', 240);

        var error = await Assert.ThrowsAsync<ApplicationFailureException>(() => Promote(new("maint-v40", "promote", "beak-api", "prod", "40", RunId: "run-1")));

        Assert.True(error.NonRetryable);
        Assert.Contains("Shorten the alias description", error.Message, StringComparison.Ordinal);
        Assert.Equal("39", beak.Aliases["prod"].FunctionVersion);
        Assert.Equal(0, fake.Calls("UpdateAlias"));
    }

    [Fact]
    public async Task RestoreAlias_AlreadyOnVersion_ChangesNothing()
    {
        var restored = await host.RunAsync<LambdaActivities, RestoreLambdaAliasResult>(a => a.RestoreAliasAsync(new("w", "promote", "beak-api", "prod", "39", "40")));

        Assert.False(restored.Changed);
        Assert.Equal(0, fake.Calls("UpdateAlias"));
    }

    [Fact]
    public async Task RestoreAlias_MovedBySomeoneElse_Refuses()
    {
        beak.Aliases["prod"].FunctionVersion = "38";

        var error = await Assert.ThrowsAsync<ApplicationFailureException>(() => host.RunAsync<LambdaActivities, RestoreLambdaAliasResult>(a => a.RestoreAliasAsync(new("w", "promote", "beak-api", "prod", "39", "40"))));

        Assert.True(error.NonRetryable);
        Assert.Equal(ActivityErrorTypes.AliasConflict, error.ErrorType);
        Assert.Contains("someone else moved it", error.Message, StringComparison.Ordinal);
        Assert.Equal("38", beak.Aliases["prod"].FunctionVersion);
    }

    [Fact]
    public async Task SmokeInvoke_WarmInvocation_IsGreenAndSendsPayload()
    {
        var result = await Invoke(new LambdaInvokeCheck { Id = "smoke", Title = "Smoke invoke", Function = "beak-api", Qualifier = "prod", Payload = "{\"ping\":true}", MaxDuration = TimeSpan.FromSeconds(2) });

        Assert.Equal(CheckStatus.Green, result.Status);
        Assert.Contains("version 39", result.Observed, StringComparison.Ordinal);
        Assert.Equal("{\"ping\":true}", beak.LastPayload);
    }

    [Fact]
    public async Task SmokeInvoke_ColdStartOverLimit_IsRedWithInitDuration()
    {
        beak.SetBehaviour("39", new InvokeBehaviour(DurationMs: 150, InitMs: 1900));

        var result = await Invoke(new LambdaInvokeCheck { Id = "smoke", Title = "Smoke invoke", Function = "beak-api", Qualifier = "prod", MaxDuration = TimeSpan.FromMilliseconds(2000) });

        Assert.Equal(CheckStatus.Red, result.Status);
        Assert.Contains("Cold start too slow", result.Message, StringComparison.Ordinal);
        Assert.Contains("1,900 ms", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SmokeInvoke_ColdStartWithinLimit_IsGreen()
    {
        beak.SetBehaviour("39", new InvokeBehaviour(DurationMs: 150, InitMs: 1200));

        var result = await Invoke(new LambdaInvokeCheck { Id = "smoke", Title = "Smoke invoke", Function = "beak-api", Qualifier = "prod", MaxDuration = TimeSpan.FromMilliseconds(2000) });

        Assert.Equal(CheckStatus.Green, result.Status);
        Assert.Contains("cold start 1,200 ms", result.Observed, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SmokeInvoke_FunctionError_IsRedWithErrorTypeAndMessage()
    {
        beak.SetBehaviour("39", new InvokeBehaviour(ErrorType: "KeyError", ErrorMessage: "'agents'"));

        var result = await Invoke(new LambdaInvokeCheck { Id = "smoke", Title = "Smoke invoke", Function = "beak-api", Qualifier = "prod" });

        Assert.Equal(CheckStatus.Red, result.Status);
        Assert.Contains("KeyError", result.Message, StringComparison.Ordinal);
        Assert.Contains("'agents'", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SmokeInvoke_PayloadNotJson_FailsNonRetryableNamingTheField()
    {
        var error = await Assert.ThrowsAsync<ApplicationFailureException>(() => Invoke(new LambdaInvokeCheck { Id = "smoke", Title = "Smoke invoke", Function = "beak-api", Qualifier = "prod", Payload = "{ping" }));

        Assert.True(error.NonRetryable);
        Assert.Contains("payload", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnyCall_WrongSecret_IsRejectedByTheServerWithAwsErrorBody()
    {
        await using var wrong = NewHost(StaticCredentialSource.Test with { SecretAccessKey = "not-the-secret" });

        var error = await Assert.ThrowsAsync<ApplicationFailureException>(() => wrong.RunAsync<LambdaActivities, CheckResult>(a => a.CheckAliasAsync(new LambdaAliasCheck { Id = "c", Title = "c", Function = "beak-api", Alias = "prod", ExpectedVersion = "39" })));

        Assert.True(error.NonRetryable);
        Assert.Equal("InvalidSignatureException", error.ErrorType);
        Assert.Contains("signature we calculated does not match", error.Message, StringComparison.Ordinal);
        Assert.Contains("InvalidSignatureException", fake.Rejections);
    }

    [Fact]
    public async Task AnyCall_SessionToken_IsSignedAndAccepted()
    {
        await using var withToken = NewHost(StaticCredentialSource.Test with { SessionToken = "session-token-value" });

        var result = await withToken.RunAsync<LambdaActivities, CheckResult>(a => a.CheckAliasAsync(new LambdaAliasCheck { Id = "c", Title = "c", Function = "beak-api", Alias = "prod", ExpectedVersion = "39" }));

        Assert.Equal(CheckStatus.Green, result.Status);
        Assert.Empty(fake.Rejections);
    }

    [Fact]
    public void ParseReport_ReportLineWithInitDuration_ReadsRunAndInit()
    {
        var log = Convert.ToBase64String("REPORT RequestId: 1\tDuration: 12.50 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 61 MB\tInit Duration: 1830.20 ms\t\n"u8.ToArray());

        var report = LambdaActivities.ParseReport(log);

        Assert.Equal(TimeSpan.FromMilliseconds(12.5), report!.Value.Run);
        Assert.Equal(TimeSpan.FromMilliseconds(1830.2), report.Value.Init);
    }

    [Fact]
    public async Task AnyCall_EndpointUnreachable_FailsRetryable()
    {
        await using var unreachable = new ActivityHost(new Dictionary<string, string?> { ["Aws:Lambda:ServiceUrl"] = "http://127.0.0.1:9/" });

        var error = await Assert.ThrowsAsync<ApplicationFailureException>(() => unreachable.RunAsync<LambdaActivities, CheckResult>(a => a.CheckAliasAsync(new LambdaAliasCheck { Id = "c", Title = "c", Function = "beak-api", Alias = "prod", ExpectedVersion = "39" })));

        Assert.False(error.NonRetryable);
        Assert.Equal(ActivityErrorTypes.RemoteUnavailable, error.ErrorType);
    }

    private ActivityHost NewHost(AwsCredentials credentials) => new(
        new Dictionary<string, string?>
        {
            ["Aws:Region"] = "us-east-1",
            ["Aws:Lambda:ServiceUrl"] = fake.BaseAddress.ToString(),
        },
        credentials);

    private Task<PromoteLambdaAliasResult> Promote(PromoteLambdaAliasInput input) =>
        host.RunAsync<LambdaActivities, PromoteLambdaAliasResult>(a => a.PromoteAliasAsync(input));

    private Task<CheckResult> Invoke(LambdaInvokeCheck input) =>
        host.RunAsync<LambdaActivities, CheckResult>(a => a.SmokeInvokeAsync(input));
}
