using System.Globalization;
using System.Text;
using MaintenanceWorkflows.Activities;
using MaintenanceWorkflows.Activities.Aws;
using MaintenanceWorkflows.Activities.Http;
using MaintenanceWorkflows.Activities.Lambda;
using MaintenanceWorkflows.Activities.Notifications;
using MaintenanceWorkflows.Sandbox;
using MaintenanceWorkflows.Sandbox.Aws;
using MaintenanceWorkflows.Sandbox.Lambda;
using MaintenanceWorkflows.Workflows.Contracts;
using MaintenanceWorkflows.Workflows.Plans;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Temporalio.Testing;

namespace MaintenanceWorkflows.Bench;

/// <summary>
/// Cost of the activities' own work, each through the production DI registration: SigV4 signing alone,
/// Lambda calls through Refit + the signing handler to the SigV4-verifying loopback Lambda API, an HTTP
/// status check against a loopback endpoint, and rendering one notice.
/// </summary>
public static class ActivitiesBench
{
    public const string Help = "SigV4 signing, Lambda alias check / promote+restore over loopback, status check, notice render [--count N (2000)] [--concurrency N (8)]";

    public static async Task<int> RunAsync(string[] args)
    {
        int count = 2000, concurrency = 8;
        for (var i = 0; i < args.Length; i++)
        {
            var ok = i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0;
            switch (args[i])
            {
                case "--count" when ok: count = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--concurrency" when ok: concurrency = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                default:
                    await Console.Error.WriteLineAsync($"error: bad option '{args[i]}'\n{Help}");
                    return 2;
            }
        }

        var credentials = StaticCredentialSource.Test;
        await using var lambda = await LocalLambdaServer.StartAsync(credentials.AccessKeyId, credentials.SecretAccessKey);
        var function = lambda.AddFunction("beak-api", "sha-40", "sha-39", "sha-40");
        function.AddAlias("prod", "1");
        await using var status = await LoopbackServer.StartAsync(app => app.MapGet(
            "/beak/system/status",
            () => Results.Text("""{"lambda":{"version":"40"},"database":"ok","agents":[{"name":"duck-1"}]}""", "application/json")));

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Aws:Region"] = "us-east-1",
            ["Aws:Lambda:ServiceUrl"] = lambda.BaseAddress.ToString(),
            ["Targets:beak:BaseUrl"] = status.BaseAddress.ToString(),
        }).Build();
        var services = new ServiceCollection().AddLogging().AddSingleton<IAwsCredentialSource>(new StaticCredentialSource(credentials));
        services.AddMaintenanceActivities(configuration);
        await using var provider = services.BuildServiceProvider();
        await using var scope = provider.CreateAsyncScope();
        var lambdaActivities = scope.ServiceProvider.GetRequiredService<LambdaActivities>();
        var httpActivities = scope.ServiceProvider.GetRequiredService<HttpCheckActivities>();
        var renderer = scope.ServiceProvider.GetRequiredService<NoticeRenderer>();
        var environment = new ActivityEnvironment();

        var request = new SigV4Request(
            "PUT",
            "/2015-03-31/functions/beak-api/aliases/prod",
            string.Empty,
            [new("Host", "lambda.us-east-1.amazonaws.com"), new("Content-Type", "application/json"), new("X-Amz-Date", "20261123T021500Z")],
            SigV4Signer.HexSha256(Encoding.UTF8.GetBytes("""{"FunctionVersion":"40"}""")));
        var aliasCheck = new LambdaAliasCheck { Id = "alias", Title = "Alias parity", Function = "beak-api", Alias = "prod", ExpectedVersion = "1" };
        var statusCheck = new HttpJsonCheck { Id = "status", Title = "Status", Target = "beak", Path = "/beak/system/status", RequiredKeys = ["lambda.version", "database", "agents"], Timeout = TimeSpan.FromSeconds(5) };
        var plan = PlanYaml.LoadPlanFile(Path.Combine("examples", "lambda-v40-promotion.yaml"));
        var policy = PlanYaml.LoadPolicyFile(Path.Combine("examples", "policy.yaml"));

        Console.WriteLine($"activities bench: {Environment.ProcessorCount} cores, count {count}, concurrency {concurrency} (loopback HTTP/1.1, production DI)");

        // Warm-up: JIT, connection pools, template compilation.
        await Measurement.RunAsync("warm-up", 200, concurrency, _ => environment.RunAsync(() => lambdaActivities.CheckAliasAsync(aliasCheck)));
        await Measurement.RunAsync("warm-up", 200, concurrency, _ => environment.RunAsync(() => httpActivities.CheckEndpointAsync(statusCheck)));
        await Measurement.RunAsync("warm-up", 50, 1, _ => Task.FromResult(renderer.Render(NoticeKind.PreMaintenance, NoticeModel.Create(plan, policy, NoticeKind.PreMaintenance))));

        var results = new[]
        {
            await Measurement.RunAsync("SigV4 sign (pure)", count * 10, 1, _ =>
            {
                SigV4Signer.Sign(request, credentials.AccessKeyId, credentials.SecretAccessKey, "us-east-1", "lambda", DateTimeOffset.UtcNow);
                return Task.CompletedTask;
            }),
            await Measurement.RunAsync("lambda.alias check (signed, verified)", count, concurrency, _ => environment.RunAsync(() => lambdaActivities.CheckAliasAsync(aliasCheck))),
            await Measurement.RunAsync("PromoteLambdaAlias + Restore", count / 4, 1, async i =>
            {
                var promoted = await environment.RunAsync(() => lambdaActivities.PromoteAliasAsync(new("bench", $"step-{i}", "beak-api", "prod", "2")));
                await environment.RunAsync(() => lambdaActivities.RestoreAliasAsync(new("bench", $"step-{i}", "beak-api", "prod", promoted.PreviousVersion, promoted.NewVersion)));
            }),
            await Measurement.RunAsync("http.json check (3 JSON keys)", count, concurrency, _ => environment.RunAsync(() => httpActivities.CheckEndpointAsync(statusCheck))),
            await Measurement.RunAsync("render pre-maintenance notice", count / 4, 1, _ =>
                Task.FromResult(renderer.Render(NoticeKind.PreMaintenance, NoticeModel.Create(plan, policy, NoticeKind.PreMaintenance)))),
        };
        foreach (var result in results)
        {
            Console.WriteLine(result);
        }

        Console.WriteLine($"loopback Lambda API rejected {lambda.Rejections.Count} signatures");
        return lambda.Rejections.IsEmpty ? 0 : 1;
    }
}
