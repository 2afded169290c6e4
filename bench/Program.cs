using MaintenanceWorkflows.Bench;

return await BenchCommand.RunAsync(args);
