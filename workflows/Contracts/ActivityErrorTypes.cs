namespace MaintenanceWorkflows.Workflows.Contracts;

/// <summary>
/// <c>ApplicationFailureException.ErrorType</c> values the activities raise, so workflows can tell a
/// bad plan from an outage. AWS errors keep AWS's own type (for example <c>ResourceNotFoundException</c>).
/// </summary>
public static class ActivityErrorTypes
{
    /// <summary>The activity input is invalid; the message names the field and the fix. Not retryable.</summary>
    public const string InvalidInput = "InvalidActivityInput";

    /// <summary>A named channel, command or target is not in the worker's configuration. Not retryable.</summary>
    public const string UnknownName = "UnknownConfiguredName";

    /// <summary>The Lambda alias was moved by someone else while the window ran. Not retryable.</summary>
    public const string AliasConflict = "AliasConflict";

    /// <summary>A remote API failed in a way a retry may fix (throttling, 5xx, timeout).</summary>
    public const string RemoteUnavailable = "RemoteUnavailable";

    /// <summary>A remote API refused the request (4xx other than throttling). Not retryable.</summary>
    public const string RemoteRejected = "RemoteRejected";

    /// <summary>A runbook command exceeded its configured timeout and was killed. Not retryable.</summary>
    public const string CommandTimedOut = "CommandTimedOut";

    /// <summary>A command that must not run twice was not re-run on a later attempt; a human must check the host. Not retryable.</summary>
    public const string CommandNotRerun = "CommandNotRerun";
}
