using System.Text.Json.Serialization;
using Refit;

namespace MaintenanceWorkflows.Activities.Lambda;

/// <summary>The parts of the Lambda 2015-03-31 REST API the maintenance activities use.</summary>
public interface ILambdaApi
{
    [Get("/2015-03-31/functions/{functionName}/configuration")]
    Task<LambdaFunctionConfiguration> GetFunctionConfigurationAsync(
        string functionName,
        [AliasAs("Qualifier")] string? qualifier,
        CancellationToken cancellationToken);

    [Get("/2015-03-31/functions/{functionName}/aliases/{aliasName}")]
    Task<LambdaAliasConfiguration> GetAliasAsync(string functionName, string aliasName, CancellationToken cancellationToken);

    [Get("/2015-03-31/functions/{functionName}/versions")]
    Task<LambdaVersionList> ListVersionsByFunctionAsync(
        string functionName,
        [AliasAs("Marker")] string? marker,
        [AliasAs("MaxItems")] int? maxItems,
        CancellationToken cancellationToken);

    [Post("/2015-03-31/functions/{functionName}/versions")]
    Task<LambdaFunctionConfiguration> PublishVersionAsync(
        string functionName,
        [Body] LambdaPublishVersionRequest request,
        CancellationToken cancellationToken);

    [Put("/2015-03-31/functions/{functionName}/aliases/{aliasName}")]
    Task<LambdaAliasConfiguration> UpdateAliasAsync(
        string functionName,
        string aliasName,
        [Body] LambdaUpdateAliasRequest request,
        CancellationToken cancellationToken);

    /// <summary>Synchronous invoke; the raw response carries the payload and the X-Amz-* result headers.</summary>
    [Post("/2015-03-31/functions/{functionName}/invocations")]
    Task<HttpResponseMessage> InvokeAsync(
        string functionName,
        [AliasAs("Qualifier")] string? qualifier,
        [Header("X-Amz-Invocation-Type")] string invocationType,
        [Header("X-Amz-Log-Type")] string logType,
        [Body] HttpContent payload,
        CancellationToken cancellationToken);
}

public sealed record LambdaFunctionConfiguration
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("FunctionName")]
    public string? FunctionName { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("FunctionArn")]
    public string? FunctionArn { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("Version")]
    public string? Version { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("CodeSha256")]
    public string? CodeSha256 { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("Description")]
    public string? Description { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("RevisionId")]
    public string? RevisionId { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("LastModified")]
    public string? LastModified { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("State")]
    public string? State { get; init; }
}

public sealed record LambdaAliasConfiguration
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("AliasArn")]
    public string? AliasArn { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("Name")]
    public string? Name { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("FunctionVersion")]
    public string? FunctionVersion { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("Description")]
    public string? Description { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("RoutingConfig")]
    public LambdaAliasRoutingConfiguration? RoutingConfig { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("RevisionId")]
    public string? RevisionId { get; init; }
}

public sealed record LambdaAliasRoutingConfiguration
{
    /// <summary>Extra versions and the share of traffic (0-1) each receives.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("AdditionalVersionWeights")]
    public IReadOnlyDictionary<string, double>? AdditionalVersionWeights { get; init; }
}

public sealed record LambdaVersionList
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("Versions")]
    public IReadOnlyList<LambdaFunctionConfiguration>? Versions { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("NextMarker")]
    public string? NextMarker { get; init; }
}

public sealed record LambdaPublishVersionRequest
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("CodeSha256")]
    public string? CodeSha256 { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("Description")]
    public string? Description { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("RevisionId")]
    public string? RevisionId { get; init; }
}

public sealed record LambdaUpdateAliasRequest
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("FunctionVersion")]
    public string? FunctionVersion { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("Description")]
    public string? Description { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("RoutingConfig")]
    public LambdaAliasRoutingConfiguration? RoutingConfig { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("RevisionId")]
    public string? RevisionId { get; init; }
}
