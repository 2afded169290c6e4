using MaintenanceWorkflows.Starter.Commands;

namespace MaintenanceWorkflows.EndToEnd.Tests.Calendar;

/// <summary>`starter slots` through the real command-line parser, on the example policy and variants of it.</summary>
public sealed class SlotsCommandTests : IDisposable
{
    private const string Cadence = "  - days: [Tuesday, Thursday]\n    start: \"02:00\"\n    end: \"04:00\"\n";

    private readonly string temp = Directory.CreateTempSubdirectory("slots-").FullName;

    public void Dispose() => Directory.Delete(temp, recursive: true);

    [Fact]
    public async Task Slots_AcrossSpringForward_SameLocalTimesMoveAnHourEarlierInUtc()
    {
        var (exit, output, error) = await RunAsync("slots", "--next", "4", "--now", "2027-03-08T00:00:00Z", "--policy", Repo.Path("examples", "policy.yaml"));

        Assert.True(exit == 0, error);
        var slots = SlotLines(output);
        Assert.Equal(
            [
                "Tue 2027-03-09 02:00 - 04:00 PST (UTC-08:00)  |  2027-03-09 10:00 - 12:00 UTC  [2 h]",
                "Thu 2027-03-11 02:00 - 04:00 PST (UTC-08:00)  |  2027-03-11 10:00 - 12:00 UTC  [2 h]",
                "Tue 2027-03-16 02:00 - 04:00 PDT (UTC-07:00)  |  2027-03-16 09:00 - 11:00 UTC  [2 h]",
                "Thu 2027-03-18 02:00 - 04:00 PDT (UTC-07:00)  |  2027-03-18 09:00 - 11:00 UTC  [2 h]",
            ],
            slots);
    }

