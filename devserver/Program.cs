using MaintenanceWorkflows.DevServer;

return await DevServerCommand.RunAsync(args);
