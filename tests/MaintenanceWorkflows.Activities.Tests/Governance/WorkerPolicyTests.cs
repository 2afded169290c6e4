using MaintenanceWorkflows.Activities.Governance;
using MaintenanceWorkflows.Activities.Tests.Support;
using MaintenanceWorkflows.Workflows.Governance;

namespace MaintenanceWorkflows.Activities.Tests.Governance;

public class WorkerPolicyTests
{
    [Fact]
    public void TryLoad_ExamplePolicy_LoadsWithTheHashOfItsBytes()
    {
        var path = Path.Combine(RepoPaths.Root, "examples", "policy.yaml");

        var (policy, error) = WorkerPolicy.TryLoad(path);

        Assert.Null(error);
        Assert.Equal(PolicyHash.Of(File.ReadAllBytes(path)), policy!.Hash);
        Assert.Contains(policy.Policy.Approvals.Gates, g => g.Approvers.Contains("T-JOSH"));
    }

    [Fact]
    public void Validator_NoPath_NamesTheKeyAndTheEnvironmentVariable()
    {
        var result = new PolicyOptionsValidator().Validate(null, new PolicyOptions());

        Assert.Contains("Policy:Path is not set", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("Policy__Path", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Validator_MissingFile_NamesTheKeyAndTheFile()
    {
        var result = new PolicyOptionsValidator().Validate(null, new PolicyOptions { Path = "/nonexistent/policy.yaml" });

        Assert.Contains("Policy:Path '/nonexistent/policy.yaml' does not exist", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Validator_BrokenPolicy_NamesTheKeyTheFileAndTheField()
    {
        var path = Path.Combine(Path.GetTempPath(), $"policy-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, File.ReadAllText(Path.Combine(RepoPaths.Root, "examples", "policy.yaml")).Replace("      required: 1\n", "      required: many\n", StringComparison.Ordinal));
        try
        {
            var result = new PolicyOptionsValidator().Validate(null, new PolicyOptions { Path = path });

            Assert.True(result.Failed);
            Assert.Contains($"Policy:Path '{path}' is not a valid policy", result.FailureMessage, StringComparison.Ordinal);
            Assert.Contains("required", result.FailureMessage, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
