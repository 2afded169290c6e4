using MaintenanceWorkflows.EndToEnd.Tests.Windows;
using MaintenanceWorkflows.Starter.Commands;
using MaintenanceWorkflows.Workflows.Governance;

namespace MaintenanceWorkflows.EndToEnd.Tests.Cli;

/// <summary>The operator commands through the real command-line parser against a devserver with a running worker.</summary>
public sealed class WindowCommandsTests
{
    private const string WindowId = "maint-lambda-v40-promotion";

    [Fact]
    public async Task ScheduleApproveAckStatusList_AgainstARunningWorker_SteerTheWindow()
    {
        await using var harness = await WindowHarness.StartAsync();
        var (plan, noticeAt) = await ExampleInTheNextSlotAsync(harness);

        var schedule = await RunAsync(harness, "schedule", plan);
        Assert.True(schedule.Exit == 0, schedule.Error);
        Assert.Contains($"scheduled {WindowId}", schedule.Output, StringComparison.Ordinal);
        Assert.Contains($"next:      pre-maintenance notice at {noticeAt}", schedule.Output, StringComparison.Ordinal);
        Assert.Contains("policy:    the worker's policy is the same as", schedule.Output, StringComparison.Ordinal);

        var again = await RunAsync(harness, "schedule", plan);
        Assert.Equal(Connection.ExitRefused, again.Exit);
        Assert.Contains("already scheduled and running", again.Error, StringComparison.Ordinal);

        var self = await RunAsync(harness, "approve", WindowId, "--by", "ops-lead");
        Assert.Equal(Connection.ExitRefused, self.Exit);
        Assert.Contains("refused: 'ops-lead' requested this window and may not approve it", self.Error, StringComparison.Ordinal);

        var forged = await RunAsync(harness, "approve", WindowId, "--by", "T-JOSH");
        Assert.Equal(Connection.ExitRefused, forged.Exit);
        Assert.Contains("refused: no proof", forged.Error, StringComparison.Ordinal);

        // The requester (ops-lead) confirms the request with the confirm code only they received; nobody else can.
        var confirmCode = await harness.CodeAsync(WindowId, "ops-lead", "confirm");
        var stranger = await RunAsync(harness, "confirm", WindowId, "--by", "T-JOSH", "--code", confirmCode);
        Assert.Equal(Connection.ExitRefused, stranger.Exit);
        Assert.Contains("refused: only the requester, ops-lead, confirms this window.", stranger.Error, StringComparison.Ordinal);
        var forgedConfirm = await RunAsync(harness, "confirm", WindowId, "--by", "ops-lead", "--code", "k1-AAAA-BBBB-CCCC-DDDD");
        Assert.Equal(Connection.ExitRefused, forgedConfirm.Exit);
        Assert.Contains("refused: ", forgedConfirm.Error, StringComparison.Ordinal);
        Assert.Contains("is not ops-lead's confirm code", forgedConfirm.Error, StringComparison.Ordinal);
        var wrongPurpose = await RunAsync(harness, "confirm", WindowId, "--by", "ops-lead", "--code", await harness.CodeAsync(WindowId, "ops-lead", "extend-1"));
        Assert.Equal(Connection.ExitRefused, wrongPurpose.Exit);
        Assert.Contains("is not ops-lead's confirm code", wrongPurpose.Error, StringComparison.Ordinal);
        var noCode = await RunAsync(harness, "confirm", WindowId, "--by", "ops-lead");
        Assert.Equal(Connection.ExitRefused, noCode.Exit);
        Assert.Contains("refused: no proof", noCode.Error, StringComparison.Ordinal);
        var oversized = await RunAsync(harness, "confirm", WindowId, "--by", "ops-lead", "--code", new string('k', 100));
        Assert.Equal(Connection.ExitRefused, oversized.Exit);
        Assert.Contains($"'code' is 100 characters; the limit is {Workflows.MaintenanceWindowWorkflow.MaxIdLength}", oversized.Error, StringComparison.Ordinal);

        var code = await harness.CodeAsync(WindowId, "T-JOSH", "approve");
        var unconfirmed = await RunAsync(harness, "approve", "lambda-v40-promotion", "--by", "T-JOSH", "--code", code, "--comment", "gate ok");
        Assert.True(unconfirmed.Exit == 0, unconfirmed.Error);
        Assert.Contains("approve by T-JOSH recorded; 1/1 approvals, waiting for gate(s) requester-confirmation (ops-lead).", unconfirmed.Output, StringComparison.Ordinal);

        var confirm = await RunAsync(harness, "confirm", WindowId, "--by", "ops-lead", "--code", confirmCode);
        Assert.True(confirm.Exit == 0, confirm.Error);
        Assert.Contains($"{WindowId}: the request is confirmed by its requester ops-lead; the window is approved.", confirm.Output, StringComparison.Ordinal);
        var twice = await RunAsync(harness, "confirm", WindowId, "--by", "ops-lead", "--code", confirmCode);
        Assert.Equal(Connection.ExitRefused, twice.Exit);
        Assert.Contains("the request is already confirmed", twice.Error, StringComparison.Ordinal);

        var approve = await RunAsync(harness, "approve", "lambda-v40-promotion", "--by", "T-JOSH", "--code", code);
        Assert.Equal(Connection.ExitRefused, approve.Exit);
        Assert.Contains("refused: 'T-JOSH' already voted (approve)", approve.Error, StringComparison.Ordinal);

        var ack = await RunAsync(harness, "ack", WindowId, "agent-fleet", "--by", "sre-oncall", "--note", "12/12 alive");
        Assert.True(ack.Exit == 0, ack.Error);
        var unknownItem = await RunAsync(harness, "ack", WindowId, "agent-flet", "--by", "sre-oncall");
        Assert.Equal(Connection.ExitRefused, unknownItem.Exit);
        Assert.Contains("'agent-flet' is not a manual checklist item", unknownItem.Error, StringComparison.Ordinal);

        var status = await RunAsync(harness, "status", WindowId);
        Assert.True(status.Exit == 0, status.Error);
        Assert.Contains("phase:     Scheduled since", status.Output, StringComparison.Ordinal);
        Assert.Contains("approvals: 1/1 APPROVED by T-JOSH", status.Output, StringComparison.Ordinal);
        Assert.Contains("[x] before agent-fleet", status.Output, StringComparison.Ordinal);
        Assert.True(status.Output.Contains($"next:      pre-maintenance notice at {noticeAt}", StringComparison.Ordinal), status.Output);
        Assert.Contains("1. promote-prod", status.Output, StringComparison.Ordinal);
        Assert.Contains($"policy:    sha256 {PolicyHash.Of(await File.ReadAllBytesAsync(WindowHarness.PolicyPath))}", status.Output, StringComparison.Ordinal);

        var list = await RunAsync(harness, "list");
        Assert.True(list.Exit == 0, list.Error);
        Assert.Contains("Scheduled (1)", list.Output, StringComparison.Ordinal);
        Assert.Contains(WindowId, list.Output, StringComparison.Ordinal);
        Assert.Contains("Lambda prod alias promotion - v40 deploy", list.Output, StringComparison.Ordinal);

        var abort = await RunAsync(harness, "abort", WindowId, "--by", "ops-lead", "--reason", "vendor outage");
        Assert.True(abort.Exit == 0, abort.Error);
        var report = await harness.Client.GetWorkflowHandle(WindowId).GetResultAsync<Workflows.MaintenanceReport>();
        Assert.Equal(Workflows.WindowPhase.Cancelled, report.Outcome);

        var closed = await RunAsync(harness, "status", WindowId);
        Assert.Contains("outcome:  Cancelled", closed.Output.Replace("outcome:   ", "outcome:  ", StringComparison.Ordinal), StringComparison.Ordinal);
        var listAll = await RunAsync(harness, "list", "--all");
        Assert.Contains("Cancelled (1)", listAll.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Commands_UnknownWindowAndUnreachableServer_ClearErrorsAndExitCodes()
    {
        await using var harness = await WindowHarness.StartAsync();

        var missing = await RunAsync(harness, "approve", "maint-nope", "--by", "T-JOSH");
        Assert.Equal(Connection.ExitNotFound, missing.Exit);
        Assert.Contains("no window 'maint-nope'", missing.Error, StringComparison.Ordinal);

        var badTime = await RunAsync(harness, "extend", "maint-nope", "--until", "2027-02-09 05:00");
        Assert.Equal(Connection.ExitUsage, badTime.Exit);
        Assert.Contains("needs a date, time and offset", badTime.Error, StringComparison.Ordinal);

        // A window nobody serves: the update would wait for a worker forever; --timeout ends it.
        await harness.StopWorkerAsync();
        var (plan, _) = await ExampleInTheNextSlotAsync(harness);
        Assert.Equal(0, (await RunAsync(harness, "schedule", plan)).Exit);
        var unanswered = await RunAsync(harness, "approve", WindowId, "--by", "T-JOSH", "--timeout", "00:00:02");
        Assert.True(unanswered.Exit == Connection.ExitUnavailable, unanswered.Error);
        Assert.Contains("no worker answered", unanswered.Error, StringComparison.Ordinal);

        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await StarterCli.RunAsync(["status", "maint-x", "--address", "127.0.0.1:1"], output, error);
        Assert.Equal(Connection.ExitUnavailable, exit);
        Assert.Contains("cannot reach Temporal at 127.0.0.1:1", error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error.ToString(), StringComparison.Ordinal);
    }

    /// <summary>The example plan, rewritten to start in the earliest slot the policy allows from now, so the test never goes stale.</summary>
    [Fact]
    public async Task Schedule_LocalPolicyDiffersFromTheWorkers_WarnsWithBothHashes()
    {
        await using var harness = await WindowHarness.StartAsync();
        var (plan, _) = await ExampleInTheNextSlotAsync(harness);
        var local = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(plan)!, "policy.yaml");
        await File.AppendAllTextAsync(local, "# a local edit the worker does not have\n");

        var schedule = await RunAsync(harness, "schedule", plan);

        Assert.True(schedule.Exit == 0, schedule.Error);
        var worker = PolicyHash.Short(PolicyHash.Of(await File.ReadAllBytesAsync(WindowHarness.PolicyPath)));
        var mine = PolicyHash.Short(PolicyHash.Of(await File.ReadAllBytesAsync(local)));
        Assert.Contains($"warning: the worker governs {WindowId} with a different policy (sha256 {worker}) than {local} (sha256 {mine})", schedule.Error, StringComparison.Ordinal);
        await harness.Client.GetWorkflowHandle(WindowId).CancelAsync();
    }

    private static async Task<(string Path, string NoticeAt)> ExampleInTheNextSlotAsync(WindowHarness harness)
    {
        // The YAML gives the start to the minute: ask for a whole minute at least a minute past the 24 h notice, so a
        // start inside tonight's cadence slot is not cut to less notice than the policy wants.
        var earliest = new DateTimeOffset(await harness.Env.GetCurrentTimeAsync(), TimeSpan.Zero) + TimeSpan.FromHours(24) + TimeSpan.FromMinutes(2);
        var moved = await harness.PlanAsync("lambda-v40-promotion.yaml", new DateTimeOffset(earliest.Ticks - (earliest.Ticks % TimeSpan.TicksPerMinute), TimeSpan.Zero));
        var local = MaintenanceWorkflows.Workflows.Plans.ZoneMath.ToLocal(moved.Window.Start, moved.Window.TimeZone);
        var yaml = File.ReadAllText(Repo.Path("examples", "lambda-v40-promotion.yaml"))
            .Replace("start: 2027-02-09T02:00", $"start: {local:yyyy-MM-ddTHH:mm}", StringComparison.Ordinal);
        var path = System.IO.Path.Combine(Directory.CreateTempSubdirectory("window-cli-").FullName, "lambda-v40-promotion.yaml");
        File.WriteAllText(path, yaml);
        File.Copy(Repo.Path("examples", "policy.yaml"), System.IO.Path.Combine(System.IO.Path.GetDirectoryName(path)!, "policy.yaml"));
        return (path, MaintenanceWorkflows.Workflows.Plans.ZoneMath.FormatUtc(moved.Window.Start - TimeSpan.FromHours(24)));
    }

    internal static async Task<(int Exit, string Output, string Error)> RunAsync(WindowHarness harness, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await StarterCli.RunAsync([.. args, "--address", harness.Env.Server.Target, "--task-queue", harness.TaskQueue], output, error);
        return (exit, output.ToString(), error.ToString());
    }
}
