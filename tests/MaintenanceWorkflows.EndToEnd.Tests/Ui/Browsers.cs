using PuppeteerSharp;

namespace MaintenanceWorkflows.EndToEnd.Tests.Ui;

/// <summary>The system Chromium (Debian's package; never a downloaded browser) and when its absence may skip a test.</summary>
internal static class Browsers
{
    /// <summary>CI sets REQUIRE_BROWSER=1: there a missing browser or UI build fails the test instead of skipping it.</summary>
    public static bool Required => Environment.GetEnvironmentVariable("REQUIRE_BROWSER") is "1" or "true";

    public static string? FindChromium()
    {
        var configured = Environment.GetEnvironmentVariable("CHROMIUM_PATH");
        if (!string.IsNullOrEmpty(configured))
        {
            return File.Exists(configured) ? configured : throw new InvalidOperationException($"CHROMIUM_PATH={configured} does not exist");
        }
        return new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome" }.FirstOrDefault(File.Exists);
    }

    public static void SkipOrFail(bool missing, string reason)
    {
        if (!missing)
        {
            return;
        }
        Assert.False(Required, $"REQUIRE_BROWSER is set but {reason}");
        Skip.If(true, reason);
    }

    public static LaunchOptions LaunchOptions(string executable, string profileDirectory) => new()
    {
        ExecutablePath = executable,
        Headless = true,
        UserDataDir = profileDirectory,
        Args =
        [
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
        ],
    };
}
