using System.CommandLine;

namespace MaintenanceWorkflows.Starter.Commands;

/// <summary>The operator CLI. Each command lives in its own XCommand.cs with a static Create(output, error).</summary>
public static class StarterCli
{
    public static RootCommand Build(TextWriter output, TextWriter error)
    {
        var root = new RootCommand("MaintenanceWorkflows starter: validate, preview and run maintenance windows.");
        root.Subcommands.Add(ValidateCommand.Create(output, error));
        root.Subcommands.Add(PreviewCommand.Create(output, error));
        return root;
    }

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        var root = Build(output, error);
        var parsed = root.Parse(args);
        return await parsed.InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
    }
}
