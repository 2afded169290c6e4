using MaintenanceWorkflows.EndToEnd.Tests.Windows;
using MaintenanceWorkflows.Sandbox;
using MaintenanceWorkflows.Sandbox.Status;
using MaintenanceWorkflows.Workflows;
using MaintenanceWorkflows.Workflows.Plans;
using Temporalio.Client;
using Temporalio.Common;
using Temporalio.Worker;

namespace MaintenanceWorkflows.EndToEnd.Tests.Replay;

/// <summary>
/// Windows sleep for days, so a deploy meets histories written by the previous build. These histories were
/// recorded from the real workflow on the devserver; every change to workflow code must keep them
/// replaying (or branch with <c>Workflow.Patched</c>). Re-record deliberately, after a change that is meant to
/// alter histories and cannot affect running windows, with:
/// <c>RECORD_REPLAY_CORPUS=1 dotnet test tests/MaintenanceWorkflows.EndToEnd.Tests --filter FullyQualifiedName~ReplayCorpusTests</c>.
/// </summary>
public sealed class ReplayCorpusTests
{
    public const string RecordVariable = "RECORD_REPLAY_CORPUS";

    private static readonly Dictionary<string, Func<Task<string>>> Scenarios = new()
    {
        ["happy-path"] = HappyPathAsync,
        ["rollback"] = RollbackAsync,
        ["rejection"] = RejectionAsync,
        ["emergency"] = EmergencyAsync,
        ["abort"] = AbortAsync,
        ["extend"] = ExtendAsync,
        ["postponed"] = PostponedAsync,
        ["large-50-steps-24h-soak"] = LargeAsync,
    };

    private static string Folder => Repo.Path("tests", "MaintenanceWorkflows.EndToEnd.Tests", "Replay", "histories");

    [Fact]
    public async Task Replay_RecordedCorpus_EveryHistoryReplaysOnTodaysWorkflowCode()
    {
        var files = Directory.GetFiles(Folder, "*.json").Order(StringComparer.Ordinal).ToList();
        Assert.Equal(Scenarios.Keys.Order(StringComparer.Ordinal), files.Select(f => Path.GetFileNameWithoutExtension(f)!));
        // Debug mode turns off the 2 s deadlock detector: on a loaded CI machine a replayed task may take longer.
        var replayer = new WorkflowReplayer(new WorkflowReplayerOptions { DebugMode = true }.AddWorkflow<MaintenanceWindowWorkflow>());
        foreach (var file in files)
        {
            var history = WorkflowHistory.FromJson(Path.GetFileNameWithoutExtension(file), await File.ReadAllTextAsync(file));
            Assert.True(history.Events.Count > 10, $"{file} holds {history.Events.Count} events");
            var result = await replayer.ReplayWorkflowAsync(history, throwOnReplayFailure: false);
            Assert.True(result.ReplayFailure is null, $"{Path.GetFileName(file)} no longer replays: {result.ReplayFailure}");
        }
    }

    /// <summary>Writes the corpus; does nothing unless <see cref="RecordVariable"/> is 1, so CI never rewrites it.</summary>
    [Fact]
    public async Task Record_ReplayCorpus_OnlyWhenRecordReplayCorpusIsSet()
    {
        if (Environment.GetEnvironmentVariable(RecordVariable) != "1")
        {
            return;
        }
        Directory.CreateDirectory(Folder);
        foreach (var (name, record) in Scenarios)
        {
            var json = await record();
            await File.WriteAllTextAsync(Path.Combine(Folder, $"{name}.json"), json);
        }
    }

    private static async Task<string> HappyPathAsync()
    {
        await using var harness = await WindowHarness.StartAsync();
        var plan = await harness.PlanAsync("lambda-v40-promotion.yaml");
        var handle = await StartApprovedAsync(harness, plan);
        return await FinishAsync(handle, WindowPhase.Completed);
    }

    private static async Task<string> RollbackAsync()
    {
        await using var harness = await WindowHarness.StartAsync();
        harness.World.Function.Alias(SandboxWorld.ProdAlias).FunctionVersion = "40";
        harness.World.Service.Break("41", VersionFault.BadGateway);
        var plan = await harness.PlanAsync("lambda-v41-promotion.yaml");
        var handle = await StartApprovedAsync(harness, plan);
        return await FinishAsync(handle, WindowPhase.RolledBack);
    }

