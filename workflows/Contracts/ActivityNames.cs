namespace MaintenanceWorkflows.Workflows.Contracts;

/// <summary>
/// Registered names of the activities in the activities project. The workflow project cannot reference
/// that project, so workflows call these by name with the input and result records in this folder.
/// </summary>
public static class ActivityNames
{
    /// <summary><see cref="PromoteLambdaAliasInput"/> -> <see cref="PromoteLambdaAliasResult"/>.</summary>
    public const string PromoteLambdaAlias = "PromoteLambdaAlias";

    /// <summary><see cref="RestoreLambdaAliasInput"/> -> <see cref="RestoreLambdaAliasResult"/>.</summary>
    public const string RestoreLambdaAlias = "RestoreLambdaAlias";

    /// <summary><see cref="HttpRequestInput"/> -> <see cref="HttpRequestResult"/>.</summary>
    public const string SendHttpRequest = "SendHttpRequest";

    /// <summary><see cref="RunCommandInput"/> -> <see cref="RunCommandResult"/>.</summary>
    public const string RunCommand = "RunCommand";

    /// <summary><see cref="RunChecksInput"/> -> <see cref="RunChecksResult"/>.</summary>
    public const string RunChecks = "RunChecks";

    /// <summary><see cref="SendNotificationInput"/> -> <see cref="SendNotificationResult"/>.</summary>
    public const string SendNotification = "SendNotification";

    /// <summary><see cref="Governance.PrepareWindowInput"/> -> <see cref="Governance.PreparedWindow"/>.</summary>
    public const string PrepareWindow = "PrepareWindow";

    /// <summary><see cref="Governance.FindNextSlotInput"/> -> <see cref="Governance.FindNextSlotResult"/>.</summary>
    public const string FindNextSlot = "FindNextSlot";

    /// <summary><see cref="Governance.VerifyProofInput"/> -> <see cref="Governance.ProofVerdict"/>.</summary>
    public const string VerifyProof = "VerifyApprovalProof";

    /// <summary><see cref="Governance.SendApprovalCodesInput"/> -> <see cref="Governance.SendApprovalCodesResult"/>.</summary>
    public const string SendApprovalCodes = "SendApprovalCodes";

    /// <summary><see cref="Rollout.ResolveFleetInput"/> -> <see cref="Rollout.ResolveFleetResult"/>.</summary>
    public const string ResolveFleet = "ResolveFleet";

    /// <summary><see cref="Rollout.ReadRolloutInput"/> -> <see cref="Rollout.ReadRolloutResult"/>.</summary>
    public const string ReadRollout = "ReadRollout";
}
