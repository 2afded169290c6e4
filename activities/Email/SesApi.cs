using System.Text.Json.Serialization;
using Refit;

namespace MaintenanceWorkflows.Activities.Email;

/// <summary>The parts of the SES v2 REST API the activities use.</summary>
public interface ISesApi
{
    [Post("/v2/email/outbound-emails")]
    Task<SesSendEmailResponse> SendEmailAsync([Body] SesSendEmailRequest request, CancellationToken cancellationToken);

    [Get("/v2/email/account")]
    Task<SesAccount> GetAccountAsync(CancellationToken cancellationToken);
}

public sealed record SesSendEmailRequest
{
    [JsonPropertyName("FromEmailAddress")]
    public required string FromEmailAddress { get; init; }

    [JsonPropertyName("Destination")]
    public required SesDestination Destination { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("ReplyToAddresses")]
    public IReadOnlyList<string>? ReplyToAddresses { get; init; }

    [JsonPropertyName("Content")]
    public required SesEmailContent Content { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("ConfigurationSetName")]
    public string? ConfigurationSetName { get; init; }
}

public sealed record SesDestination
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("ToAddresses")]
    public IReadOnlyList<string>? ToAddresses { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("CcAddresses")]
    public IReadOnlyList<string>? CcAddresses { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("BccAddresses")]
    public IReadOnlyList<string>? BccAddresses { get; init; }
}

public sealed record SesEmailContent
{
    [JsonPropertyName("Simple")]
    public required SesMessage Simple { get; init; }
}

public sealed record SesMessage
{
    [JsonPropertyName("Subject")]
    public required SesText Subject { get; init; }

    [JsonPropertyName("Body")]
    public required SesBody Body { get; init; }
}

public sealed record SesBody
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("Text")]
    public SesText? Text { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("Html")]
    public SesText? Html { get; init; }
}

public sealed record SesText
{
    [JsonPropertyName("Data")]
    public required string Data { get; init; }

    [JsonPropertyName("Charset")]
    public string Charset { get; init; } = "UTF-8";
}

public sealed record SesSendEmailResponse
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("MessageId")]
    public string? MessageId { get; init; }
}

public sealed record SesAccount
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("SendQuota")]
    public SesSendQuota? SendQuota { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("ProductionAccessEnabled")]
    public bool? ProductionAccessEnabled { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("SendingEnabled")]
    public bool? SendingEnabled { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("EnforcementStatus")]
    public string? EnforcementStatus { get; init; }
}

public sealed record SesSendQuota
{
    [JsonPropertyName("Max24HourSend")]
    public double Max24HourSend { get; init; }

    [JsonPropertyName("MaxSendRate")]
    public double MaxSendRate { get; init; }

    [JsonPropertyName("SentLast24Hours")]
    public double SentLast24Hours { get; init; }
}

/// <summary>Source-generated JSON metadata for the SES client.</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(SesSendEmailRequest))]
[JsonSerializable(typeof(SesSendEmailResponse))]
[JsonSerializable(typeof(SesAccount))]
internal sealed partial class SesJsonContext : JsonSerializerContext;
