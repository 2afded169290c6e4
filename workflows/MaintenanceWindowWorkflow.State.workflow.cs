using MaintenanceWorkflows.Workflows.Contracts;
using MaintenanceWorkflows.Workflows.Plans;
using Temporalio.Workflows;

namespace MaintenanceWorkflows.Workflows;

/// <summary>
/// The window's mutable state, in three records: <see cref="Progress"/> (where it is and what it waits
/// for), <see cref="Ledger"/> (what happened, for the report) and <see cref="Execution"/> (what the
/// steps changed and how to undo it).
/// </summary>
public partial class MaintenanceWindowWorkflow
{
    /// <summary>Who a Temporal cancellation request is recorded as.</summary>
    private const string TemporalCancellation = "Temporal";

    private static CancellationToken Never => CancellationToken.None;

    private string WindowId => MaintenanceWindowInput.WorkflowIdFor(plan.Id);

    private DateTimeOffset Now => new(Workflow.UtcNow, TimeSpan.Zero);

    private ApprovalStatus Approval => prepared is null
        ? new ApprovalStatus { Approved = false, Rejected = false, Approvals = 0, Required = 0, ApprovedBy = [], RejectedBy = [], MissingGates = [] }
        : WithRequesterConfirmation(ApprovalRules.Tally(schedule, ledger.Votes.Select(v => v.Vote).ToList()));

    /// <summary>
    /// An operator's Abort, the overrun policy, or a Temporal cancellation request (the UI's "Request
    /// Cancellation"): the cancellation is read here too, so no wait can miss it.
    /// </summary>
    private bool AbortRequested
    {
        get
        {
            if (progress.AbortReason is null && Workflow.CancellationToken.IsCancellationRequested)
            {
                RequestAbort(TemporalCancellation, "workflow cancellation was requested");
            }
            return progress.AbortReason is not null;
        }
    }

    private bool IsAcknowledged(string item) => ledger.Acknowledgements.Any(a => string.Equals(a.Item, item, StringComparison.OrdinalIgnoreCase));

    /// <summary>Where the window is, what it waits for, and the operators' steering (pause, abort, extensions).</summary>
    private sealed record Progress
    {
        public WindowPhase Phase { get; set; } = WindowPhase.Scheduled;

        public DateTimeOffset PhaseSince { get; set; }

        public DateTimeOffset WindowEnd { get; set; }

        public int ExtensionsUsed { get; set; }

        public Deadline? NextDeadline { get; set; }

        public string? WaitingFor { get; set; }

        public bool NoticeSent { get; set; }

        public int RemindersSent { get; set; }

        public bool ApprovalEscalated { get; set; }

        /// <summary>How many times this window continued as new to keep its history short.</summary>
        public int Continuations { get; set; }

        public bool Paused { get; set; }

        public string? AbortReason { get; set; }

        public string? AbortedBy { get; set; }
    }

    /// <summary>Everything the report lists, in the order it happened.</summary>
    private sealed record Ledger
    {
        public List<PhaseChange> Phases { get; } = [];

        public List<VoteRecord> Votes { get; } = [];

        /// <summary>The last <see cref="KeepLast"/> refusals; <see cref="RefusalCount"/> counts all of them.</summary>
        public List<RefusalRecord> Refusals { get; } = [];

        public int RefusalCount { get; set; }

        public List<AcknowledgementRecord> Acknowledgements { get; } = [];

        public List<CheckResult> PreChecks { get; } = [];

        /// <summary>The latest outcome of each check, pre or verify; automated checklist items show it.</summary>
        public List<CheckResult> LatestChecks { get; } = [];

        public List<StepRecord> Steps { get; } = [];

        public List<CompensationRecord> Compensations { get; } = [];

        public List<CheckResult> RollbackVerification { get; } = [];

        public List<NoticeRecord> Notices { get; } = [];

        /// <summary>The last <see cref="KeepLast"/> operator actions; <see cref="OperatorActionCount"/> counts all of them.</summary>
        public List<OperatorAction> OperatorActions { get; } = [];

        public int OperatorActionCount { get; set; }

        public VerificationSummary? Verification { get; set; }

        /// <summary>For a postponed window, the next start the policy allows.</summary>
        public DateTimeOffset? NextSlot { get; set; }

        public void Restore(WindowCarry carried)
        {
            Phases.AddRange(carried.Phases);
            Votes.AddRange(carried.Votes);
            Refusals.AddRange(carried.Refusals);
            RefusalCount = carried.RefusalCount;
            Acknowledgements.AddRange(carried.Acknowledgements);
            Notices.AddRange(carried.Notices);
            OperatorActions.AddRange(carried.OperatorActions);
            OperatorActionCount = carried.OperatorActionCount;
        }
    }

    /// <summary>The work phase: when it started, each step's state, and the compensations registered so far.</summary>
    private sealed record Execution(int StepCount)
    {
        /// <summary>Cancelled by an abort (or the overrun policy) to stop the running step or soak round.</summary>
        public CancellationTokenSource Cancellation { get; } = new();

        public DateTimeOffset? StartedAt { get; set; }

        public bool Started => StartedAt is not null;

        public StepState[] StepStates { get; } = Enumerable.Repeat(StepState.Pending, StepCount).ToArray();

        /// <summary>In registration order; undone newest first.</summary>
        public List<Compensation> Compensations { get; } = [];
    }

    /// <summary>
    /// A compensation registered before its step ran. A Lambda promotion is undone from the marker it left on
    /// the alias (<see cref="Promoted"/> is what it reported, if it did); an explicit rollback step can always be run.
    /// </summary>
    private sealed record Compensation(int StepIndex, string StepId, string Description)
    {
        public PromoteLambdaAliasResult? Promoted { get; set; }
    }

    /// <summary>How one compensation ended: undone, or still in place with why.</summary>
    private sealed record UndoOutcome(bool Undone, string Detail);

    /// <summary>How a stage ended: the next stage may run, or the window stops for <see cref="Reason"/>.</summary>
    private sealed record StageResult(bool Proceeds, string Reason)
    {
        public static StageResult Proceed { get; } = new(true, string.Empty);

        /// <summary>The stage says the window must not go on; the caller decides how it ends (postpone, roll back).</summary>
        public static StageResult Stop(string reason) => new(false, reason);

        /// <summary>The stage already ended the window (cancelled, rejected); the reason is its closing summary.</summary>
        public static StageResult Closed(string summary) => new(false, summary);
    }
}
