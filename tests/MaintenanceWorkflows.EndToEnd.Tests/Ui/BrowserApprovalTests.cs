using MaintenanceWorkflows.DevServer;
using MaintenanceWorkflows.DevServer.Http;
using MaintenanceWorkflows.DevServer.Testing;
using MaintenanceWorkflows.Sandbox;
using MaintenanceWorkflows.Starter.Demo;
using MaintenanceWorkflows.Workflows;
using PuppeteerSharp;
using Xunit.Abstractions;

namespace MaintenanceWorkflows.EndToEnd.Tests.Ui;

/// <summary>
/// A person approves a window in the real Temporal web UI served by the devserver, in Debian's Chromium:
/// the list shows the window, its page opens, "Send a Signal" sends Approve, and the window moves on.
/// Screenshots of each step are kept under the test output (the path is printed).
/// </summary>
public sealed class BrowserApprovalTests(ITestOutputHelper log)
{
    private static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(60);

    // The page holds the dialog twice (desktop and mobile action bars); the open one is the one shown.

    [SkippableFact]
    public async Task Browser_ApproveThroughSendASignalDialog_WindowIsApprovedAndRunsToCompletion()
    {
        var chromium = Browsers.FindChromium();
        Browsers.SkipOrFail(chromium == null, "Chromium is not installed (apt-get install chromium; or set CHROMIUM_PATH)");

        await using var env = await DevServerWorkflowEnvironment.StartAsync(new DevServerOptions { TimeSkipping = true, UiPort = 0 });
        Browsers.SkipOrFail(!env.Server.UiBuilt, WebUi.HowToBuild);
        await using var world = await SandboxWorld.StartAsync();
        var taskQueue = $"browser-{Guid.NewGuid():N}";
        using var worker = await InProcessWorker.StartAsync(InProcessWorker.SandboxConfiguration(
            world, env.Server.Target, taskQueue, Repo.Path("examples", "policy.yaml"), InProcessWorker.RandomSigningKey()));
        var now = new DateTimeOffset(await env.GetCurrentTimeAsync(), TimeSpan.Zero);
        var window = await BrowserApprovalDemo.ScheduleAsync(env.Client, taskQueue, Repo.Path("examples"), world, now, null);
        Assert.False((await window.Handle.QueryAsync(wf => wf.Status)).Approvals.Approved);

        var artifacts = Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "browser-artifacts", DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", System.Globalization.CultureInfo.InvariantCulture))).FullName;
        log.WriteLine($"screenshots: {artifacts}");
        Console.WriteLine($"browser test screenshots: {artifacts}");
        var profile = Directory.CreateTempSubdirectory("chromium-profile-");
        try
        {
            await using var browser = await Puppeteer.LaunchAsync(Browsers.LaunchOptions(chromium!, profile.FullName));
            await using var page = await browser.NewPageAsync();
            await page.SetViewportAsync(new ViewPortOptions { Width = 1400, Height = 1000 });
            page.DefaultTimeout = (int)StepTimeout.TotalMilliseconds;
            var consoleErrors = new List<string>();
            page.Console += (_, e) =>
            {
                if (e.Message.Type == ConsoleType.Error)
                {
                    consoleErrors.Add(e.Message.Text);
                }
            };
            try
            {
                // 1. The workflow list shows the window.
                await page.GoToAsync(new Uri(env.Server.UiAddress!, "namespaces/default/workflows").ToString());
                var link = $"a[href*='/workflows/{window.Handle.Id}/{window.Handle.ResultRunId}']";
                await page.WaitForSelectorAsync(link);
                await page.ScreenshotAsync(Path.Combine(artifacts, "1-workflow-list.png"));

                // 2. Its page opens with the history.
                await ClickAsync(page, link);
                await WaitForTextAsync(page, "Workflow Execution Started");

                // 3. "Send a Signal": Approve with the approver's JSON. The dialog offers a list when the worker's
                // __temporal_workflow_metadata answer names the signals, and a text field otherwise.
                await ClickAsync(page, "#workflow-actions-menu-button");
                await ClickAsync(page, "[data-testid=signal-button]");
                await page.WaitForSelectorAsync("dialog[data-testid=signal-confirmation-modal][open] #signal-name, dialog[data-testid=signal-confirmation-modal][open] [data-testid=signal-select-button]");
                if (await page.QuerySelectorAsync("dialog[data-testid=signal-confirmation-modal][open] #signal-name") is not null)
                {
                    await FillAsync(page, "dialog[data-testid=signal-confirmation-modal][open] #signal-name", window.SignalName);
                }
                else
                {
                    await ClickAsync(page, "dialog[data-testid=signal-confirmation-modal][open] [data-testid=signal-select-button]");
                    await ClickAsync(page, "#signal-select-select [role=option]", window.SignalName);
                }
                await SetEditorTextAsync(page, "dialog[data-testid=signal-confirmation-modal][open]", window.SignalJson);
                await page.ScreenshotAsync(Path.Combine(artifacts, "2-send-a-signal-dialog.png"));
                await ClickAsync(page, "dialog[data-testid=signal-confirmation-modal][open] [data-testid=confirm-modal-button]");

                // 4. The window is approved, and (time skipping now allowed) runs to the end; the page shows it.
                await WaitForTextAsync(page, "Workflow Execution Signaled");
                using (var approval = new CancellationTokenSource(StepTimeout))
                {
                    await BrowserApprovalDemo.WaitForApprovalAsync(window.Handle, approval.Token);
                }
                var status = await window.Handle.QueryAsync(wf => wf.Status);
                Assert.True(status.Approvals.Approved, "the Approve signal from the browser did not approve the window");
                Assert.Contains(BrowserApprovalDemo.Approver, status.Approvals.ApprovedBy);
                var report = await window.Handle.GetResultAsync();
                Assert.Equal(WindowPhase.Completed, report.Outcome);
                await page.ReloadAsync();
                await WaitForTextAsync(page, "Completed");
                await WaitForTextAsync(page, "Workflow Execution Completed");
                await page.ScreenshotAsync(Path.Combine(artifacts, "3-window-completed.png"));
            }
            catch
            {
                await page.ScreenshotAsync(Path.Combine(artifacts, "failure.png"));
                await File.WriteAllTextAsync(Path.Combine(artifacts, "failure.html"), await page.GetContentAsync());
                log.WriteLine("browser console errors:\n" + string.Join("\n", consoleErrors));
                throw;
            }
        }
        finally
        {
            profile.Delete(recursive: true);
        }
    }

