using System.Globalization;
using MaintenanceWorkflows.Activities.Aws;
using MaintenanceWorkflows.Sandbox.Aws;
using MaintenanceWorkflows.Sandbox.Chat;
using MaintenanceWorkflows.Sandbox.Email;
using MaintenanceWorkflows.Sandbox.Fleet;
using MaintenanceWorkflows.Sandbox.Lambda;
using MaintenanceWorkflows.Sandbox.Status;
using MaintenanceWorkflows.Sandbox.StatusPage;

namespace MaintenanceWorkflows.Sandbox;

/// <summary>
/// Every local stand-in a window of the example policy touches, started together on loopback, plus the
/// worker configuration that points the real activities at them. The Lambda function is the seeds'
/// <c>beak-api</c> with published versions 1..<see cref="PublishedVersions"/> and its <c>prod</c> alias on
/// <see cref="InitialProdVersion"/>; the channel names are the ones examples/policy.yaml defines.
/// Nothing here is a real AWS account, status page or chat: it is clearly a sandbox.
/// </summary>
public sealed class SandboxWorld : IAsyncDisposable
{
    public const string FunctionName = "beak-api";
    public const string ProdAlias = "prod";
    public const string StatusTarget = "beak-api";

    /// <summary>The emergency example's proxy edge; the status service answers its <c>/status</c>.</summary>
    public const string ProxyEdgeTarget = "proxy-edge";
    public const string FreezeSource = "mission-control-freeze";
    public const int PublishedVersions = 41;
    public const string InitialProdVersion = "39";

    private SandboxWorld(
        LocalLambdaServer lambda,
        LocalFunction function,
        LocalStatusService service,
        LocalSesServer ses,
        LocalStatusPage statusPage,
        LocalChatWebhooks chat,
        LocalFleet fleet)
    {
        Fleet = fleet;
        Lambda = lambda;
        Function = function;
        Service = service;
        Ses = ses;
        StatusPage = statusPage;
        Chat = chat;
    }

    public static AwsCredentials Credentials => StaticCredentialSource.Test;

    public LocalLambdaServer Lambda { get; }

    public LocalFunction Function { get; }

    /// <summary>The service behind the alias: its routes and status JSON follow the alias's version.</summary>
    public LocalStatusService Service { get; }

    public LocalSesServer Ses { get; }

    public LocalStatusPage StatusPage { get; }

    public LocalChatWebhooks Chat { get; }

    /// <summary>Hosts for rollouts; the worker knows them as fleet <see cref="FleetName"/> (<see cref="FleetHosts"/>).</summary>
    public LocalFleet Fleet { get; }

    public const string FleetName = "sandbox-nodes";

    public const string FleetHosts = "node-{01..12}";

    public static async Task<SandboxWorld> StartAsync()
    {
        var credentials = Credentials;
        var lambda = await LocalLambdaServer.StartAsync(credentials.AccessKeyId, credentials.SecretAccessKey);
        var shas = Enumerable.Range(1, PublishedVersions).Select(v => Sha(v)).ToArray();
        var function = lambda.AddFunction(FunctionName, shas[^1], shas);
        function.AddAlias(ProdAlias, InitialProdVersion);
        var service = await LocalStatusService.StartAsync(function, ProdAlias);
        var ses = await LocalSesServer.StartAsync(credentials.AccessKeyId, credentials.SecretAccessKey, sentLast24Hours: 37);
        var statusPage = await LocalStatusPage.StartAsync();
        var chat = await LocalChatWebhooks.StartAsync();
        var fleet = await LocalFleet.StartAsync();
        return new SandboxWorld(lambda, function, service, ses, statusPage, chat, fleet);
    }

    /// <summary>Worker configuration (keys as in appsettings / environment variables) pointing every activity here.</summary>
    public IReadOnlyDictionary<string, string?> WorkerConfiguration() => new Dictionary<string, string?>(Fleet.WorkerConfiguration(FleetName, FleetHosts))
    {
        ["Aws:Region"] = "us-east-1",
        ["Aws:Lambda:ServiceUrl"] = Lambda.BaseAddress.ToString(),
        ["Aws:Ses:ServiceUrl"] = Ses.BaseAddress.ToString(),
        ["Email:From"] = "Duck Galaxy Ops <maintenance@sandbox.invalid>",
        ["Email:Lists:email-customers:To:0"] = "customers@sandbox.invalid",
        ["Email:Lists:email-approvers:To:0"] = "approvers@sandbox.invalid",
        ["Chat:Channels:discord-community:Kind"] = "Discord",
        ["Chat:Channels:discord-community:WebhookUrl"] = Chat.Hook("discord-community").ToString(),
        ["Chat:Channels:slack-team-ops:Kind"] = "Slack",
        ["Chat:Channels:slack-team-ops:WebhookUrl"] = Chat.Hook("slack-team-ops").ToString(),
        ["StatusPage:BaseUrl"] = StatusPage.BaseAddress.ToString(),
        ["StatusPage:PageId"] = LocalStatusPage.PageId,
        ["StatusPage:ApiKey"] = LocalStatusPage.ApiKey,
        [$"Targets:{StatusTarget}:BaseUrl"] = Service.BaseAddress.ToString(),
        [$"Targets:{ProxyEdgeTarget}:BaseUrl"] = Service.BaseAddress.ToString(),
        [$"FreezeSources:{FreezeSource}:Url"] = Service.FreezeUrl.ToString(),
    };

    public async ValueTask DisposeAsync()
    {
        await Fleet.DisposeAsync();
        await Chat.DisposeAsync();
        await StatusPage.DisposeAsync();
        await Ses.DisposeAsync();
        await Service.DisposeAsync();
        await Lambda.DisposeAsync();
    }

    private static string Sha(int version) => Convert.ToBase64String(
        System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"beak-api release {version}"))));
}
