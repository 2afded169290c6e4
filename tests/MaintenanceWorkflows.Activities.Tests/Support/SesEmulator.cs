using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace MaintenanceWorkflows.Activities.Tests.Support;

/// <summary>The real SES v2 emulator from npm (aws-ses-v2-local) on a free loopback port.</summary>
public sealed class SesEmulator : IAsyncDisposable
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    /// <summary>Installs the pinned npm tools once per test run when a fresh clone has not yet (`dotnet test` alone then works).</summary>
    private static readonly Lazy<Task<string>> Installed = new(InstallAsync);
    private readonly Process process;

    private SesEmulator(Process process, Uri baseAddress)
    {
        this.process = process;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    /// <summary>Starts the emulator; its GetAccount answers with the given quota.</summary>
    public static async Task<SesEmulator> StartAsync(double sentLast24Hours = 12, double max24HourSend = 200, bool productionAccess = true, bool sendingEnabled = true)
    {
        var executable = await Installed.Value;

        var port = FreePort();
        var start = new ProcessStartInfo(executable)
        {
            ArgumentList = { "--host", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture) },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["AWS_SES_ACCOUNT"] = JsonSerializer.Serialize(new
        {
            DedicatedIpAutoWarmupEnabled = false,
            Details = new
            {
                AdditionalContactEmailAddresses = Array.Empty<string>(),
                ContactLanguage = "EN",
                MailType = "TRANSACTIONAL",
                ReviewDetails = new { CaseId = "case-1", Status = "GRANTED" },
                UseCaseDescription = "maintenance notices",
                WebsiteURL = "https://example.com",
            },
            EnforcementStatus = "HEALTHY",
            ProductionAccessEnabled = productionAccess,
            SendingEnabled = sendingEnabled,
            SendQuota = new { Max24HourSend = max24HourSend, MaxSendRate = 14, SentLast24Hours = sentLast24Hours },
            SuppressionAttributes = new { SuppressedReasons = Array.Empty<string>() },
        });
        var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {executable}.");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var emulator = new SesEmulator(process, new Uri($"http://127.0.0.1:{port}/"));
        await emulator.WaitUntilHealthyAsync(TimeSpan.FromSeconds(30));
        return emulator;
    }

    private static async Task<string> InstallAsync()
    {
        var tools = Path.Combine(RepoPaths.Root, "tools");
        var executable = Path.Combine(tools, "node_modules", ".bin", "aws-ses-v2-local");
        if (File.Exists(executable))
        {
            return executable;
        }
        var install = new ProcessStartInfo("npm") { ArgumentList = { "ci", "--no-audit", "--no-fund", "--loglevel=error" }, WorkingDirectory = tools, RedirectStandardError = true, RedirectStandardOutput = true };
        try
        {
            using var npm = Process.Start(install)!;
            var errors = npm.StandardError.ReadToEndAsync();
            await npm.StandardOutput.ReadToEndAsync();
            await npm.WaitForExitAsync();
            if (npm.ExitCode != 0 || !File.Exists(executable))
            {
                throw new InvalidOperationException($"`npm ci` in {tools} failed (exit {npm.ExitCode}): {await errors}");
            }
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException(
                $"The SES v2 emulator is not installed ({executable} is missing) and npm could not be run ({e.Message}). Install Node.js and run `npm ci` in {tools}, then rerun the tests.", e);
        }
        return executable;
    }

    /// <summary>Emails the emulator has stored, as its GET /store API returns them.</summary>
    public async Task<IReadOnlyList<JsonElement>> StoredEmailsAsync()
    {
        using var document = JsonDocument.Parse(await Http.GetStringAsync(new Uri(BaseAddress, "store")));
        return [.. document.RootElement.GetProperty("emails").EnumerateArray().Select(e => e.Clone())];
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private Task WaitUntilHealthyAsync(TimeSpan timeout) =>
        Poll.UntilAsync(
            async () =>
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException($"aws-ses-v2-local exited with code {process.ExitCode} before it was ready.");
                }

                try
                {
                    using var response = await Http.GetAsync(new Uri(BaseAddress, "health-check"));
                    return response.IsSuccessStatusCode;
                }
                catch (HttpRequestException)
                {
                    // Not listening yet.
                    return false;
                }
            },
            healthy => healthy,
            timeout,
            _ => $"aws-ses-v2-local did not answer /health-check on {BaseAddress} within {timeout}.");
}
