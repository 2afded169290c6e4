using System.Text.Json;
using MaintenanceWorkflows.Activities.Notifications;
using MaintenanceWorkflows.Activities.Notifications.Channels;
using MaintenanceWorkflows.Activities.Tests.Support;
using MaintenanceWorkflows.Sandbox.Chat;
using MaintenanceWorkflows.Sandbox.StatusPage;
using MaintenanceWorkflows.Workflows.Contracts;
using MaintenanceWorkflows.Workflows.Plans;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Temporalio.Converters;
using Temporalio.Exceptions;
using Temporalio.Testing;

namespace MaintenanceWorkflows.Activities.Tests.Channels;

public sealed class NotificationActivitiesTests : IAsyncLifetime
{
    private const string WindowId = "maint-flask-security-patch";
    private SesEmulator ses = null!;
    private LocalStatusPage statusPage = null!;
    private LocalChatWebhooks webhooks = null!;
    private ActivityHost host = null!;
    private MaintenancePlan plan = null!;
    private MaintenancePolicy policy = null!;

    public async Task InitializeAsync()
    {
        ses = await SesEmulator.StartAsync();
        statusPage = await LocalStatusPage.StartAsync();
        webhooks = await LocalChatWebhooks.StartAsync();
        host = NewHost(LocalStatusPage.ApiKey);
        plan = PlanYaml.LoadPlanFile(Path.Combine(RepoPaths.Root, "examples", "flask-security-patch.yaml"));
        policy = PlanYaml.LoadPolicyFile(Path.Combine(RepoPaths.Root, "examples", "policy.yaml"));
    }

    public async Task DisposeAsync()
    {
        await host.DisposeAsync();
        await webhooks.DisposeAsync();
        await statusPage.DisposeAsync();
        await ses.DisposeAsync();
    }

