using System.Text.RegularExpressions;
using MaintenanceWorkflows.Sandbox.Email;

namespace MaintenanceWorkflows.Starter.Demo;

/// <summary>Reads a code out of the codes email the worker sends each approver, as the demo's approver does.</summary>
public static partial class ApprovalEmail
{
    /// <summary>The code on the line that names <paramref name="purpose"/> (approve, reject, extend-1), or null.</summary>
    public static string? Code(string body, string purpose)
    {
        ArgumentNullException.ThrowIfNull(body);
        return CodeLine().Matches(body).FirstOrDefault(m => m.Groups["purpose"].Value == purpose)?.Groups["code"].Value;
    }

    /// <summary>
    /// Waits until the sandbox inbox holds the codes email for <paramref name="windowId"/> sent to <paramref name="address"/>
    /// and returns the code for <paramref name="purpose"/>; gives up after <paramref name="timeout"/>.
    /// </summary>
    public static async Task<string> WaitForCodeAsync(LocalSesServer ses, string windowId, string address, string purpose, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(ses);
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnDelivered(LocalEmail _) => arrived.TrySetResult();
        ses.Delivered += OnDelivered;
        try
        {
            using var deadline = new CancellationTokenSource(timeout);
            while (true)
            {
                var code = ses.Sent
                    .Where(m => m.To.Contains(address, StringComparer.OrdinalIgnoreCase) && m.Subject.Contains(windowId, StringComparison.Ordinal))
                    .Select(m => Code(m.Text, purpose))
                    .LastOrDefault(c => c is not null);
                if (code is not null)
                {
                    return code;
                }
                try
                {
                    await arrived.Task.WaitAsync(deadline.Token);
                }
                catch (OperationCanceledException)
                {
                    throw new TimeoutException($"no {purpose} code for {windowId} reached {address} within {timeout.TotalSeconds:0} s");
                }
                arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
        finally
        {
            ses.Delivered -= OnDelivered;
        }
    }

    [GeneratedRegex(@"^\s+(?<purpose>\S+)\s+(?<code>[a-z0-9]{1,8}-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})\s*$", RegexOptions.Multiline)]
    private static partial Regex CodeLine();
}
