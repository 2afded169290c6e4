namespace MaintenanceWorkflows.Workflows.Contracts;

/// <summary>
/// Point an alias at a version (the plan's lambda.promote step, field for field). Either <paramref name="Version"/> is given, or
/// <paramref name="Publish"/> publishes the function's current code first (reusing a version this
/// window already published, so a retry after a crash never publishes twice).
/// </summary>
/// <param name="WindowId">Maintenance window id, written into version and alias descriptions as a marker.</param>
/// <param name="StepId">Step id in the plan, part of the marker.</param>
/// <param name="Function">Function name or ARN.</param>
/// <param name="Alias">Alias to move, for example "prod".</param>
/// <param name="Version">Published version to promote; null when <paramref name="Publish"/> is true.</param>
/// <param name="Publish">Publish $LATEST as a new version and promote that.</param>
/// <param name="RunId">
/// The window's run; with it the alias description records the whole pre-run state (version, weighted routing,
/// description) under a marker naming window, run and step, so the restore needs nothing but the alias.
/// </param>
public sealed record PromoteLambdaAliasInput(
    string WindowId,
    string StepId,
    string Function,
    string Alias,
    string? Version,
    bool Publish = false,
    string? RunId = null);

/// <summary>What the promotion did, including what its compensation needs to undo it.</summary>
/// <param name="FunctionName">Function name or ARN as given.</param>
/// <param name="Alias">Alias that was moved.</param>
/// <param name="PreviousVersion">Version the alias pointed at before this window moved it (restore target).</param>
/// <param name="NewVersion">Version the alias points at now.</param>
/// <param name="PublishedVersion">Version published by this step, or null when none was published.</param>
/// <param name="Changed">True when this step moved the alias (also on a retry that finds its own earlier move); false when the alias was already on the target before the window touched it.</param>
/// <param name="AliasRevisionId">Alias revision after the change.</param>
public sealed record PromoteLambdaAliasResult(
    string FunctionName,
    string Alias,
    string PreviousVersion,
    string NewVersion,
    string? PublishedVersion,
    bool Changed,
    string AliasRevisionId);

/// <summary>Compensation of a promotion: put the alias back on the version it had before.</summary>
/// <param name="WindowId">Maintenance window id (marker in the alias description).</param>
/// <param name="StepId">Step id whose promotion is undone.</param>
/// <param name="Function">Function name or ARN.</param>
/// <param name="Alias">Alias to restore.</param>
/// <param name="Version">
/// Version to restore when the alias carries no marker of this run (the promotion's
/// <see cref="PromoteLambdaAliasResult.PreviousVersion"/>); null when the promotion reported nothing (failed or
/// cancelled), then only the marker says what to restore, and without one there is nothing to undo.
/// </param>
/// <param name="ExpectedCurrentVersion">
/// Version the window left the alias on. When the alias is on neither this nor <paramref name="Version"/>,
/// someone else moved it and the restore refuses (non-retryable <see cref="ActivityErrorTypes.AliasConflict"/>).
/// Null skips that guard.
/// </param>
/// <param name="RunId">The run whose promotion is undone: its marker in the alias description holds the exact state to restore.</param>
public sealed record RestoreLambdaAliasInput(
    string WindowId,
    string StepId,
    string Function,
    string Alias,
    string? Version,
    string? ExpectedCurrentVersion,
    string? RunId = null);

/// <summary>What the restore did.</summary>
/// <param name="FunctionName">Function name or ARN as given.</param>
/// <param name="Alias">Alias that was restored.</param>
/// <param name="FromVersion">Version the alias pointed at before the restore.</param>
/// <param name="RestoredVersion">Version the alias points at now.</param>
/// <param name="Changed">False when the alias was already on the restored version.</param>
public sealed record RestoreLambdaAliasResult(
    string FunctionName,
    string Alias,
    string FromVersion,
    string RestoredVersion,
    bool Changed);
