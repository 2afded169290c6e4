using System.Text.Json.Serialization;

namespace MaintenanceWorkflows.Activities.Lambda;

/// <summary>Source-generated JSON metadata for the Lambda client, with AWS's PascalCase member names.</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(LambdaFunctionConfiguration))]
[JsonSerializable(typeof(LambdaAliasConfiguration))]
[JsonSerializable(typeof(LambdaVersionList))]
[JsonSerializable(typeof(LambdaPublishVersionRequest))]
[JsonSerializable(typeof(LambdaUpdateAliasRequest))]
internal sealed partial class LambdaJsonContext : JsonSerializerContext;
