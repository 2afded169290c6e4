using MaintenanceWorkflows.Workflows.Plans;

namespace MaintenanceWorkflows.Workflows.Tests.Plans;

/// <summary>Each rule both ways: a plan that breaks it gets the code with a path and a fix; the compliant plan does not.</summary>
public class PlanValidatorTests
{
    private static readonly MaintenancePolicy Policy = TestFiles.Policy();

    // Lambda example: Tuesday 2027-02-09 02:00-02:30 PST (10:00Z), routine, requester ops-lead.
    private static readonly MaintenancePlan Lambda = TestFiles.Plan("lambda-v40-promotion.yaml");

    [Fact]
    public void Validate_CompliantPlan_HasNoViolationsOfAnyKind()
    {
        Assert.Empty(PlanValidator.Validate(Lambda, Policy, TestFiles.Now));
    }

    [Fact]
    public void Validate_ThreeHourSoakInATwoHourWindow_RefusedNamingTheFields()
    {
        var urgent = TestFiles.Plan("flask-security-patch.yaml");
        var plan = urgent with
        {
            Window = urgent.Window with { End = urgent.Window.Start + TimeSpan.FromHours(2) },
            Verification = new VerificationSettings { Soak = TimeSpan.FromHours(3), Interval = TimeSpan.FromMinutes(5) },
        };

        var violation = Single(plan, ViolationCodes.SoakDoesNotFit, plan.Window.Start.AddDays(-1));

        Assert.Equal("verification.soak", violation.Path);
        Assert.Contains("verification.soak: 3 h", violation.Message, StringComparison.Ordinal);
        Assert.Contains("window.start to window.end: 2 h", violation.Message, StringComparison.Ordinal);
        Assert.Contains("policy.overrun", violation.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_SoakAndStepTimeoutsFitWithTheAllowedExtension_Passes()
    {
        // 2 h window + the policy's one 30 min extension holds a 2 h soak and a 20 min step timeout.
        var plan = Lambda with
        {
            Window = Lambda.Window with { End = Lambda.Window.Start + TimeSpan.FromHours(2) },
            Verification = new VerificationSettings { Soak = TimeSpan.FromHours(2), Interval = TimeSpan.FromMinutes(5) },
            Steps = [Lambda.Steps[0] with { Timeout = TimeSpan.FromMinutes(20) }],
        };

        Assert.DoesNotContain(PlanValidator.Validate(plan, Policy, TestFiles.Now), v => v.Code == ViolationCodes.SoakDoesNotFit);
        var tooSlow = plan with { Steps = [Lambda.Steps[0] with { Timeout = TimeSpan.FromMinutes(40) }] };
        var violation = Single(tooSlow, ViolationCodes.SoakDoesNotFit, TestFiles.Now);
        Assert.Contains("steps[*].timeout", violation.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_RoutineNoticeTooShort_GivesEarliestLegalStart()
    {
        var now = new DateTimeOffset(2027, 2, 8, 12, 0, 0, TimeSpan.Zero); // 22 h before the start

        var violation = Single(Lambda, ViolationCodes.NoticeTooShort, now);

        Assert.Equal("window.start", violation.Path);
        Assert.Contains("24 h notice", violation.Message, StringComparison.Ordinal);
        Assert.Contains("starts in 22 h", violation.Message, StringComparison.Ordinal);
        // Next Tue/Thu slot at least 24 h away: Thursday 2027-02-11 02:00 PST.
        Assert.Contains("2027-02-11 10:00 UTC (2027-02-11 02:00 PST", violation.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_RoutineNoticeExactlyEnough_Passes()
    {
        var now = Lambda.Window.Start.AddHours(-24);

        Assert.DoesNotContain(PlanValidator.Validate(Lambda, Policy, now), v => v.Code == ViolationCodes.NoticeTooShort);
    }

    [Fact]
    public void Validate_UrgentFourHourNotice_BothWays()
    {
        var plan = TestFiles.Plan("flask-security-patch.yaml");

        Assert.DoesNotContain(PlanValidator.Validate(plan, Policy, plan.Window.Start.AddHours(-4)), v => v.Code == ViolationCodes.NoticeTooShort);
        var violation = Single(plan, ViolationCodes.NoticeTooShort, plan.Window.Start.AddHours(-3));
        Assert.Contains("4 h notice", violation.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_WindowInThePast_SaysSoAndSuggestsANewStart()
    {
        var now = Lambda.Window.Start.AddDays(3);

        var violation = Single(Lambda, ViolationCodes.WindowInPast, now);

        Assert.Contains("3 d before now", violation.Message, StringComparison.Ordinal);
        Assert.Contains("earliest legal start", violation.Fix, StringComparison.Ordinal);
        Assert.DoesNotContain(PlanValidator.Validate(Lambda, Policy, now), v => v.Code == ViolationCodes.NoticeTooShort);
    }

    [Fact]
    public void Validate_RoutineOnWednesday_IsOutsideCadence()
    {
        var plan = Lambda with { Window = TestFiles.Window("2027-02-10T10:00:00Z", TimeSpan.FromMinutes(30)) };

        var violation = Single(plan, ViolationCodes.OutsideCadence, TestFiles.Now);

        Assert.Contains("Tue/Thu 02:00-04:00 America/Los_Angeles", violation.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_RoutineRunningPastTheSlotEnd_IsOutsideCadence()
    {
        var plan = Lambda with { Window = TestFiles.Window("2027-02-09T11:30:00Z", TimeSpan.FromMinutes(45)) }; // 03:30-04:15 PST

        Single(plan, ViolationCodes.OutsideCadence, TestFiles.Now);
    }

    [Fact]
    public void Validate_UrgentOutsideCadence_IsAllowed()
    {
        var plan = TestFiles.Plan("flask-security-patch.yaml"); // Wednesday 10:00

        Assert.DoesNotContain(PlanValidator.Validate(plan, Policy, TestFiles.Now), v => v.Code == ViolationCodes.OutsideCadence);
    }

    [Fact]
    public void Validate_WindowInHolidayFreeze_IsRejectedWithOverrideHint()
    {
        var plan = Lambda with { Window = TestFiles.Window("2026-12-22T10:00:00Z", TimeSpan.FromMinutes(30)) }; // Tuesday in the freeze

        var violation = Single(plan, ViolationCodes.FreezeOverlap, new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));

        Assert.Contains("holiday-freeze-2026", violation.Message, StringComparison.Ordinal);
        Assert.Contains("freezeOverride", violation.Fix, StringComparison.Ordinal);
        Assert.Contains("T-JOSH", violation.Fix, StringComparison.Ordinal);
        // First Tue/Thu slot after the freeze ends (2027-01-04 09:00 PST): Tuesday 2027-01-05 02:00 PST.
        Assert.Contains("2027-01-05 10:00 UTC", violation.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_FreezeOverriddenByT_JOSH_PassesAndAddsAGate()
    {
        var plan = Lambda with
        {
            Window = TestFiles.Window("2026-12-22T10:00:00Z", TimeSpan.FromMinutes(30)),
            FreezeOverride = new FreezeOverride { Freeze = "holiday-freeze-2026", Approver = "T-JOSH", Reason = "security fix cannot wait" },
        };
        var now = new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

        Assert.False(PlanValidator.Validate(plan, Policy, now).HasErrors());
        Assert.Contains(ScheduleRules.Gates(plan, Policy), g => g.Id == "freeze-override:holiday-freeze-2026" && g.Approvers.SequenceEqual(["T-JOSH"]));
    }

    [Fact]
    public void Validate_FreezeOverrideByWrongApprover_IsRejected()
    {
        var plan = Lambda with
        {
            Window = TestFiles.Window("2026-12-22T10:00:00Z", TimeSpan.FromMinutes(30)),
            FreezeOverride = new FreezeOverride { Freeze = "holiday-freeze-2026", Approver = "sre-oncall", Reason = "x" },
        };

        var violations = PlanValidator.Validate(plan, Policy, new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));

        Assert.Contains(violations, v => v.Code == ViolationCodes.FreezeOverrideInvalid && v.Path == "freezeOverride.approver");
        Assert.Contains(violations, v => v.Code == ViolationCodes.FreezeOverlap);
    }

    [Fact]
    public void Validate_FreezeOverrideOfUnknownFreeze_SuggestsId()
    {
        var plan = Lambda with { FreezeOverride = new FreezeOverride { Freeze = "holiday-freeze-2025", Approver = "T-JOSH", Reason = "x" } };

        var violation = Single(plan, ViolationCodes.FreezeOverrideInvalid, TestFiles.Now);

        Assert.Contains("Did you mean 'holiday-freeze-2026'?", violation.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_EmergencyInFreeze_IsExempt()
    {
        var plan = TestFiles.Plan("emergency-proxy-fix.yaml", new DateTimeOffset(2026, 12, 24, 20, 0, 0, TimeSpan.Zero));

        Assert.DoesNotContain(PlanValidator.Validate(plan, Policy, new DateTimeOffset(2026, 12, 24, 20, 0, 0, TimeSpan.Zero)), v => v.Code == ViolationCodes.FreezeOverlap);
    }

    [Fact]
    public void Validate_UrgentDuringNightlyBackup_IsBlackoutOverlap()
    {
        var plan = TestFiles.Plan("flask-security-patch.yaml") with { Window = TestFiles.Window("2027-02-03T09:00:00Z", TimeSpan.FromHours(1)) }; // 01:00-02:00 PST

        var violation = Single(plan, ViolationCodes.BlackoutOverlap, TestFiles.Now);

        Assert.Contains("pbs-nightly-backup", violation.Message, StringComparison.Ordinal);
        Assert.Contains("2027-02-03 08:00 UTC", violation.Message, StringComparison.Ordinal); // backup 00:00 PST
        Assert.Contains("2027-02-03 09:30 UTC", violation.Message, StringComparison.Ordinal); // until 01:30 PST
    }

    [Fact]
    public void Validate_BlackoutScopedToSystems_OnlyHitsPlansTouchingThem()
    {
        // 04:15-04:45 PST provisioning reconcile touches the Proxmox host but not the Flask services.
        var window = TestFiles.Window("2027-02-03T12:00:00Z", TimeSpan.FromHours(1));
        var flask = TestFiles.Plan("flask-security-patch.yaml") with { Window = window };
        var proxmox = TestFiles.Plan("proxmox-host-patch.yaml") with { Type = MaintenanceType.Urgent, Window = window };

        Assert.DoesNotContain(PlanValidator.Validate(flask, Policy, TestFiles.Now), v => v.Code == ViolationCodes.BlackoutOverlap);
        Assert.Contains(PlanValidator.Validate(proxmox, Policy, TestFiles.Now), v => v.Code == ViolationCodes.BlackoutOverlap && v.Message.Contains("provisioning-reconcile", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_MonthlyBillingRunInUtc_BlocksTheFirstOfTheMonth()
    {
        // Billing: 1st of the month 00:00-03:00 UTC = 16:00-19:00 PST on the last day of the previous month.
        var plan = TestFiles.Plan("flask-security-patch.yaml") with { Window = TestFiles.Window("2027-03-01T01:00:00Z", TimeSpan.FromHours(1)) };

        var violation = Single(plan, ViolationCodes.BlackoutOverlap, TestFiles.Now);

        Assert.Contains("billing-run", violation.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_EmergencyOverlappingBlackout_IsOnlyAWarning()
    {
        var now = new DateTimeOffset(2027, 2, 3, 8, 30, 0, TimeSpan.Zero); // 00:30 PST, during the nightly backup
        var plan = TestFiles.Plan("emergency-proxy-fix.yaml", now);

        var violations = PlanValidator.Validate(plan, Policy, now);

        Assert.False(violations.HasErrors(), string.Join("\n", violations));
        Assert.Contains(violations, v => v.Code == ViolationCodes.BlackoutOverlap && v.Severity == ViolationSeverity.Warning);
    }

    [Fact]
    public void Validate_StateChangingStepWithoutRollback_IsRejectedWithFix()
    {
        var plan = Lambda with
        {
            Steps = [.. Lambda.Steps, new CommandStep { Id = "migrate", Title = "Migrate", Command = "flask-db-upgrade" }],
        };

        var violation = Single(plan, ViolationCodes.StepWithoutRollback, TestFiles.Now);

        Assert.Equal("steps[1].rollback", violation.Path);
        Assert.Contains("'migrate'", violation.Message, StringComparison.Ordinal);
        Assert.Contains("rollback:", violation.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_StepsWithRollbackOrNoStateChange_Pass()
    {
        var plan = Lambda with
        {
            Steps =
            [
                .. Lambda.Steps,
                new CommandStep { Id = "migrate", Title = "Migrate", Command = "flask-db-upgrade", Rollback = new CommandStep { Id = "down", Title = "Down", Command = "flask-db-downgrade" } },
                new CommandStep { Id = "backup", Title = "Backup", Command = "pg-backup", Mutates = false },
                new HttpRequestStep { Id = "probe", Title = "Probe", Method = "GET", Url = "https://example.com/" },
                new WaitStep { Id = "pause", Title = "Pause", Duration = TimeSpan.FromMinutes(1) },
                new ManualStep { Id = "ack", Title = "Ack", Instructions = "Look at the dashboard" },
            ],
        };

        Assert.DoesNotContain(PlanValidator.Validate(plan, Policy, TestFiles.Now), v => v.Code == ViolationCodes.StepWithoutRollback);
    }

    [Fact]
    public void Validate_HttpPostWithoutRollback_IsRejected()
    {
        var plan = Lambda with { Steps = [new HttpRequestStep { Id = "flip", Title = "Flip flag", Method = "POST", Url = "https://example.com/flags" }] };

        var violation = Single(plan, ViolationCodes.StepWithoutRollback, TestFiles.Now);

        Assert.Contains("POST", violation.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_PromotionToLatest_IsRejected()
    {
        var plan = Lambda with { Steps = [new LambdaPromoteStep { Id = "p", Title = "p", Function = "f", Alias = "prod", Version = "$LATEST" }] };

        Assert.Contains(PlanValidator.Validate(plan, Policy, TestFiles.Now), v => v.Path == "steps[0].version" && v.Message.Contains("$LATEST", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_EndBeforeStart_IsRejected()
    {
        var plan = Lambda with { Window = Lambda.Window with { End = Lambda.Window.Start.AddMinutes(-5) } };

        var violation = Single(plan, ViolationCodes.WindowEndBeforeStart, TestFiles.Now);

        Assert.Equal("window.end", violation.Path);
    }

    [Fact]
    public void Validate_WindowLongerThanTypeAllows_IsRejected()
    {
        var plan = Lambda with { Window = TestFiles.Window("2027-02-09T10:00:00Z", TimeSpan.FromHours(3)) };

        var violations = PlanValidator.Validate(plan, Policy, TestFiles.Now);

        Assert.Contains(violations, v => v.Code == ViolationCodes.WindowTooLong && v.Message.Contains("at most 2 h", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_RequesterIsTheOnlyApprover_TooFewEligible()
    {
        var policy = Policy with { Approvals = Policy.Approvals with { Approvers = [new Approver { Id = "ops-lead" }], Gates = [] } };

        var violation = Single(Lambda, ViolationCodes.TooFewApprovers, TestFiles.Now, policy);

        Assert.Contains("ops-lead' may not approve their own window", violation.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_RequesterMayApproveWhenPolicyAllows_Passes()
    {
        var policy = Policy with { Approvals = Policy.Approvals with { Approvers = [new Approver { Id = "ops-lead" }], Gates = [], RequesterMayApprove = true } };

        Assert.DoesNotContain(PlanValidator.Validate(Lambda, policy, TestFiles.Now), v => v.Code == ViolationCodes.TooFewApprovers);
    }

    [Fact]
    public void Validate_TJoshRequestsAnAliasPromotion_GateCannotBeSatisfied()
    {
        var plan = Lambda with { Requester = "T-JOSH" };

        var violation = Single(plan, ViolationCodes.GateUnsatisfiable, TestFiles.Now);

        Assert.Contains("t-josh-lambda-promotion", violation.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_ChecklistReferencesUnknownCheck_SuggestsTheClosest()
    {
        var plan = Lambda with { Checklist = [new ChecklistItem { Id = "x", Text = "x", Phase = ChecklistPhase.After, Check = "smoke-invok" }] };

        var violation = Single(plan, ViolationCodes.UnknownCheck, TestFiles.Now);

        Assert.Equal("checklist[0].check", violation.Path);
        Assert.Contains("Did you mean 'smoke-invoke'?", violation.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_BeforeItemOnVerifyOnlyCheck_IsRejected()
    {
        var plan = Lambda with { Checklist = [new ChecklistItem { Id = "x", Text = "x", Phase = ChecklistPhase.Before, Check = "smoke-invoke" }] };

        Assert.Contains(PlanValidator.Validate(plan, Policy, TestFiles.Now), v => v.Path == "checklist[0].check" && v.Message.Contains("only runs during verification", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_DuplicateIds_AreRejectedPerKind()
    {
        var plan = Lambda with
        {
            Checks = [.. Lambda.Checks, Lambda.Checks[0]],
            Steps = [.. Lambda.Steps, new WaitStep { Id = "promote-prod", Title = "again", Duration = TimeSpan.FromMinutes(1) }],
        };

        var violations = PlanValidator.Validate(plan, Policy, TestFiles.Now).Where(v => v.Code == ViolationCodes.DuplicateId).ToList();

        Assert.Contains(violations, v => v.Message.Contains("check id 'alias-parity-before'", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.Message.Contains("step id 'promote-prod'", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_EmergencyWithoutIncident_IsRejected()
    {
        var now = TestFiles.Now;
        var plan = TestFiles.Plan("emergency-proxy-fix.yaml", now) with { Incident = null };

        Single(plan, ViolationCodes.IncidentRequired, now);
    }

    [Fact]
    public void Validate_UnknownIncidentLevel_ListsLevels()
    {
        var now = TestFiles.Now;
        var plan = TestFiles.Plan("emergency-proxy-fix.yaml", now) with { Incident = new IncidentReference { Level = "P0" } };

        var violation = Single(plan, ViolationCodes.UnknownIncidentLevel, now);

        Assert.Contains("P1, P2, P3, P4", violation.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_HostPatchWithoutDeclaredDowntime_IsRejected()
    {
        var plan = TestFiles.Plan("proxmox-host-patch.yaml");
        var hidden = plan with { Impact = plan.Impact with { Downtime = false } };

        Assert.False(PlanValidator.Validate(plan, Policy, TestFiles.Now).HasErrors());
        Single(hidden, ViolationCodes.DowntimeUndeclared, TestFiles.Now);
    }

    [Fact]
    public void Validate_SystemOwnedByAnotherTeam_IsRejected()
    {
        var plan = Lambda with { Systems = [new AffectedSystem { Name = "Proxmox VE host", Team = "platform" }] };

        var violation = Single(plan, ViolationCodes.OwnerMismatch, TestFiles.Now);

        Assert.Contains("'infrastructure' patches Proxmox VE host", violation.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_UnknownChannel_IsRejected()
    {
        var plan = Lambda with { Notify = Lambda.Notify with { Channels = ["slack-team-opz"] } };

        var violation = Single(plan, ViolationCodes.UnknownChannel, TestFiles.Now);

        Assert.Contains("Did you mean 'slack-team-ops'?", violation.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_EmailQuotaAmberNotBelowRed_IsRejected()
    {
        var plan = Lambda with { Checks = [new EmailQuotaCheck { Id = "q", Title = "q", AmberAt = 200, RedAt = 160 }] };

        Single(plan, ViolationCodes.EmailQuotaThresholds, TestFiles.Now);
    }

    [Fact]
    public void Validate_CheckWithBothUrlAndTarget_IsRejected()
    {
        var plan = Lambda with { Checks = [.. Lambda.Checks, new HttpStatusCheck { Id = "both", Title = "both", Url = "https://x.example/", Target = "beak-api" }] };

        Single(plan, ViolationCodes.CheckLocation, TestFiles.Now);
    }

    [Fact]
    public void Validate_NoBlockingVerifyCheck_WarnsThatNothingCanTriggerRollback()
    {
        var plan = Lambda with { Checks = Lambda.Checks.Where(c => !c.RunsVerify).ToList(), Checklist = [] };

        var violation = Single(plan, ViolationCodes.NoVerifyChecks, TestFiles.Now);

        Assert.Equal(ViolationSeverity.Warning, violation.Severity);
    }

    [Fact]
    public void Validate_ApprovalDeadlineAlreadyPassed_IsRejected()
    {
        // Approvals due 6 h before an urgent start, which needs only 4 h notice: scheduling 5 h ahead misses the deadline.
        var policy = Policy with { Types = Policy.Types with { Urgent = Policy.Types.Urgent with { Approval = Policy.Types.Urgent.Approval with { DeadlineBeforeStart = TimeSpan.FromHours(6) } } } };
        var plan = TestFiles.Plan("flask-security-patch.yaml");

        var violation = Single(plan, ViolationCodes.ApprovalDeadlinePassed, plan.Window.Start.AddHours(-5), policy);

        Assert.Contains("already passed", violation.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_ManyProblems_AllReportedAtOnce()
    {
        var plan = Lambda with
        {
            Requester = "T-JOSH",
            Window = TestFiles.Window("2027-02-10T10:00:00Z", TimeSpan.FromMinutes(30)),
            Steps = [.. Lambda.Steps, new CommandStep { Id = "migrate", Title = "Migrate", Command = "flask-db-upgrade" }],
            Checklist = [new ChecklistItem { Id = "x", Text = "x", Phase = ChecklistPhase.After, Check = "nope" }],
        };

        var codes = PlanValidator.Validate(plan, Policy, TestFiles.Now).Select(v => v.Code).ToHashSet();

        Assert.Superset(new HashSet<string> { ViolationCodes.OutsideCadence, ViolationCodes.StepWithoutRollback, ViolationCodes.UnknownCheck, ViolationCodes.GateUnsatisfiable }, codes);
    }

    [Fact]
    public void ValidatePolicy_InconsistentPolicy_ListsEveryProblem()
    {
        var policy = Policy with
        {
            TimeZone = "Pacific/Nowhere",
            Types = Policy.Types with { Routine = Policy.Types.Routine with { Channels = ["status-pag"] } },
            Approvals = Policy.Approvals with { Gates = [new ApprovalGate { Id = "g", StepType = "lambda.promot", Approvers = ["T-JOHN"] }] },
        };

        var violations = PolicyRules.Validate(policy);

        Assert.Contains(violations, v => v.Code == ViolationCodes.UnknownTimeZone && v.Path == "policy.timeZone");
        Assert.Contains(violations, v => v.Code == ViolationCodes.UnknownChannel && v.Message.Contains("Did you mean 'status-page'?", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.Path == "policy.approvals.gates[0].stepType" && v.Message.Contains("lambda.promote", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.Code == ViolationCodes.UnknownApprover && v.Message.Contains("Did you mean 'T-JOSH'?", StringComparison.Ordinal));
    }

    private static PlanViolation Single(MaintenancePlan plan, string code, DateTimeOffset now, MaintenancePolicy? policy = null)
    {
        var violations = PlanValidator.Validate(plan, policy ?? Policy, now);
        var matching = violations.Where(v => v.Code == code).ToList();
        Assert.True(matching.Count == 1, $"expected one {code}, got:{Environment.NewLine}{string.Join(Environment.NewLine, violations)}");
        Assert.False(string.IsNullOrWhiteSpace(matching[0].Fix));
        return matching[0];
    }
}
