using MaintenanceWorkflows.Activities.Checks;
using MaintenanceWorkflows.Activities.Tests.Support;
using MaintenanceWorkflows.Sandbox;
using MaintenanceWorkflows.Workflows.Contracts;
using MaintenanceWorkflows.Workflows.Plans;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace MaintenanceWorkflows.Activities.Tests.Checks;

/// <summary>The one check path: the plan's check records go in as they are, one handler per type, one result each in order.</summary>
public sealed class CheckBatchActivitiesTests : IAsyncLifetime
{
    private LoopbackServer server = null!;
    private ActivityHost host = null!;

    public async Task InitializeAsync()
    {
        server = await LoopbackServer.StartAsync(app =>
        {
            app.MapGet("/status", () => Results.Text("""{"lambda":{"version":"40"}}""", "application/json"));
            app.MapGet("/freeze", () => Results.Text("""{"freeze":{"active":false}}""", "application/json"));
        });
        host = new ActivityHost(new Dictionary<string, string?>
        {
            ["Targets:beak:BaseUrl"] = server.BaseAddress.ToString(),
            ["FreezeSources:dashboard:Url"] = new Uri(server.BaseAddress, "freeze").ToString(),
        });
    }

    public async Task DisposeAsync()
    {
        await host.DisposeAsync();
        await server.DisposeAsync();
    }

    [Fact]
    public async Task RunChecks_EachPlanCheckType_RunsItsHandlerAndAnswersInOrder()
    {
        var result = await Run(
            new HttpStatusCheck { Id = "up", Title = "Up", Target = "beak", Path = "/status" },
            new HttpJsonCheck { Id = "json", Title = "JSON", Target = "beak", Path = "/status", Expect = [new() { Path = "lambda.version", EqualTo = "40" }] },
            new FreezeCheck { Id = "freeze", Title = "Freeze", Source = "dashboard" });

        Assert.Equal(["up", "json", "freeze"], result.Results.Select(r => r.CheckId));
        Assert.All(result.Results, r => Assert.Equal(CheckStatus.Green, r.Status));
        Assert.Equal("Up", result.Results[0].Name);
    }

    [Fact]
    public async Task RunChecks_ChecksThatCannotRun_AreRedAndTheRoundGoesOn()
    {
        var result = await Run(
            new FreezeCheck { Id = "policy-only", Title = "Freeze without source" },
            new HttpJsonCheck { Id = "elsewhere", Title = "Unknown target", Target = "nope", Path = "/status" },
            new LambdaInvokeCheck { Id = "smoke", Title = "Smoke", Function = "beak-api", Qualifier = "prod", Payload = "{not json" },
            new HttpStatusCheck { Id = "up", Title = "Up", Target = "beak", Path = "/status" });

        Assert.Equal([CheckStatus.Red, CheckStatus.Red, CheckStatus.Red, CheckStatus.Green], result.Results.Select(r => r.Status));
        Assert.Contains("only with a source", result.Results[0].Message, StringComparison.Ordinal);
        Assert.Contains("nope", result.Results[1].Message, StringComparison.Ordinal);
        Assert.Contains("payload", result.Results[2].Message, StringComparison.Ordinal);
        Assert.All(result.Results.Take(3), r => Assert.Equal("not run", r.Observed));
    }

    private Task<RunChecksResult> Run(params PlanCheck[] checks) =>
        host.RunAsync<CheckBatchActivities, RunChecksResult>(a => a.RunChecksAsync(new RunChecksInput(checks)));
}
