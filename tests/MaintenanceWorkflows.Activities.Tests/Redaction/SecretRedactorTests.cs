using MaintenanceWorkflows.Activities.Redaction;
using MaintenanceWorkflows.Activities.Tests.Support;
using MaintenanceWorkflows.Workflows.Contracts;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
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

    [Fact]
    public void RedactingLoggerFactory_SecretInMessageValueAndException_IsLoggedRedacted()
    {
        var lines = new CapturingLoggerProvider();
        using var inner = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(lines));
        var logger = new RedactingLoggerFactory(inner, host.Get<SecretRedactor>()).CreateLogger("Temporalio.Activity");
        var failure = new HttpRequestException(
            "POST https://hooks.slack.com/services/T000/B000/chat-hook-secret-2a3b failed",
            new InvalidOperationException("key statuspage-key-9d0e1f refused"));

        logger.LogWarning(failure, "Notice on {Channel} failed: {Detail}", "ops", "answered with Bearer beak-bearer-0a1b2c");

        var line = Assert.Single(lines.Lines);
        Assert.Contains("Notice on ops failed: answered with [redacted]", line, StringComparison.Ordinal);
        Assert.Contains("HttpRequestException", line, StringComparison.Ordinal);
        Assert.Contains("InvalidOperationException: key [redacted] refused", line, StringComparison.Ordinal);
        foreach (var secret in new[] { "chat-hook-secret-2a3b", "statuspage-key-9d0e1f", "beak-bearer-0a1b2c" })
        {
            Assert.DoesNotContain(secret, line, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void RedactingLoggerFactory_StructuredValues_ReachProvidersRedacted()
    {
        var states = new List<IReadOnlyList<KeyValuePair<string, object?>>>();
        using var inner = LoggerFactory.Create(b => b.AddProvider(new StateCapture(states)));
        var logger = new RedactingLoggerFactory(inner, host.Get<SecretRedactor>()).CreateLogger("Temporalio.Worker");

        logger.LogInformation("Resolved {Url} in {Attempt} attempts", "https://dash.example.com/freeze?token=dash-token-6a7b8c", 2);

        var values = Assert.Single(states).ToDictionary(p => p.Key, p => p.Value);
        Assert.DoesNotContain("dash-token-6a7b8c", (string)values["Url"]!, StringComparison.Ordinal);
        Assert.Equal(2, values["Attempt"]);
        Assert.Equal("Resolved {Url} in {Attempt} attempts", values["{OriginalFormat}"]);
    }

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

    private sealed class StateCapture(List<IReadOnlyList<KeyValuePair<string, object?>>> states) : ILoggerProvider, ILogger
    {
        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            states.Add(((IEnumerable<KeyValuePair<string, object?>>)state!).ToList());

        public void Dispose()
        {
        }
    }
}