    private static async Task<string> RejectionAsync()
    {
        await using var harness = await WindowHarness.StartAsync();
        var plan = await harness.PlanAsync("lambda-v40-promotion.yaml");
        var handle = await harness.ScheduleAsync(plan);
        var code = await harness.CodeAsync(handle.Id, "T-JOSH", "reject");
        await handle.SignalAsync(WindowHandlers.Reject, [new ApprovalSignal { Approver = "T-JOSH", Code = code, Comment = "not this week" }]);
        return await FinishAsync(handle, WindowPhase.Rejected);
    }

    private static async Task<string> EmergencyAsync()
    {
        await using var harness = await WindowHarness.StartAsync(new Dictionary<string, string?>
        {
            ["Commands:proxy-apply-config:Executable"] = "/bin/echo",
            ["Commands:proxy-apply-config:Arguments:0"] = "{revision}",
            ["Commands:proxy-restart:Executable"] = "/bin/true",
        });
        var plan = await harness.PlanAsync("emergency-proxy-fix.yaml");
        var handle = await harness.ScheduleAsync(plan);
        await WindowHarness.AcknowledgeChecklistAsync(handle, plan, by: "sre-oncall");
        await harness.ApproveAsync(handle, approver: "ops-lead", comment: "retroactive approval");
        return await FinishAsync(handle, WindowPhase.Completed);
    }

    private static async Task<string> AbortAsync()
    {
        await using var harness = await WindowHarness.StartAsync();
        var plan = await harness.PlanAsync("lambda-v40-promotion.yaml");
        var handle = await StartApprovedAsync(harness, plan);
        await SleepUntilAsync(harness, plan.Window.Start + TimeSpan.FromMinutes(3));
        await handle.SignalAsync(WindowHandlers.Abort, [new OperatorCommand { By = "sre-oncall", Reason = "customer reports" }]);
        return await FinishAsync(handle, WindowPhase.RolledBack);
    }

    private static async Task<string> ExtendAsync()
    {
        await using var harness = await WindowHarness.StartAsync();
        var plan = await harness.PlanAsync("lambda-v40-promotion.yaml");
        var handle = await StartApprovedAsync(harness, plan);
        var code = await harness.CodeAsync(handle.Id, "ops-lead", "extend-1");
        await handle.SignalAsync(WindowHandlers.Extend, [new ExtendCommand { Until = plan.Window.End + TimeSpan.FromMinutes(30), By = "ops-lead", Code = code, Reason = "slow migration expected" }]);
        return await FinishAsync(handle, WindowPhase.Completed);
    }

    private static async Task<string> PostponedAsync()
    {
        await using var harness = await WindowHarness.StartAsync();
        var plan = await harness.PlanAsync("lambda-v40-promotion.yaml");
        var handle = await StartApprovedAsync(harness, plan);
        harness.World.StatusPage.Unavailable = true;
        return await FinishAsync(handle, WindowPhase.Postponed);
    }

    private static async Task<string> LargeAsync()
    {
        await using var harness = await WindowHarness.StartAsync(new Dictionary<string, string?> { ["Policy:Path"] = Windows.HistoryLimitTests.LargePolicyPath() });
        var plan = await Windows.HistoryLimitTests.LargePlanAsync(harness);
        var handle = await harness.ScheduleAsync(plan);
        await harness.ApproveAsync(handle);
        await WindowHarness.AcknowledgeChecklistAsync(handle, plan);
        return await FinishAsync(handle, WindowPhase.Completed);
    }

    private static async Task<WorkflowHandle<MaintenanceWindowWorkflow, MaintenanceReport>> StartApprovedAsync(WindowHarness harness, MaintenancePlan plan)
    {
        var handle = await harness.ScheduleAsync(plan);
        await harness.ApproveAsync(handle);
        await WindowHarness.AcknowledgeChecklistAsync(handle, plan);
        return handle;
    }

    private static async Task<string> FinishAsync(WorkflowHandle<MaintenanceWindowWorkflow, MaintenanceReport> handle, WindowPhase expected)
    {
        var report = await handle.GetResultAsync();
        Assert.True(report.Outcome == expected, $"{report.Outcome}: {report.Summary}");
        return (await handle.FetchHistoryAsync()).ToJson();
    }

    private static async Task SleepUntilAsync(WindowHarness harness, DateTimeOffset until)
    {
        var now = new DateTimeOffset(await harness.Env.GetCurrentTimeAsync(), TimeSpan.Zero);
        if (until > now)
        {
            await harness.Env.DelayAsync(until - now);
        }
    }
}
