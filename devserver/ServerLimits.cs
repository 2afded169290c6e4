using System.Globalization;

namespace MaintenanceWorkflows.DevServer;

/// <summary>
/// The limits a Temporal server enforces and the SDK can observe, with Temporal's defaults. Set through
/// <c>--dynamic-config-value KEY=VALUE</c> with Temporal's key names (see <see cref="DynamicConfigKeys"/>).
/// </summary>
public sealed record ServerLimits
{
    /// <summary>Event count from which WorkflowTaskStarted suggests continue-as-new (limit.historyCount.suggestContinueAsNew).</summary>
    public long HistoryCountSuggestContinueAsNew { get; init; } = 4 * 1024;

    /// <summary>History bytes from which WorkflowTaskStarted suggests continue-as-new (limit.historySize.suggestContinueAsNew).</summary>
    public long HistorySizeSuggestContinueAsNew { get; init; } = 4 * 1024 * 1024;

    /// <summary>Event count at which the run is terminated (limit.historyCount.error).</summary>
    public long HistoryCountError { get; init; } = 51_200;

    /// <summary>History bytes at which the run is terminated (limit.historySize.error).</summary>
    public long HistorySizeError { get; init; } = 50 * 1024 * 1024;

    /// <summary>Largest single payload blob (an input, a result, details) accepted (limit.blobSize.error).</summary>
    public long BlobSizeError { get; init; } = 2 * 1024 * 1024;

    /// <summary>Blob size from which a warning is logged (limit.blobSize.warn).</summary>
    public long BlobSizeWarn { get; init; } = 512 * 1024;

    /// <summary>
    /// Signals one run may receive in all (history.maximumSignalsPerExecution); beyond it a signal is refused with
    /// RESOURCE_EXHAUSTED, so no flood of signals can push a run to the history limit. 0 turns the cap off.
    /// </summary>
    public long MaximumSignalsPerExecution { get; init; } = 10_000;

    /// <summary>Largest memo accepted (limit.memoSize.error).</summary>
    public long MemoSizeError { get; init; } = 2 * 1024 * 1024;

    /// <summary>
    /// Largest gRPC request message, measured after decompression (gRPC's default receive limit, which
    /// Temporal's frontend keeps). Not a dynamic config key.
    /// </summary>
    public int GrpcMaxMessageBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>
    /// History bytes the server keeps in memory with a durable store (--db): beyond it, the histories used least
    /// recently are dropped from memory and read back from the database when next needed. Not a dynamic config key
    /// (Temporal sizes its history cache per host); set with --history-cache-mb.
    /// </summary>
    public long HistoryCacheBytes { get; init; } = 128L * 1024 * 1024;

    /// <summary>Keys whose value the devserver applies.</summary>
    public static IReadOnlyList<string> DynamicConfigKeys { get; } =
    [
        "limit.historyCount.suggestContinueAsNew",
        "limit.historySize.suggestContinueAsNew",
        "limit.historyCount.error",
        "limit.historySize.error",
        "limit.blobSize.error",
        "limit.blobSize.warn",
        "limit.memoSize.error",
        "history.maximumSignalsPerExecution",
    ];

    /// <summary>
    /// Keys accepted and ignored because the devserver already behaves as the value asks (features that
    /// are always on, checks it never makes). The SDK's own environments pass some of them.
    /// </summary>
    public static IReadOnlyList<string> AcceptedWithoutEffectKeys { get; } =
    [
        "frontend.enableServerVersionCheck",
        "system.forceSearchAttributesCacheRefreshOnRead",
        "frontend.enableUpdateWorkflowExecution",
        "frontend.enableUpdateWorkflowExecutionAsyncAccepted",
        "frontend.enableExecuteMultiOperation",
        "frontend.workerVersioningDataAPIs",
        "frontend.workerVersioningWorkflowAPIs",
        "worker.buildIdScavengerEnabled",
    ];

    /// <summary>Applies one <c>KEY=VALUE</c>; an unknown key or a bad value is an <see cref="ArgumentException"/> naming both.</summary>
    public ServerLimits WithDynamicConfig(string keyValue)
    {
        ArgumentNullException.ThrowIfNull(keyValue);
        var equals = keyValue.IndexOf('=', StringComparison.Ordinal);
        if (equals <= 0)
        {
            throw new ArgumentException($"--dynamic-config-value '{keyValue}' is not KEY=VALUE (e.g. limit.blobSize.error=2097152)");
        }
        var key = keyValue[..equals].Trim();
        var value = keyValue[(equals + 1)..].Trim().Trim('"');
        if (AcceptedWithoutEffectKeys.Contains(key, StringComparer.Ordinal))
        {
            return this;
        }
        if (!DynamicConfigKeys.Contains(key, StringComparer.Ordinal))
        {
            throw new ArgumentException(
                $"--dynamic-config-value key '{key}' is not supported by the devserver; supported: {string.Join(", ", DynamicConfigKeys)} " +
                $"(accepted without effect: {string.Join(", ", AcceptedWithoutEffectKeys)})");
        }
        if (key == "history.maximumSignalsPerExecution")
        {
            // 0 is Temporal's "no cap".
            return long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var signals)
                ? this with { MaximumSignalsPerExecution = signals }
                : throw new ArgumentException($"--dynamic-config-value {key}: '{value}' is not a whole number (0 = no cap)");
        }
        if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number <= 0)
        {
            throw new ArgumentException($"--dynamic-config-value {key}: '{value}' is not a positive whole number");
        }
        return key switch
        {
            "limit.historyCount.suggestContinueAsNew" => this with { HistoryCountSuggestContinueAsNew = number },
            "limit.historySize.suggestContinueAsNew" => this with { HistorySizeSuggestContinueAsNew = number },
            "limit.historyCount.error" => this with { HistoryCountError = number },
            "limit.historySize.error" => this with { HistorySizeError = number },
            "limit.blobSize.error" => this with { BlobSizeError = number },
            "limit.blobSize.warn" => this with { BlobSizeWarn = number },
            _ => this with { MemoSizeError = number },
        };
    }
}
