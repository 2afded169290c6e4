using MaintenanceWorkflows.Starter.Commands;

return await StarterCli.RunAsync(args, Console.Out, Console.Error);