    /// <summary>Clicks the first visible element matching the selector (and starting with the text, if given) once it shows.</summary>
    private static async Task ClickAsync(IPage page, string selector, string? text = null)
    {
        const string find = "(s, t) => [...document.querySelectorAll(s)].find(e => e.offsetParent !== null && (!t || e.textContent.trim().startsWith(t)))";
        await page.WaitForFunctionAsync($"(s, t) => !!({find})(s, t)", new WaitForFunctionOptions { PollingInterval = 100 }, selector, text);
        await page.EvaluateFunctionAsync($"(s, t) => ({find})(s, t).click()", selector, text);
    }

    private static Task WaitForTextAsync(IPage page, string text) =>
        page.WaitForFunctionAsync("t => document.body && document.body.innerText.includes(t)", new WaitForFunctionOptions { PollingInterval = 250 }, text);

    /// <summary>Puts text into a form field the way typing does (an input event the page's bindings hear).</summary>
    private static async Task FillAsync(IPage page, string selector, string text)
    {
        await page.EvaluateFunctionAsync(
            "(s, t) => { const e = document.querySelector(s); e.focus(); e.value = t; e.dispatchEvent(new Event('input', { bubbles: true })); }",
            selector, text);
        Assert.Equal(text, await page.EvaluateFunctionAsync<string>("s => document.querySelector(s).value", selector));
    }

    /// <summary>Replaces the dialog's code editor (CodeMirror) content through its own view, then checks what it holds.</summary>
    private static async Task SetEditorTextAsync(IPage page, string scope, string text)
    {
        var editor = $"{scope} .cm-content";
        await page.WaitForSelectorAsync(editor);
        await page.EvaluateFunctionAsync(
            "(s, t) => { const v = document.querySelector(s).cmTile.root.view; v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: t } }); }",
            editor, text);
        var held = await page.EvaluateFunctionAsync<string>("s => document.querySelector(s).cmTile.root.view.state.doc.toString()", editor);
        Assert.Equal(text, held);
    }
}
