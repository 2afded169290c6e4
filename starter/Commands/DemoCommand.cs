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
        var ui = new Option<bool>("--ui") { Description = "Then keep everything up with the Temporal web UI and a third window waiting for you to approve it in the browser (Ctrl+C ends)." };
        var uiPort = new Option<int>("--ui-port") { Description = "The web UI's port with --ui.", DefaultValueFactory = _ => DevServer.DevServerCommand.DefaultUiPort };
        var command = new Command("demo", "Run two maintenance windows end to end on the embedded Temporal server against local sandbox targets.") { outDir, examples, ui, uiPort };
        command.SetAction(async (parse, ct) =>
        {
            var examplesDir = parse.GetValue(examples)!;
            if (!File.Exists(Path.Combine(examplesDir, "policy.yaml")))
            {
                error.WriteLine($"error: {Path.GetFullPath(examplesDir)} has no policy.yaml; run the demo from the repository root or pass --examples <dir>.");
                return Connection.ExitUsage;
            }
            var port = parse.GetValue(uiPort);
            if (port is < 0 or > 65535)
            {
                error.WriteLine($"error: --ui-port {port} is not a port; use 1 to 65535 (0 picks a free one).");
                return Connection.ExitUsage;
            }
            var options = new DemoOptions
            {
                ExamplesDirectory = examplesDir,
                OutputDirectory = parse.GetValue(outDir)!,
                UiPort = parse.GetValue(ui) ? port : null,
            };
            try
            {
                await new DemoRunner(output).RunAsync(options, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested && options.UiPort != null)
            {
                // Ctrl+C is how `demo --ui` ends.
                output.WriteLine("demo stopped.");
            }
            return 0;
        });
        return command;
    }
}