    [Fact]
    public async Task SendNotification_MixedChannels_TriesEveryChannelThenFailsForTheRetryableOneOnly()
    {
        // The chat webhook answers 500: a retry can fix that, so the activity fails (Temporal retries it) after the
        // other channels got the notice; an undefined channel cannot be fixed by a retry and is not named.
        var error = await Assert.ThrowsAsync<ApplicationFailureException>(() => Send(NoticeKind.PreMaintenance, ["slack-team-ops", "email-customers", "status-page", "discord-community", "email-approvers", "pager"]));

        Assert.False(error.NonRetryable);
        Assert.Contains("slack-team-ops", error.Message, StringComparison.Ordinal);
        Assert.Contains("HTTP 500", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("127.0.0.1", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("pager", error.Message, StringComparison.Ordinal);

        var expected = host.Get<NoticeRenderer>().Render(NoticeKind.PreMaintenance, NoticeModel.Create(plan, policy, NoticeKind.PreMaintenance, new NoticeFacts()));
        var mail = Assert.Single(await ses.StoredEmailsAsync());
        Assert.Equal(expected.Subject, mail.GetProperty("subject").GetString());
        Assert.Equal(expected.Html, mail.GetProperty("body").GetProperty("html").GetString());
        Assert.Equal(expected.Text, mail.GetProperty("body").GetProperty("text").GetString());
        Assert.Equal("customers@example.com", mail.GetProperty("destination").GetProperty("to")[0].GetString());

        var discord = webhooks.Received["discord"];
        Assert.StartsWith($"**{expected.Subject}**", discord.GetProperty("content").GetString(), StringComparison.Ordinal);

        var incident = Assert.Single(statusPage.Incidents.Values);
        Assert.Equal(["scheduled"], incident.StatusHistory);
        Assert.EndsWith($"[{WindowId}]", incident.Name, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendNotification_LifecycleOnStatusPage_MovesOneMaintenanceThroughItsStates()
    {
        await Send(NoticeKind.PreMaintenance, ["status-page"]);
        await Send(NoticeKind.InProgress, ["status-page"]);
        var completion = await Send(NoticeKind.Completion, ["status-page"]);

        var incident = Assert.Single(statusPage.Incidents.Values);
        Assert.Equal(["scheduled", "in_progress", "completed"], incident.StatusHistory);
        Assert.Contains(incident.Id, completion.Deliveries[0].Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendNotification_ApprovalRequestOnStatusPage_IsSkipped()
    {
        var result = await Send(NoticeKind.ApprovalRequest, ["status-page"]);

        Assert.Equal(DeliveryStatus.Skipped, Assert.Single(result.Deliveries).Status);
        Assert.Empty(statusPage.Incidents);
    }

    [Fact]
    public async Task SendNotification_RetryAfterEmailWasDelivered_DoesNotSendItAgain()
    {
        var earlier = new List<ChannelDelivery> { new("email-customers", DeliveryStatus.Delivered, "SES message earlier") };
        host.Environment = new ActivityEnvironment
        {
            Info = ActivityEnvironment.DefaultInfo with { Attempt = 2, HeartbeatDetails = [DataConverter.Default.PayloadConverter.ToPayload(earlier)] },
        };

        var result = await Send(NoticeKind.PreMaintenance, ["email-customers", "discord-community"]);

        Assert.Equal("SES message earlier", result.Deliveries[0].Detail);
        Assert.Equal(DeliveryStatus.Delivered, result.Deliveries[1].Status);
        Assert.Empty(await ses.StoredEmailsAsync());
    }

    [Fact]
    public async Task UpsertStatusPage_WrongApiKey_FailsNonRetryableNamingTheSetting()
    {
        await using var wrong = NewHost("not-the-key");

        var error = await Assert.ThrowsAsync<ApplicationFailureException>(() => wrong.Get<StatusPageClient>().UpsertAsync(
            new(WindowId, plan.Title, "x", StatusPageMaintenanceStatus.Scheduled, plan.Window.Start, plan.Window.End, null), CancellationToken.None));

        Assert.True(error.NonRetryable);
        Assert.Contains("HTTP 401", error.Message, StringComparison.Ordinal);
        Assert.Contains("StatusPage:ApiKey", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-key", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UpsertStatusPage_EndBeforeStart_FailsNonRetryable()
    {
        var error = await Assert.ThrowsAsync<ApplicationFailureException>(() => host.Get<StatusPageClient>().UpsertAsync(
            new(WindowId, plan.Title, "x", StatusPageMaintenanceStatus.Scheduled, plan.Window.End, plan.Window.Start, null), CancellationToken.None));

        Assert.True(error.NonRetryable);
        Assert.Contains("ScheduledUntil", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PostAsync_SlackAndLongDiscordMessage_UseEachServicesPayload()
    {
        var chat = host.Get<ChatWebhookClient>();

        await chat.PostAsync("slack-ops", "Title", "body", CancellationToken.None);
        await chat.PostAsync("discord-community", "Title", new string('x', 5000), CancellationToken.None);

        Assert.Equal("*Title*\nbody", webhooks.Received["slack"].GetProperty("text").GetString());
        Assert.Equal(ChatWebhookClient.DiscordLimit, webhooks.Received["discord"].GetProperty("content").GetString()!.Length);
        Assert.Equal(JsonValueKind.Array, webhooks.Received["discord"].GetProperty("allowed_mentions").GetProperty("parse").ValueKind);
    }

    [Fact]
    public async Task SendNotification_ChatChannels_NeverLogTheWebhookUrl()
    {
        var logs = new CapturingLoggerProvider();
        await using var logged = NewHost(LocalStatusPage.ApiKey, services => services.AddLogging(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(logs)));
        logged.Environment = new ActivityEnvironment { Logger = logs.CreateLogger("activity") };

        // The broken Slack hook fails the activity (for Temporal to retry) after Discord got the notice; neither URL is logged.
        var error = await Assert.ThrowsAsync<ApplicationFailureException>(() => logged.RunAsync<NotificationActivities, SendNotificationResult>(a => a.SendNotificationAsync(
            new(WindowId, NoticeKind.PreMaintenance, plan, Notice, new NoticeFacts(), ["discord-community", "slack-team-ops"], plan.Window.End))));

        Assert.True(webhooks.Received.ContainsKey("discord"));
        Assert.DoesNotContain("/broken/", error.Message, StringComparison.Ordinal);
        Assert.NotEmpty(logs.Lines);
        Assert.DoesNotContain(logs.Lines, l => l.Contains("/hooks/", StringComparison.Ordinal) || l.Contains("/broken/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SendNotificationInput_CarriesOnlyWhatANoticeUses_NotTheWholePolicy()
    {
        var input = new SendNotificationInput(WindowId, NoticeKind.PreMaintenance, plan, Notice, new NoticeFacts(), ["email-customers"], plan.Window.End);

        var json = (await DataConverter.Default.ToPayloadAsync(input)).Data.ToStringUtf8();
        var whole = (await DataConverter.Default.ToPayloadAsync(policy)).Data.ToStringUtf8();

        // Approvers, freezes, blackout jobs, cadence and type rules are the policy's business, not a notice's.
        foreach (var key in new[] { "\"Freezes\":", "\"Blackouts\":", "\"Cadence\":", "\"Types\":", "\"Approvals\":" })
        {
            Assert.Contains(key, whole, StringComparison.Ordinal);
            Assert.DoesNotContain(key, json, StringComparison.Ordinal);
        }

        Assert.Contains(policy.Organization.Name, json, StringComparison.Ordinal);
    }

    /// <summary>What the workflow sends: the policy's notice part with the window's schedule (here: scheduled at the notice time).</summary>
    private NoticePolicy Notice => NoticePolicy.For(plan, policy, ScheduleRules.Derive(plan, policy, plan.Window.Start - policy.Types.For(plan.Type).Notice));

    private ActivityHost NewHost(string statusPageKey, Action<IServiceCollection>? configure = null) => new(new Dictionary<string, string?>
    {
        ["Aws:Region"] = "us-east-1",
        ["Aws:Ses:ServiceUrl"] = ses.BaseAddress.ToString(),
        ["Email:From"] = "ops@example.com",
        ["Email:Lists:email-customers:To:0"] = "customers@example.com",
        ["Email:Lists:email-customers:ReplyTo:0"] = "support@example.com",
        ["Chat:Channels:discord-community:Kind"] = "Discord",
        ["Chat:Channels:discord-community:WebhookUrl"] = webhooks.Hook("discord").ToString(),
        ["Chat:Channels:slack-ops:Kind"] = "Slack",
        ["Chat:Channels:slack-ops:WebhookUrl"] = webhooks.Hook("slack").ToString(),
        ["Chat:Channels:slack-team-ops:WebhookUrl"] = new Uri(webhooks.BaseAddress, "broken/ops").ToString(),
        ["StatusPage:BaseUrl"] = statusPage.BaseAddress.ToString(),
        ["StatusPage:PageId"] = LocalStatusPage.PageId,
        ["StatusPage:ApiKey"] = statusPageKey,
    },
    configure: configure);

    private Task<SendNotificationResult> Send(NoticeKind kind, IReadOnlyList<string> channels) =>
        host.RunAsync<NotificationActivities, SendNotificationResult>(a => a.SendNotificationAsync(
            new(WindowId, kind, plan, Notice, new NoticeFacts(), channels, plan.Window.End)));
}