    [Fact]
    public async Task Slots_SlotSpanningTheDstChange_IsAnHourShorterInSpringAndLongerInAutumn()
    {
        var policy = WritePolicy(File.ReadAllText(Repo.Path("examples", "policy.yaml"))
            .Replace(Cadence, "  - days: [Sunday]\n    start: \"01:30\"\n    end: \"03:30\"\n", StringComparison.Ordinal));

        var (springExit, spring, springError) = await RunAsync("slots", "--next", "1", "--now", "2027-03-13T00:00:00Z", "--policy", policy);
        var (autumnExit, autumn, autumnError) = await RunAsync("slots", "--next", "1", "--now", "2027-11-06T00:00:00Z", "--policy", policy);

        Assert.True(springExit == 0, springError);
        Assert.True(autumnExit == 0, autumnError);
        Assert.Equal(["Sun 2027-03-14 01:30 PST (UTC-08:00) - 03:30 PDT (UTC-07:00)  |  2027-03-14 09:30 - 10:30 UTC  [1 h]"], SlotLines(spring));
        // In autumn the slot runs 3 h (08:30-11:30 UTC), but the nightly backup (00:00-01:30 local) ends at
        // the second 01:30, so its first hour is taken and the free part starts at 01:30 PST.
        var autumnLine = Assert.Single(SlotLines(autumn));
        Assert.StartsWith("Sun 2027-11-07 01:30 - 03:30 PST (UTC-08:00)  |  2027-11-07 09:30 - 11:30 UTC  [2 h]", autumnLine, StringComparison.Ordinal);
        Assert.Contains("(part of 2027-11-07 08:30 - 11:30 UTC; blackout pbs-nightly-backup (PBS (zlh-back) nightly backup) 2027-11-07 07:00 UTC - 2027-11-07 09:30 UTC)", autumnLine, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Slots_DuringTheHolidayFreeze_SkipsFrozenSlotsAndSaysWhy()
    {
        var (exit, output, error) = await RunAsync("slots", "--next", "3", "--now", "2026-12-14T00:00:00Z", "--policy", Repo.Path("examples", "policy.yaml"));

        Assert.True(exit == 0, error);
        var slots = SlotLines(output);
        Assert.Equal(3, slots.Count);
        Assert.StartsWith("Tue 2026-12-15 02:00", slots[0], StringComparison.Ordinal);
        Assert.StartsWith("Thu 2026-12-17 02:00", slots[1], StringComparison.Ordinal);
        Assert.StartsWith("Tue 2027-01-05 02:00", slots[2], StringComparison.Ordinal);
        var skipped = output.Split('\n').Where(l => l.TrimStart().StartsWith("skipped", StringComparison.Ordinal)).ToList();
        Assert.Equal(4, skipped.Count);
        Assert.All(skipped, l => Assert.Contains("freeze holiday-freeze-2026 (Holiday change freeze (reduced staffing))", l, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Slots_BlackoutInsideTheSlot_OffersTheFreePartsThatFitThePlan()
    {
        // A longer slot that the provisioning reconcile (04:15-04:45, Proxmox and API systems) cuts in two.
        var policy = WritePolicy(File.ReadAllText(Repo.Path("examples", "policy.yaml"))
            .Replace(Cadence, "  - days: [Tuesday]\n    start: \"02:00\"\n    end: \"05:00\"\n", StringComparison.Ordinal));
        var plan = Path.Combine(temp, "proxmox.yaml");
        File.Copy(Repo.Path("examples", "proxmox-host-patch.yaml"), plan);

        var (anyExit, any, anyError) = await RunAsync("slots", "--next", "1", "--now", "2027-02-01T00:00:00Z", "--policy", policy);
        var (planExit, fitted, planError) = await RunAsync("slots", "--next", "1", "--now", "2027-02-01T00:00:00Z", "--policy", policy, "--plan", plan);

        Assert.True(anyExit == 0, anyError);
        Assert.True(planExit == 0, planError);
        var anyParts = SlotLines(any);
        Assert.Equal(2, anyParts.Count);
        Assert.StartsWith("Tue 2027-02-02 02:00 - 04:15 PST (UTC-08:00)  |  2027-02-02 10:00 - 12:15 UTC  [2 h 15 min]", anyParts[0], StringComparison.Ordinal);
        Assert.StartsWith("Tue 2027-02-02 04:45 - 05:00 PST (UTC-08:00)  |  2027-02-02 12:45 - 13:00 UTC  [15 min]", anyParts[1], StringComparison.Ordinal);
        Assert.Contains("blackout provisioning-reconcile", anyParts[0], StringComparison.Ordinal);
        // The 1 h 45 min Proxmox patch fits only in the first part.
        Assert.Contains("fitting: proxmox-pve01-patch (1 h 45 min, systems: Proxmox VE host", fitted, StringComparison.Ordinal);
        var fittedParts = SlotLines(fitted);
        Assert.StartsWith("Tue 2027-02-02 02:00 - 04:15 PST", Assert.Single(fittedParts), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Slots_CronCadenceAcrossSpringForward_ListsTheSameSlotsAsTheDayList()
    {
        var policy = WritePolicy(File.ReadAllText(Repo.Path("examples", "policy.yaml"))
            .Replace(Cadence, "  - cron: \"0 2 * * TUE,THU\"\n    duration: 2h\n", StringComparison.Ordinal));

        var (cronExit, cron, cronError) = await RunAsync("slots", "--next", "4", "--now", "2027-03-08T00:00:00Z", "--policy", policy);
        var (daysExit, days, daysError) = await RunAsync("slots", "--next", "4", "--now", "2027-03-08T00:00:00Z", "--policy", Repo.Path("examples", "policy.yaml"));

        Assert.True(cronExit == 0, cronError);
        Assert.True(daysExit == 0, daysError);
        Assert.Equal(
            [
                "Tue 2027-03-09 02:00 - 04:00 PST (UTC-08:00)  |  2027-03-09 10:00 - 12:00 UTC  [2 h]",
                "Thu 2027-03-11 02:00 - 04:00 PST (UTC-08:00)  |  2027-03-11 10:00 - 12:00 UTC  [2 h]",
                "Tue 2027-03-16 02:00 - 04:00 PDT (UTC-07:00)  |  2027-03-16 09:00 - 11:00 UTC  [2 h]",
                "Thu 2027-03-18 02:00 - 04:00 PDT (UTC-07:00)  |  2027-03-18 09:00 - 11:00 UTC  [2 h]",
            ],
            SlotLines(cron));
        Assert.Equal(SlotLines(days), SlotLines(cron));
    }

    [Fact]
    public async Task Slots_CronStartInTheSkippedHour_StartsAt03PdtAndLastsOneHour()
    {
        var policy = WritePolicy(File.ReadAllText(Repo.Path("examples", "policy.yaml"))
            .Replace(Cadence, "  - cron: \"0 2 * * SUN\"\n    duration: 2h\n", StringComparison.Ordinal));

        var (exit, output, error) = await RunAsync("slots", "--next", "2", "--now", "2027-03-12T00:00:00Z", "--policy", policy);

        Assert.True(exit == 0, error);
        Assert.Equal(
            [
                "Sun 2027-03-14 03:00 - 04:00 PDT (UTC-07:00)  |  2027-03-14 10:00 - 11:00 UTC  [1 h]",
                "Sun 2027-03-21 02:00 - 04:00 PDT (UTC-07:00)  |  2027-03-21 09:00 - 11:00 UTC  [2 h]",
            ],
            SlotLines(output));
    }

    [Fact]
    public async Task Slots_PolicyWithABadCron_ExitsTwoWithFileLineAndTheField()
    {
        var yaml = File.ReadAllText(Repo.Path("examples", "policy.yaml"));
        var line = Array.IndexOf(yaml.Split('\n'), "cadence:") + 2;
        var policy = WritePolicy(yaml.Replace(Cadence, "  - cron: \"0 2 * * TUE,THX\"\n    duration: 2h\n", StringComparison.Ordinal));

        var (exit, output, error) = await RunAsync("slots", "--policy", policy);

        Assert.Equal(2, exit);
        Assert.Equal(string.Empty, output);
        Assert.Contains(
            $"{policy}:{line}:11: cadence[0].cron: cron \"0 2 * * TUE,THX\": day-of-week 'THX' (field 5, character 13) is not allowed",
            error,
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task Slots_PolicyWithoutCadence_ExitsOneAndSaysToAddOne()
    {
        var policy = WritePolicy(File.ReadAllText(Repo.Path("examples", "policy.yaml"))
            .Replace("cadence:\n" + Cadence, string.Empty, StringComparison.Ordinal)
            .Replace("    requiresCadence: true\n", string.Empty, StringComparison.Ordinal));

        var (exit, output, error) = await RunAsync("slots", "--policy", policy);

        Assert.Equal(1, exit);
        Assert.Equal(string.Empty, output);
        Assert.Contains("defines no cadence", error, StringComparison.Ordinal);
        Assert.Contains("add a 'cadence' list", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Slots_NextZero_ExitsTwoNamingTheOption()
    {
        var (exit, _, error) = await RunAsync("slots", "--next", "0", "--policy", Repo.Path("examples", "policy.yaml"));

        Assert.Equal(2, exit);
        Assert.Contains("--next 0", error, StringComparison.Ordinal);
    }

    /// <summary>The slot lines, without their running number.</summary>
    private static List<string> SlotLines(string output) => output.Split('\n')
        .Select(l => l.TrimEnd())
        .Where(l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^\s+\d+\.\s"))
        .Select(l => System.Text.RegularExpressions.Regex.Replace(l, @"^\s+\d+\.\s+", string.Empty))
        .ToList();

    private string WritePolicy(string yaml)
    {
        var path = Path.Combine(temp, $"policy-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    private static async Task<(int Exit, string Output, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await StarterCli.RunAsync(args, output, error);
        return (exit, output.ToString(), error.ToString());
    }
}
