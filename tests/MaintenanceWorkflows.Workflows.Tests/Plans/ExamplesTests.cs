using MaintenanceWorkflows.Workflows.Plans;

namespace MaintenanceWorkflows.Workflows.Tests.Plans;

public class ExamplesTests
{
    public static TheoryData<string> PlanFiles()
    {
        var data = new TheoryData<string>();
        foreach (var file in TestFiles.ExamplePlans())
        {
            data.Add(Path.GetFileName(file));
        }

        return data;
    }

    [Fact]
    public void LoadPolicyFile_ExamplePolicy_LoadsAndIsConsistent()
    {
        var policy = TestFiles.Policy();

        Assert.Equal("America/Los_Angeles", policy.TimeZone);
        Assert.Equal(TimeSpan.FromHours(24), policy.Types.Routine.Notice);
        Assert.Equal(TimeSpan.FromHours(4), policy.Types.Urgent.Notice);
        Assert.Equal(TimeSpan.Zero, policy.Types.Emergency.Notice);
        Assert.True(policy.Types.Emergency.AllChannels);
        Assert.Equal(["P1", "P2", "P3", "P4"], policy.IncidentLevels.Select(l => l.Level));
        Assert.Contains(policy.Approvals.Gates, g => g.StepType == StepTypes.LambdaPromote && g.Approvers.Contains("T-JOSH"));
        Assert.Empty(PolicyRules.Validate(policy));
    }

    [Theory]
    [MemberData(nameof(PlanFiles))]
    public void Validate_ExamplePlan_HasNoErrors(string file)
    {
        var policy = TestFiles.Policy();
        var plan = TestFiles.Plan(file);

        var violations = PlanValidator.Validate(plan, policy, TestFiles.Now);

        Assert.False(violations.HasErrors(), string.Join(Environment.NewLine, violations));
    }

    [Fact]
    public void ExamplePlans_CoverTheSeedScenarios()
    {
        var plans = TestFiles.ExamplePlans().Select(f => TestFiles.Plan(Path.GetFileName(f))).ToList();

        Assert.Contains(plans, p => p.Steps.OfType<LambdaPromoteStep>().Any(s => s.Version == "40"));
        Assert.Contains(plans, p => p.Steps.Count > 0 && p.Steps.All(s => s is ManualStep));
        Assert.Contains(plans, p => p.Steps.OfType<CommandStep>().Any(s => s.Command == "flask-db-upgrade" && s.Rollback is not null));
        Assert.Contains(plans, p => p.Systems.Any(s => s.Name == "Proxmox VE host") && p.Impact.Downtime);
        Assert.Contains(plans, p => p.Type == MaintenanceType.Emergency && p.Incident?.Level == "P1");
    }

    [Fact]
    public void LambdaExample_CarriesTheOpsChecklistFacts()
    {
        var plan = TestFiles.Plan("lambda-v40-promotion.yaml");

        Assert.Equal(TimeSpan.FromMilliseconds(2000), plan.Checks.OfType<LambdaInvokeCheck>().Single().MaxDuration);
        Assert.Equal((160, 200), plan.Checks.OfType<EmailQuotaCheck>().Select(c => (c.AmberAt, c.RedAt)).Single());
        Assert.Equal(["lambda.version", "database", "agents"], plan.Checks.OfType<HttpJsonCheck>().First().RequiredKeys);
        Assert.Equal(["/beak", "/beak/metrics", "/beak/system/status"], plan.Checks.OfType<HttpStatusCheck>().Select(c => c.Path));
        Assert.Contains(plan.Checks, c => c is FreezeCheck);
        Assert.Contains(plan.Checks, c => c is LambdaAliasCheck { ExpectedVersion: "39", When: CheckPhase.Pre });
    }
}
