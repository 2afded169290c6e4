using MaintenanceWorkflows.Activities.Notifications;
using MaintenanceWorkflows.Activities.Tests.Support;
using MaintenanceWorkflows.Workflows.Plans;

namespace MaintenanceWorkflows.Activities.Tests.Notifications;

public sealed class NoticeRendererTests : IDisposable
{
    private static readonly Lazy<NoticeRenderer> Embedded = new(() => NoticeRenderer.Load());
    private static readonly MaintenancePolicy Policy = PlanYaml.LoadPolicyFile(Example("policy.yaml"));
    private static readonly DateTimeOffset Now = new(2027, 2, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly string overrides = Directory.CreateTempSubdirectory("notice-templates-").FullName;

    public void Dispose() => Directory.Delete(overrides, recursive: true);

    public static TheoryData<string, NoticeKind> EveryExampleAndKind()
    {
        var data = new TheoryData<string, NoticeKind>();
        foreach (var file in Directory.GetFiles(Path.Combine(RepoPaths.Root, "examples"), "*.yaml").Where(f => Path.GetFileName(f) != "policy.yaml").Order(StringComparer.Ordinal))
        {
            foreach (var kind in Enum.GetValues<NoticeKind>())
            {
                data.Add(Path.GetFileName(file), kind);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(EveryExampleAndKind))]
    public void Render_EveryExampleAndKind_ProducesEveryFlavour(string file, NoticeKind kind)
    {
        var plan = PlanYaml.LoadPlanFile(Example(file), Now);

        var notice = Embedded.Value.Render(kind, NoticeModel.Create(plan, Policy, kind, new NoticeFacts { At = Now, Reason = "because" }));

        Assert.Contains(plan.Title, notice.Subject, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', notice.Subject);
        Assert.Contains(plan.Title, notice.Text, StringComparison.Ordinal);
        Assert.Contains(plan.Title, notice.Short, StringComparison.Ordinal);
        Assert.StartsWith("<!DOCTYPE html>", notice.Html, StringComparison.Ordinal);
        Assert.DoesNotContain("\n\n\n", notice.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_PreMaintenanceForTheFlaskPatch_CarriesTheStakeholderTemplateFields()
    {
        var plan = PlanYaml.LoadPlanFile(Example("flask-security-patch.yaml"), Now);

        var text = Embedded.Value.Render(NoticeKind.PreMaintenance, NoticeModel.Create(plan, Policy, NoticeKind.PreMaintenance)).Text;

        string[] expected =
        [
            "Maintenance ID: flask-security-patch-2027-02",
            "Scheduled date: Wednesday 3 February 2027",
            "Window: 2027-02-03 18:00 UTC to 2027-02-03 19:30 UTC",
            "10:00-11:30 PST (America/Los_Angeles)",
            "Duration: ~1 h 30 min",
            "Priority: High",
            "Maintenance type: Urgent",
            "Scope: Security updates for the Flask application",
            "Affected systems:",
            "• PostgreSQL database cluster (owner: data)",
            "Secondary systems:",
            "Security updates:",
            "Database operations:",
            "• API endpoints: Degraded",
            "• Web interface: Degraded",
            "• Background processes: Paused",
            "• Brief service interruptions: Up to 30 seconds",
            "User actions required:",
            "Rollback plan (estimated rollback time: 20 min):",
            "• Service availability below 99.5%",
            "• Error rate above 2%",
            "• Response time above 1,500 ms (p95)",
            "• Critical security incident during maintenance",
            "Before maintenance:",
            "□ Verify backup procedures for essential data",
            "During maintenance:",
            "After maintenance:",
            "• Status page: https://spaceduck.bot/mission-control.html",
            "• Dashboard: https://console.aws.amazon.com/cloudwatch/home#dashboards:name=flask-app",
            "• Chat channel: #maintenance-updates",
            "• Primary contact: Dana Ortiz (dana.ortiz@spaceduck.bot)",
            "• Secondary contact: Sam Lee (sam.lee@spaceduck.bot)",
            "• Emergency contact: On-call SRE (+1-555-0100)",
            "• Technical support: support@spaceduck.bot, +1-555-0101",
            "• On-call engineer: sre-oncall (pager)",
            "• Emergency hotline: +1-555-0199",
            "• Issues are escalated to engineering management after 30 min",
            "• Critical issues notify the CTO immediately",
            "• Post-maintenance review within 24 h",
            "• Database Administrator: Priya Natarajan",
            "• Quality Assurance: Lena Vogel",
            "• Business continuity planning: https://docs.spaceduck.bot/bcp",
            "— Duck Galaxy Ops, Technical Operations Team, Duck Galaxy",
        ];
        Assert.All(expected, line => Assert.Contains(line, text, StringComparison.Ordinal));
    }

    [Fact]
    public void Render_PreMaintenanceForTheLambdaPromotion_CarriesTheCalendarTemplateFields()
    {
        var plan = PlanYaml.LoadPlanFile(Example("lambda-v40-promotion.yaml"), Now);

        var notice = Embedded.Value.Render(NoticeKind.PreMaintenance, NoticeModel.Create(plan, Policy, NoticeKind.PreMaintenance));

        Assert.StartsWith("🔧 MAINTENANCE NOTICE — Duck Galaxy", notice.Text, StringComparison.Ordinal);
        Assert.Contains("Window: 2027-02-09 10:00 UTC to 2027-02-09 10:30 UTC", notice.Text, StringComparison.Ordinal);
        Assert.Contains("• API may be briefly unavailable (<30s) during alias swap", notice.Text, StringComparison.Ordinal);
        Assert.Contains("• All data is safe - no schema changes", notice.Text, StringComparison.Ordinal);
        Assert.Contains("Questions: ops@spaceduck.bot", notice.Text, StringComparison.Ordinal);
        Assert.Contains("2027-02-09 02:00 PST", notice.Subject, StringComparison.Ordinal);
        Assert.Contains("&lt;30s", notice.Html, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_PreMaintenanceShort_FollowsTheStatusPageTemplate()
    {
        var plan = PlanYaml.LoadPlanFile(Example("lambda-v40-promotion.yaml"), Now);

        var lines = Embedded.Value.Render(NoticeKind.PreMaintenance, NoticeModel.Create(plan, Policy, NoticeKind.PreMaintenance)).Short.Split('\n');

        Assert.Equal("## Scheduled Maintenance — Lambda prod alias promotion - v40 deploy", lines[0]);
        Assert.Contains("**When**: Tuesday 9 February 2027 02:00-02:30 PST (2027-02-09 10:00 UTC to 2027-02-09 10:30 UTC)", lines);
        Assert.Contains("**Duration**: ~30 min", lines);
        Assert.Contains(lines, l => l.StartsWith("**Impact**: ~5-15 s of potential cold-start latency", StringComparison.Ordinal));
        Assert.Contains("**Reason**: Ship the v40 feature batch.", lines);
        Assert.Contains(lines, l => l.StartsWith("We'll update this page when complete.", StringComparison.Ordinal));
    }

    [Fact]
    public void Render_Completion_ListsVerificationResultsDurationAndAuditTrail()
    {
        var plan = PlanYaml.LoadPlanFile(Example("lambda-v40-promotion.yaml"), Now);
        var facts = new NoticeFacts
        {
            CompletedAt = new DateTimeOffset(2027, 2, 9, 10, 8, 0, TimeSpan.Zero),
            Duration = TimeSpan.FromMinutes(8),
            Verification =
            [
                new VerificationLine { Name = "Lambda alias parity", Passed = true },
                new VerificationLine { Name = "Route health", Passed = true, Detail = "All routes responding" },
                new VerificationLine { Name = "Cert pipeline", Passed = false, Detail = "2 stuck issuances" },
            ],
        };

        var notice = Embedded.Value.Render(NoticeKind.Completion, NoticeModel.Create(plan, Policy, NoticeKind.Completion, facts));

        Assert.Contains("Completed: 2027-02-09 10:08 UTC (2027-02-09 02:08 PST)", notice.Text, StringComparison.Ordinal);
        Assert.Contains("Duration: 8 minutes", notice.Text, StringComparison.Ordinal);
        Assert.Contains("• Lambda beak-api v40 (feature batch) behind the prod alias", notice.Text, StringComparison.Ordinal);
        Assert.Contains("• Lambda alias parity: ✅ Verified", notice.Text, StringComparison.Ordinal);
        Assert.Contains("• Route health: ✅ Verified (All routes responding)", notice.Text, StringComparison.Ordinal);
        Assert.Contains("• Cert pipeline: ❌ FAILED (2 stuck issuances)", notice.Text, StringComparison.Ordinal);
        Assert.Contains("Full audit trail: https://spaceduck.bot/governance-log.html", notice.Text, StringComparison.Ordinal);
        Assert.Contains("Some post-deploy checks need attention", notice.Short, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_Rollback_ListsWhatWasAndWasNotUndone()
    {
        var plan = PlanYaml.LoadPlanFile(Example("flask-security-patch.yaml"), Now);
        var facts = new NoticeFacts { Reason = "error rate 4.2% above 2%", RolledBack = ["Roll the ECS service back"], NotUndone = ["Flask-Migrate downgrade"] };

        var notice = Embedded.Value.Render(NoticeKind.Rollback, NoticeModel.Create(plan, Policy, NoticeKind.Rollback, facts));

        Assert.Contains("rolled back: error rate 4.2% above 2%", notice.Text, StringComparison.Ordinal);
        Assert.Contains("Could NOT be undone (needs a human):\n• Flask-Migrate downgrade", notice.Text, StringComparison.Ordinal);
        Assert.Contains("Not undone: Flask-Migrate downgrade", notice.Short, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_ApprovalRequest_NamesGateDeadlineAndWorkflow()
    {
        var plan = PlanYaml.LoadPlanFile(Example("lambda-v40-promotion.yaml"), Now);
        var schedule = ScheduleRules.Derive(plan, Policy, Now);

        var notice = Embedded.Value.Render(NoticeKind.ApprovalRequest, NoticeModel.Create(plan, Policy, NoticeKind.ApprovalRequest, new NoticeFacts(), schedule));

        Assert.Contains("Workflow id: maint-lambda-v40-promotion", notice.Text, StringComparison.Ordinal);
        Assert.Contains("Gate: t-josh-lambda-promotion: T-JOSH", notice.Text, StringComparison.Ordinal);
        Assert.Contains("Deadline: 2027-02-09 09:00 UTC (2027-02-09 01:00 PST)", notice.Text, StringComparison.Ordinal);
        Assert.Contains("• Point the prod alias at v40 [lambda.promote] — rollback: restore the previous alias version", notice.Text, StringComparison.Ordinal);
        Assert.Contains("Approval needed by 2027-02-09 09:00 UTC", notice.Subject, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_EmergencyNotice_ShowsIncidentLevelFromPolicy()
    {
        var plan = PlanYaml.LoadPlanFile(Example("emergency-proxy-fix.yaml"), Now);

        var text = Embedded.Value.Render(NoticeKind.PreMaintenance, NoticeModel.Create(plan, Policy, NoticeKind.PreMaintenance)).Text;

        Assert.Contains("Incident: P1 INC-2027-003 (Service down, data loss risk; response 15 min; Immediate page)", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_ExtendedAndPostponed_ShowNewTimes()
    {
        var plan = PlanYaml.LoadPlanFile(Example("proxmox-host-patch.yaml"), Now);
        var newEnd = plan.Window.End.AddMinutes(30);

        var extended = Embedded.Value.Render(NoticeKind.Extended, NoticeModel.Create(plan, Policy, NoticeKind.Extended, new NoticeFacts { NewEnd = newEnd, Reason = "guests slow to start" }));
        var postponed = Embedded.Value.Render(NoticeKind.Postponed, NoticeModel.Create(plan, Policy, NoticeKind.Postponed, new NoticeFacts { Reason = "backup not verified" }));

        Assert.Contains("New expected end: 2027-02-11 12:15 UTC (2027-02-11 04:15 PST)", extended.Text, StringComparison.Ordinal);
        Assert.Contains("postponed: backup not verified", postponed.Text, StringComparison.Ordinal);
        Assert.Contains("Nothing was changed.", postponed.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_OverrideUsingUnknownField_FailsAtLoadNamingTheTemplateAndField()
    {
        File.WriteAllText(Path.Combine(overrides, "completion.subject.sbn"), "Done: {{ plan.titel }}");

        var e = Assert.Throws<NoticeTemplateException>(() => NoticeRenderer.Load(overrides));

        Assert.Contains(e.Problems, p => p.Contains("completion", StringComparison.Ordinal) && p.Contains("titel", StringComparison.Ordinal));
    }

    [Fact]
    public void Load_OverrideUsingUnknownVariableOnlyInARareBranch_FailsAtLoad()
    {
        File.WriteAllText(Path.Combine(overrides, "rollback.short.sbn"), "{{ if facts.not_undone.size > 0 }}{{ facts.leftovers }}{{ else }}ok{{ end }}");

        var e = Assert.Throws<NoticeTemplateException>(() => NoticeRenderer.Load(overrides));

        Assert.Contains(e.Problems, p => p.Contains("leftovers", StringComparison.Ordinal));
    }

    [Fact]
    public void Load_OverrideWithSyntaxError_FailsWithPosition()
    {
        var file = Path.Combine(overrides, "reminder.short.sbn");
        File.WriteAllText(file, "Reminder {{ if plan.title }}never closed");

        var e = Assert.Throws<NoticeTemplateException>(() => NoticeRenderer.Load(overrides));

        Assert.Contains(e.Problems, p => p.Contains(file, StringComparison.Ordinal));
    }

    [Fact]
    public void Load_OverrideWithUnknownName_IsRejected()
    {
        File.WriteAllText(Path.Combine(overrides, "completed.subject.sbn"), "x");

        var e = Assert.Throws<NoticeTemplateException>(() => NoticeRenderer.Load(overrides));

        Assert.Contains(e.Problems, p => p.Contains("no template is called 'completed.subject'", StringComparison.Ordinal));
    }

    [Fact]
    public void Load_MissingOverrideDirectory_IsRejected()
    {
        Assert.Throws<NoticeTemplateException>(() => NoticeRenderer.Load(Path.Combine(overrides, "nope")));
    }

    [Fact]
    public void Load_ValidOverride_ReplacesOnlyThatTemplate()
    {
        File.WriteAllText(Path.Combine(overrides, "completion.subject.sbn"), "[{{ org.name }}] done: {{ plan.title }} in {{ facts.duration_minutes ?? 0 }} min");
        var renderer = NoticeRenderer.Load(overrides);
        var plan = PlanYaml.LoadPlanFile(Example("lambda-v40-promotion.yaml"), Now);

        var notice = renderer.Render(NoticeKind.Completion, NoticeModel.Create(plan, Policy, NoticeKind.Completion, new NoticeFacts { Duration = TimeSpan.FromMinutes(8) }));

        Assert.Equal("[Duck Galaxy] done: Lambda prod alias promotion - v40 deploy in 8 min", notice.Subject);
        Assert.StartsWith("✅ MAINTENANCE COMPLETE", notice.Text, StringComparison.Ordinal);
        Assert.Equal("embedded", renderer.Origins["completion.text"]);
        Assert.EndsWith("completion.subject.sbn", renderer.Origins["completion.subject"], StringComparison.Ordinal);
    }

    [Fact]
    public void Load_EmbeddedTemplates_CoverEveryKindAndFlavour()
    {
        foreach (var kind in Enum.GetValues<NoticeKind>())
        {
            foreach (var flavour in NoticeRenderer.Flavours)
            {
                Assert.True(Embedded.Value.Origins.ContainsKey($"{kind.ToName()}.{flavour}"), $"{kind.ToName()}.{flavour}");
            }
        }
    }

    private static string Example(string name) => Path.Combine(RepoPaths.Root, "examples", name);
}
