using System.CommandLine;
using MaintenanceWorkflows.Starter.Demo;

namespace MaintenanceWorkflows.Starter.Commands;

/// <summary>`starter demo [--out DIR]`: two windows end to end on the embedded server and local sandbox targets.</summary>
public static class DemoCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var outDir = new Option<string>("--out") { Description = "Where the window reports are written.", DefaultValueFactory = _ => Path.Combine("out", "demo") };
        var examples = new Option<string>("--examples") { Description = "Directory with policy.yaml and the example plans.", DefaultValueFactory = _ => "examples" };
        var command = new Command("demo", "Run two maintenance windows end to end on the embedded Temporal server against local sandbox targets.") { outDir, examples };
        command.SetAction(async (parse, ct) =>
        {
            var examplesDir = parse.GetValue(examples)!;
            if (!File.Exists(Path.Combine(examplesDir, "policy.yaml")))
            {
                error.WriteLine($"error: {Path.GetFullPath(examplesDir)} has no policy.yaml; run the demo from the repository root or pass --examples <dir>.");
                return Connection.ExitUsage;
            }
            await new DemoRunner(output).RunAsync(new DemoOptions { ExamplesDirectory = examplesDir, OutputDirectory = parse.GetValue(outDir)! }, ct);
            return 0;
        });
        return command;
    }
}
