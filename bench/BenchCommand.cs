namespace MaintenanceWorkflows.Bench;

/// <summary>Benchmark verbs: each measures one thing and prints its numbers.</summary>
public static class BenchCommand
{
    private static readonly Dictionary<string, (string Help, Func<string[], Task<int>> Run)> Verbs = new(StringComparer.Ordinal)
    {
        ["devserver"] = (DevServerBench.Help, DevServerBench.RunAsync),
        ["activities"] = (ActivitiesBench.Help, ActivitiesBench.RunAsync),
        ["postmortem"] = (PostmortemBench.Help, PostmortemBench.RunAsync),
        ["windows"] = (WindowsBench.Help, WindowsBench.RunAsync),
        ["sleeping"] = (SleepingBench.Help, SleepingBench.RunAsync),
        ["hardening"] = (HardeningBench.Help, HardeningBench.RunAsync),
        ["rollout"] = (RolloutBench.Help, RolloutBench.RunAsync),
    };

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0 || !Verbs.TryGetValue(args[0], out var verb))
        {
            await Console.Error.WriteLineAsync(
                (args.Length == 0 ? "error: name a benchmark" : $"error: unknown benchmark '{args[0]}'") +
                "\nusage: dotnet run -c Release --project bench -- <benchmark> [options]\n" +
                string.Join('\n', Verbs.Select(v => $"  {v.Key,-10} {v.Value.Help}")));
            return 2;
        }
        return await verb.Run(args[1..]);
    }
}
