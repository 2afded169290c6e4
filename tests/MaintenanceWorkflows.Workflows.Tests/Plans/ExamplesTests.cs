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
}
