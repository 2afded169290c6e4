using MaintenanceWorkflows.Activities.Redaction;
using MaintenanceWorkflows.Activities.Tests.Support;
using MaintenanceWorkflows.Workflows.Contracts;
using Microsoft.Extensions.DependencyInjection;
using Temporalio.Converters;
using Temporalio.Exceptions;

namespace MaintenanceWorkflows.Activities.Tests.Redaction;

/// <summary>The one redaction step: every configured secret and any URL credential leaves as [redacted].</summary>
public sealed class SecretRedactorTests : IAsyncLifetime
{
    private ActivityHost host = null!;

    public Task InitializeAsync()
    {
        host = new ActivityHost(
            new Dictionary<string, string?>
            {
                ["Targets:beak:BaseUrl"] = "https://beak.example.com/",
                ["Targets:beak:Headers:Authorization"] = "Bearer beak-bearer-0a1b2c",
                ["Targets:beak:Headers:X-Api-Key"] = "beak-api-key-3d4e5f",
                ["FreezeSources:dash:Url"] = "https://dash.example.com/freeze?token=dash-token-6a7b8c",
                ["StatusPage:BaseUrl"] = "https://api.statuspage.io/",
                ["StatusPage:PageId"] = "page1",
                ["StatusPage:ApiKey"] = "statuspage-key-9d0e1f",
                ["Chat:Channels:ops:WebhookUrl"] = "https://hooks.slack.com/services/T000/B000/chat-hook-secret-2a3b",
                ["Commands:patch:Executable"] = "/bin/true",
                ["Commands:patch:Environment:PATCH_TOKEN"] = "patch-token-4c5d6e",
                ["Approvals:SigningKey"] = "approvals-current-key-0123456789abcdef",
                ["Approvals:PreviousKeys:k0"] = "approvals-previous-key-fedcba9876543210",
            },
            configure: services => services.AddSingleton<ISecretValues>(new Signing("approval-signing-key-7f8a9b")));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await host.DisposeAsync();

    [Theory]
    [InlineData("curl -H 'Authorization: Bearer beak-bearer-0a1b2c' ...", "beak-bearer-0a1b2c")]
    [InlineData("token beak-bearer-0a1b2c leaked alone", "beak-bearer-0a1b2c")]
    [InlineData("X-Api-Key=beak-api-key-3d4e5f", "beak-api-key-3d4e5f")]
    [InlineData("GET https://dash.example.com/freeze?token=dash-token-6a7b8c failed", "dash-token-6a7b8c")]
    [InlineData("OAuth statuspage-key-9d0e1f", "statuspage-key-9d0e1f")]
    [InlineData("posting to https://hooks.slack.com/services/T000/B000/chat-hook-secret-2a3b", "chat-hook-secret-2a3b")]
    [InlineData("PATCH_TOKEN=patch-token-4c5d6e", "patch-token-4c5d6e")]
    [InlineData("signed with approval-signing-key-7f8a9b", "approval-signing-key-7f8a9b")]
    [InlineData("key=approvals-current-key-0123456789abcdef", "approvals-current-key-0123456789abcdef")]
    [InlineData("old approvals-previous-key-fedcba9876543210", "approvals-previous-key-fedcba9876543210")]
    [InlineData("see https://admin:hunter2pass@internal.example.com/x", "hunter2pass")]
    [InlineData("see https://other.example.com/cb?code=one-time-code-x&state=s1", "one-time-code-x")]
    public void Redact_TextWithASecret_RemovesItsValue(string text, string secret)
    {
        var redacted = host.Get<SecretRedactor>().Redact(text);

        Assert.DoesNotContain(secret, redacted, StringComparison.Ordinal);
        Assert.Contains(SecretRedactor.Mask, redacted, StringComparison.Ordinal);
    }

    [Fact]
    public void Redact_OrdinaryText_LeftAlone()
    {
        const string text = "Check beak-status answered HTTP 200 in 12 ms from https://beak.example.com/status.";

        Assert.Equal(text, host.Get<SecretRedactor>().Redact(text));
    }

    [Fact]
    public void RedactValue_ActivityResultWithSecrets_EveryStringRedactedTypeKept()
    {
        var redactor = host.Get<SecretRedactor>();
        var result = new RunCommandResult("s", "patch", 0, TimeSpan.FromSeconds(1), ["PATCH_TOKEN=patch-token-4c5d6e", "ok"]);

        var clean = Assert.IsType<RunCommandResult>(RedactingInterceptor.RedactValue(result, typeof(RunCommandResult), redactor, DataConverter.Default.PayloadConverter));

        Assert.Equal(["PATCH_TOKEN=[redacted]", "ok"], clean.OutputTail);
        Assert.Equal(result.Duration, clean.Duration);
        var nothingSecret = result with { OutputTail = ["ok"] };
        Assert.Same(nothingSecret, RedactingInterceptor.RedactValue(nothingSecret, typeof(RunCommandResult), redactor, DataConverter.Default.PayloadConverter));
    }

    [Fact]
    public void RedactValue_ResultOverTheSizeLimit_FailsNonRetryableNamingTheLimit()
    {
        var huge = new RunCommandResult("s", "patch", 0, TimeSpan.Zero, [new string('x', RedactingInterceptor.MaxResultBytes)]);

        var error = Assert.Throws<ApplicationFailureException>(() => RedactingInterceptor.RedactValue(huge, typeof(RunCommandResult), host.Get<SecretRedactor>(), DataConverter.Default.PayloadConverter));

        Assert.True(error.NonRetryable);
        Assert.Contains("-byte limit", error.Message, StringComparison.Ordinal);
    }

    private sealed class Signing(string key) : ISecretValues
    {
        public IEnumerable<string?> Values => [key];
    }
}
