namespace MaintenanceWorkflows.DevServer.Http;

/// <summary>What callers of the devserver may tell a person about its web UI.</summary>
public static class WebUi
{
    /// <summary>One line for when the UI's pages are missing (the /api/v1 API still runs).</summary>
    public const string HowToBuild =
        "the web UI is not built (it needs Node.js 20+ at build time): install Node.js and run `dotnet build devserver`, " +
        "or `cd ui && npm ci && npx vite build`; the /api/v1 API is served anyway";
}
