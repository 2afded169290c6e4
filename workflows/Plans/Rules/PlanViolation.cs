using System.Text.Json.Serialization;

namespace MaintenanceWorkflows.Workflows.Plans;

[JsonConverter(typeof(JsonStringEnumConverter<ViolationSeverity>))]
public enum ViolationSeverity
{
    Error,
    Warning,
}

/// <summary>One broken rule: a stable code, the field path (e.g. steps[2].rollback), the reason and the fix.</summary>
public sealed record PlanViolation
{
    public required string Code { get; init; }

    public required string Path { get; init; }

    public required string Message { get; init; }

    public required string Fix { get; init; }

    public ViolationSeverity Severity { get; init; } = ViolationSeverity.Error;

    public override string ToString() =>
        $"{(Severity == ViolationSeverity.Warning ? "warning" : "error")} [{Code}] {Path}: {Message} Fix: {Fix}";
}

/// <summary>Stable violation codes, for tests and for tools that filter.</summary>
public static class ViolationCodes
{
    public const string WindowEndBeforeStart = "window.end-before-start";
    public const string WindowInPast = "window.in-past";
    public const string WindowTooLong = "window.too-long";
    public const string UnknownTimeZone = "timezone.unknown";
    public const string NoticeTooShort = "notice.too-short";
    public const string OutsideCadence = "cadence.outside";
    public const string FreezeOverlap = "freeze.overlap";
    public const string FreezeOverrideInvalid = "freeze.override-invalid";
    public const string BlackoutOverlap = "blackout.overlap";
    public const string StepWithoutRollback = "step.no-rollback";
    public const string RollbackNested = "step.rollback-nested";
    public const string NoSteps = "steps.empty";
    public const string DuplicateId = "id.duplicate";
    public const string InvalidId = "id.invalid";
    public const string UnknownCheck = "checklist.unknown-check";
    public const string CheckLocation = "check.location";
    public const string EmailQuotaThresholds = "check.email-quota-thresholds";
    public const string NoVerifyChecks = "checks.no-verify";
    public const string InvalidValue = "value.invalid";
    public const string TooFewApprovers = "approvals.too-few-eligible";
    public const string GateUnsatisfiable = "approvals.gate-unsatisfiable";
    public const string UnknownApprover = "approvals.unknown-approver";
    public const string ApprovalDeadlinePassed = "approvals.deadline-passed";
    public const string EscalationAfterDeadline = "approvals.escalation-after-deadline";
    public const string UnknownChannel = "channel.unknown";
    public const string NoChannels = "channel.none";
    public const string IncidentRequired = "incident.required";
    public const string UnknownIncidentLevel = "incident.unknown-level";
    public const string OwnerMismatch = "ownership.team-mismatch";
    public const string DowntimeUndeclared = "impact.downtime-undeclared";
    public const string VerificationInterval = "verification.interval";
    public const string SoakDoesNotFit = "verification.soak-does-not-fit";
}
