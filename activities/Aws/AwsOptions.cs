using System.ComponentModel.DataAnnotations;

namespace MaintenanceWorkflows.Activities.Aws;

/// <summary>Section <c>Aws</c>: region and credentials shared by the Lambda and SES clients.</summary>
public sealed class AwsOptions
{
    public const string Section = "Aws";

    /// <summary>Default region, for example us-east-1 (environment: Aws__Region).</summary>
    [Required(ErrorMessage = "Aws:Region is required (for example us-east-1); set it in configuration or as Aws__Region.")]
    [RegularExpression("^[a-z]{2}(-[a-z]+)+-\\d+$", ErrorMessage = "Aws:Region must look like us-east-1.")]
    public string Region { get; set; } = "us-east-1";

    /// <summary>Named profile in the shared credentials/config files; empty uses the SDK's default chain.</summary>
    public string? Profile { get; set; }

    /// <summary>Path of a shared credentials file to read profiles from instead of ~/.aws/credentials.</summary>
    public string? ProfilesLocation { get; set; }

    /// <summary>Lambda endpoint overrides (emulators).</summary>
    public AwsServiceOptions Lambda { get; set; } = new();

    /// <summary>SES v2 endpoint overrides (emulators).</summary>
    public AwsServiceOptions Ses { get; set; } = new();
}

/// <summary>Per-service overrides under <c>Aws:Lambda</c> and <c>Aws:Ses</c>.</summary>
public sealed class AwsServiceOptions
{
    /// <summary>Endpoint to call instead of the regional AWS endpoint, for example http://127.0.0.1:8005.</summary>
    public Uri? ServiceUrl { get; set; }

    /// <summary>Region for this service when it differs from <see cref="AwsOptions.Region"/>.</summary>
    public string? Region { get; set; }

    /// <summary>HTTP timeout of one call; Temporal's activity timeouts bound the whole attempt.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:15:00", ErrorMessage = "Aws:<service>:Timeout must be between 1 second and 15 minutes.")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);
}
