using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Data.Sqlite;
using Temporalio.Client;

namespace MaintenanceWorkflows.DevServer.Tests;

/// <summary>
/// Issue 13's devserver rows: a damaged or empty store is refused in one line (never started over), new
/// database files are owner-only, and a busy port is one line, not a stack trace. The refusals run the
/// real program, as a user would.
/// </summary>
public sealed class StoreSafetyTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("devserver-store-").FullName;

    private string Database => Path.Combine(directory, "state.db");

    [Fact]
    public async Task ZeroByteDatabaseFile_RefusedInOneLineAndLeftAsItIs()
    {
        await File.WriteAllBytesAsync(Database, []);
        var (exit, stderr) = await RunDevServerAsync("--db", Database);
        AssertOneLineRefusal(exit, stderr, "is empty (0 bytes)");
        Assert.Equal(0, new FileInfo(Database).Length);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(4096)]
    [InlineData(8192)]
    public async Task DatabaseWithSixteenKibOfRandomBytesWrittenIn_RefusedInOneLine(int offset)
    {
        await CreateDatabaseWithWorkflowsAsync();
        var original = await File.ReadAllBytesAsync(Database);
        var damage = new byte[16 * 1024];
        new Random(offset + 1).NextBytes(damage);
        await using (var file = new FileStream(Database, FileMode.Open, FileAccess.Write))
        {
            file.Seek(offset, SeekOrigin.Begin);
            await file.WriteAsync(damage);
        }
        var damaged = await File.ReadAllBytesAsync(Database);

        var (exit, stderr) = await RunDevServerAsync("--db", Database);

        AssertOneLineRefusal(exit, stderr, "database");
        Assert.Matches("damaged|not a database|another program", stderr);
        Assert.NotEqual(original, damaged);
        Assert.Equal(damaged, await File.ReadAllBytesAsync(Database));
    }

    [Fact]
    public async Task AnotherProgramsSqliteFile_RefusedAndNotModified()
    {
        using (var connection = new SqliteConnection($"Data Source={Database};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "CREATE TABLE invoices (id INTEGER PRIMARY KEY); INSERT INTO invoices VALUES (1);";
            command.ExecuteNonQuery();
        }
        var before = await File.ReadAllBytesAsync(Database);
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => TemporalDevServer.StartAsync(new() { DatabasePath = Database }));
        Assert.Contains("another program", ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, await File.ReadAllBytesAsync(Database));
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task NewDatabase_FilesCreatedOwnerOnly()
    {
        await CreateDatabaseWithWorkflowsAsync(keepOpen: async () =>
        {
            foreach (var file in new[] { Database, Database + "-wal", Database + "-shm" }.Where(File.Exists))
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
            }
            Assert.True(File.Exists(Database + "-wal"), "the WAL file should exist while the server runs");
            await Task.CompletedTask;
        });
    }

    [Fact]
    public async Task ExistingDatabase_RestartKeepsItsWorkflows()
    {
        var id = await CreateDatabaseWithWorkflowsAsync();
        await using var server = await TemporalDevServer.StartAsync(new() { DatabasePath = Database });
        var client = await TemporalClient.ConnectAsync(new(server.Target));
        Assert.Equal(id, (await client.GetWorkflowHandle(id).DescribeAsync()).Id);
    }

    [Fact]
    public async Task BusyPort_OneLineErrorNamingThePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var (exit, stderr) = await RunDevServerAsync("--port", port);
        AssertOneLineRefusal(exit, stderr, $"port {port} on 127.0.0.1 is already in use");
    }

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private static void AssertOneLineRefusal(int exit, string stderr, string expected)
    {
        Assert.Equal(1, exit);
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"expected one line, got:\n{stderr}");
        Assert.StartsWith("error: ", lines[0], StringComparison.Ordinal);
        Assert.Contains(expected, lines[0], StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
    }

    /// <summary>A database holding one started workflow, closed cleanly (or checked while open); returns the workflow id.</summary>
    private async Task<string> CreateDatabaseWithWorkflowsAsync(Func<Task>? keepOpen = null)
    {
        await using var server = await TemporalDevServer.StartAsync(new() { DatabasePath = Database });
        var client = await TemporalClient.ConnectAsync(new(server.Target));
        var id = Unique.Id("stored");
        for (var i = 0; i < 20; i++)
        {
            await client.StartWorkflowAsync("Stored", [new string('p', 2000)], new($"{id}-{i}", Unique.Queue("stored")));
        }
        if (keepOpen != null)
        {
            await keepOpen();
        }
        return $"{id}-0";
    }

    private static async Task<(int Exit, string Stderr)> RunDevServerAsync(params string[] args)
    {
        var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "MaintenanceWorkflows.DevServer.dll"));
        foreach (var arg in args.Append("--headless"))
        {
            info.ArgumentList.Add(arg);
        }
        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start the devserver process");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"devserver kept running instead of refusing: {await stdout}");
        }
        return (process.ExitCode, await stderr);
    }
}
