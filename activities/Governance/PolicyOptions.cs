using MaintenanceWorkflows.Workflows.Plans;
using Microsoft.Extensions.Options;

namespace MaintenanceWorkflows.Activities.Governance;

/// <summary>Section <c>Policy</c>: the organisation's policy file, which governs every window this worker runs.</summary>
public sealed class PolicyOptions
{
    public const string Section = "Policy";

    /// <summary>Gets or sets the policy YAML file (env <c>Policy__Path</c>).</summary>
    public string? Path { get; set; }
}

/// <summary>
/// The policy as this worker loaded it, with the SHA-256 of the file's bytes. Loaded once: a changed file
/// takes effect when the worker restarts, and each window records the policy and hash it ran under.
/// </summary>
public sealed class WorkerPolicy
{
    private WorkerPolicy(string path, MaintenancePolicy policy, string hash)
    {
        Path = path;
        Policy = policy;
        Hash = hash;
    }

    public string Path { get; }

    public MaintenancePolicy Policy { get; }

    public string Hash { get; }

    /// <summary>Loads the file or throws with the loader's message (start-up validation has already reported it).</summary>
    public static WorkerPolicy Load(string? path)
    {
        var (policy, error) = TryLoad(path);
        return policy ?? throw new OptionsValidationException(PolicyOptions.Section, typeof(PolicyOptions), [error!]);
    }

    /// <summary>Loads and checks the file; the error names the configuration key, the file and what is wrong.</summary>
    public static (WorkerPolicy? Policy, string? Error) TryLoad(string? path)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            return (null, "Policy:Path is not set: the worker governs windows with its own policy file. Set Policy__Path to the organisation's policy.yaml.");
        }
        var full = System.IO.Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            return (null, $"Policy:Path '{path}' does not exist (resolved to {full}); give the path of the policy YAML this worker should enforce.");
        }
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(full);
        }
        catch (IOException e)
        {
            return (null, $"Policy:Path '{path}' cannot be read: {e.Message}");
        }
        catch (UnauthorizedAccessException e)
        {
            return (null, $"Policy:Path '{path}' cannot be read: {e.Message}");
        }
        var parsed = PlanYaml.ParsePolicy(System.Text.Encoding.UTF8.GetString(bytes), full);
        if (parsed.Value is null || parsed.Errors.Count > 0)
        {
            return (null, $"Policy:Path '{path}' is not a valid policy: {string.Join("; ", parsed.Errors.Select(e => e.ToString()))}");
        }
        var problems = PolicyRules.Validate(parsed.Value).Where(v => v.Severity == ViolationSeverity.Error).ToList();
        if (problems.Count > 0)
        {
            return (null, $"Policy:Path '{path}' breaks the policy rules: {string.Join("; ", problems.Select(p => $"{p.Path}: {p.Message}"))}");
        }
        return (new WorkerPolicy(full, parsed.Value, Workflows.Governance.PolicyHash.Of(bytes)), null);
    }
}

/// <summary>Fails the worker's start with the loader's message when the policy is missing or broken.</summary>
public sealed class PolicyOptionsValidator : IValidateOptions<PolicyOptions>
{
    public ValidateOptionsResult Validate(string? name, PolicyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var (_, error) = WorkerPolicy.TryLoad(options.Path);
        return error is null ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(error);
    }
}
