using System.Text.Json;
using MaintenanceWorkflows.Activities.Email;
using MaintenanceWorkflows.Activities.Tests.Support;
using MaintenanceWorkflows.Workflows.Contracts;
using MaintenanceWorkflows.Workflows.Plans;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Temporalio.Exceptions;
using MaintenanceWorkflows.Sandbox;

namespace MaintenanceWorkflows.Activities.Tests.Email;

public sealed class SesEmailTests
{
    [Fact]
    public async Task SendAsync_HtmlAndTextWithAllRecipientKinds_IsStoredByTheEmulator()
    {
        await using var ses = await SesEmulator.StartAsync();
        await using var host = Host(ses.BaseAddress);
        var sender = host.Get<SesEmailSender>();

        var messageId = await sender.SendAsync(
            new EmailMessage(
                "Scheduled maintenance: Lambda v40",
                "Plain text body",
                "<p>HTML body</p>",
                ["ops@example.com"],
                ["stakeholders@example.com"],
                ["audit@example.com"],
                ["t-josh@example.com"]),
            CancellationToken.None);

        var stored = Assert.Single(await ses.StoredEmailsAsync(), e => e.GetProperty("messageId").GetString() == messageId);
        Assert.Equal("maintenance@example.com", stored.GetProperty("from").GetString());
        Assert.Equal("Scheduled maintenance: Lambda v40", stored.GetProperty("subject").GetString());
        Assert.Equal("Plain text body", stored.GetProperty("body").GetProperty("text").GetString());
        Assert.Equal("<p>HTML body</p>", stored.GetProperty("body").GetProperty("html").GetString());
        Assert.Equal(["ops@example.com"], Strings(stored.GetProperty("destination").GetProperty("to")));
        Assert.Equal(["stakeholders@example.com"], Strings(stored.GetProperty("destination").GetProperty("cc")));
        Assert.Equal(["audit@example.com"], Strings(stored.GetProperty("destination").GetProperty("bcc")));
        Assert.Equal(["t-josh@example.com"], Strings(stored.GetProperty("replyTo")));
    }

    [Fact]
    public async Task SendAsync_ConfigurationSetConfigured_IsSentInTheRequest()
    {
        var captured = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await LoopbackServer.StartAsync(app => app.MapPost("/v2/email/outbound-emails", async (HttpContext c) =>
        {
            using var body = await JsonDocument.ParseAsync(c.Request.Body);
            captured.SetResult(body.RootElement.Clone());
            return Results.Json(new { MessageId = "m-1" });
        }));
        await using var host = Host(server.BaseAddress, configurationSet: "maintenance-events");

        await host.Get<SesEmailSender>().SendAsync(new EmailMessage("s", "t", null, ["a@example.com"], [], [], []), CancellationToken.None);

        var request = await captured.Task;
        Assert.Equal("maintenance-events", request.GetProperty("ConfigurationSetName").GetString());
        Assert.False(request.GetProperty("Content").GetProperty("Simple").GetProperty("Body").TryGetProperty("Html", out _));
    }

    [Fact]
    public async Task SendAsync_EmulatorRejectsRequest_FailsNonRetryableWithItsMessage()
    {
        await using var ses = await SesEmulator.StartAsync();
        await using var host = Host(ses.BaseAddress);

        var error = await Assert.ThrowsAsync<ApplicationFailureException>(() =>
            host.Get<SesEmailSender>().SendAsync(new EmailMessage(string.Empty, "t", null, ["a@example.com"], [], [], []), CancellationToken.None));

        Assert.True(error.NonRetryable);
        Assert.Contains("Bad Request Exception", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(12, CheckStatus.Green, "12/200 (6%)")]
    [InlineData(160, CheckStatus.Amber, "160/200 (80%)")]
    [InlineData(200, CheckStatus.Red, "200/200 (100%)")]
    public async Task CheckQuota_SentLast24Hours_MapsToTrafficLight(double sent, CheckStatus expected, string observed)
    {
        await using var ses = await SesEmulator.StartAsync(sentLast24Hours: sent);
        await using var host = Host(ses.BaseAddress);

        var result = await host.RunAsync<EmailChecks, CheckResult>(a => a.CheckQuotaAsync(new EmailQuotaCheck { Id = "ses-quota", Title = "SES quota", AmberAt = 160, RedAt = 200 }));

        Assert.Equal(expected, result.Status);
        Assert.Equal(observed, result.Observed);
        Assert.Equal("ses-quota", result.CheckId);
    }

    [Fact]
    public async Task CheckQuota_SandboxAccount_IsAmberAndSaysSo()
    {
        await using var ses = await SesEmulator.StartAsync(sentLast24Hours: 3, productionAccess: false);
        await using var host = Host(ses.BaseAddress);

        var result = await host.RunAsync<EmailChecks, CheckResult>(a => a.CheckQuotaAsync(new EmailQuotaCheck { Id = "ses-quota", Title = "SES quota", AmberAt = 160, RedAt = 200 }));

        Assert.Equal(CheckStatus.Amber, result.Status);
        Assert.Contains("sandbox", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckQuota_UnknownAccount_FailsNonRetryableNamingTheConfiguredOne()
    {
        await using var host = Host(new Uri("http://127.0.0.1:9/"));

        var error = await Assert.ThrowsAsync<ApplicationFailureException>(() => host.RunAsync<EmailChecks, CheckResult>(a => a.CheckQuotaAsync(new EmailQuotaCheck { Id = "q", Title = "q", AmberAt = 160, RedAt = 200, Account = "marketing" })));

        Assert.True(error.NonRetryable);
        Assert.Equal(ActivityErrorTypes.UnknownName, error.ErrorType);
        Assert.Contains("'default'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckQuota_AmberAboveRed_FailsNonRetryableNamingTheFields()
    {
        await using var host = Host(new Uri("http://127.0.0.1:9/"));

        var error = await Assert.ThrowsAsync<ApplicationFailureException>(() => host.RunAsync<EmailChecks, CheckResult>(a => a.CheckQuotaAsync(new EmailQuotaCheck { Id = "q", Title = "q", AmberAt = 200, RedAt = 160 })));

        Assert.True(error.NonRetryable);
        Assert.Contains("amberAt", error.Message, StringComparison.Ordinal);
    }

    private static ActivityHost Host(Uri sesUrl, string? configurationSet = null) => new(new Dictionary<string, string?>
    {
        ["Aws:Region"] = "us-east-1",
        ["Aws:Ses:ServiceUrl"] = sesUrl.ToString(),
        ["Email:From"] = "maintenance@example.com",
        ["Email:ConfigurationSet"] = configurationSet,
    });

    private static string[] Strings(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetString()!)];
}
