namespace MaintenanceWorkflows.Activities.Tests.Support;

public static class RepoPaths
{
    /// <summary>The repository root: the nearest parent of the test binaries holding MaintenanceWorkflows.sln.</summary>
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "MaintenanceWorkflows.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"MaintenanceWorkflows.sln not found above {AppContext.BaseDirectory}; run the tests from the repository.");
    }
}
