using MaintenanceWorkflows.Worker;
using Microsoft.Extensions.Hosting;

var builder = Host.CreateApplicationBuilder(args);
builder.Services.AddMaintenanceWorker(builder.Configuration);

// RunAsync, not Run: the Temporal worker needs the async host lifetime to shut down cleanly.
await builder.Build().RunAsync();
