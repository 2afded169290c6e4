using System.Globalization;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using MaintenanceWorkflows.DevServer.Grpc;

namespace MaintenanceWorkflows.DevServer.Http;

/// <summary>
/// The grpc-gateway JSON mapping the Temporal UI speaks: protojson (lowerCamel names, enums by name,
/// int64 as strings, payloads as <c>{metadata, data}</c>), request fields taken from the path, the query
/// string (dotted names such as <c>execution.runId</c>) and the JSON body.
/// </summary>
internal static class ProtoJson
{
    private static readonly TypeRegistry Registry = TypeRegistry.FromFiles(
        Temporalio.Api.ErrorDetails.V1.MessageReflection.Descriptor,
        Temporalio.Api.Failure.V1.MessageReflection.Descriptor,
        Temporalio.Api.Common.V1.MessageReflection.Descriptor,
        Temporalio.Api.Update.V1.MessageReflection.Descriptor,
        Temporalio.Api.History.V1.MessageReflection.Descriptor);

    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithTypeRegistry(Registry));

    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true).WithTypeRegistry(Registry));

    public static string Format(IMessage message) => Formatter.Format(message);

    /// <summary>
    /// Builds a request: the body's JSON object first, then query parameters, then path parameters
    /// (which win, as in grpc-gateway). Names that match no field are ignored, as the gateway does.
    /// </summary>
    public static IMessage Build(
        MessageDescriptor descriptor,
        string? body,
        IEnumerable<KeyValuePair<string, string>> query,
        IEnumerable<KeyValuePair<string, string>> path)
    {
        JsonObject root;
        if (string.IsNullOrWhiteSpace(body))
        {
            root = [];
        }
        else
        {
            JsonNode? parsed;
            try
            {
                parsed = JsonNode.Parse(body);
            }
            catch (System.Text.Json.JsonException ex)
            {
                throw GrpcException.InvalidArgument($"the request body is not JSON: {ex.Message}");
            }
            root = parsed as JsonObject ?? throw GrpcException.InvalidArgument("the request body must be a JSON object");
        }
        foreach (var (name, value) in query)
        {
            Set(root, descriptor, name, value, fromPath: false);
        }
        foreach (var (name, value) in path)
        {
            Set(root, descriptor, name, value, fromPath: true);
        }
        try
        {
            return Parser.Parse(root.ToJsonString(), descriptor);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw GrpcException.InvalidArgument($"the request does not fit {descriptor.Name}: {ex.Message}");
        }
        catch (InvalidJsonException ex)
        {
            throw GrpcException.InvalidArgument($"the request does not fit {descriptor.Name}: {ex.Message}");
        }
    }

    /// <summary>Puts one dotted parameter into the JSON tree, converted to the JSON type its field expects.</summary>
    private static void Set(JsonObject root, MessageDescriptor descriptor, string dottedName, string value, bool fromPath)
    {
        var parts = dottedName.Split('.');
        var node = root;
        var message = descriptor;
        for (var i = 0; i < parts.Length; i++)
        {
            var field = message.Fields.InDeclarationOrder()
                .FirstOrDefault(f => f.JsonName == parts[i] || f.Name == parts[i]);
            if (field == null)
            {
                if (fromPath)
                {
                    throw new InvalidOperationException($"route parameter {dottedName} names no field of {descriptor.Name}");
                }
                return;
            }
            if (i == parts.Length - 1)
            {
                var converted = Convert(field, value, dottedName);
                if (field.IsRepeated)
                {
                    if (node[field.JsonName] is not JsonArray array)
                    {
                        array = [];
                        node[field.JsonName] = array;
                    }
                    array.Add(converted);
                }
                else
                {
                    node[field.JsonName] = converted;
                }
                return;
            }
            if (field.FieldType != FieldType.Message || field.IsRepeated || field.IsMap)
            {
                return;
            }
            if (node[field.JsonName] is not JsonObject child)
            {
                child = [];
                node[field.JsonName] = child;
            }
            node = child;
            message = field.MessageType;
        }
    }

    private static JsonNode? Convert(FieldDescriptor field, string value, string name)
    {
        switch (field.FieldType)
        {
            case FieldType.Bool:
                return bool.TryParse(value, out var flag)
                    ? JsonValue.Create(flag)
                    : throw GrpcException.InvalidArgument($"parameter {name} must be true or false, not '{value}'");
            case FieldType.Enum:
                return int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number)
                    ? JsonValue.Create(number)
                    : JsonValue.Create(value);
            case FieldType.Int32:
            case FieldType.SInt32:
            case FieldType.SFixed32:
            case FieldType.UInt32:
            case FieldType.Fixed32:
                return long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var small)
                    ? JsonValue.Create(small)
                    : throw GrpcException.InvalidArgument($"parameter {name} must be a whole number, not '{value}'");
            default:
                // Strings, bytes (base64), 64-bit numbers, durations and timestamps are JSON strings.
                return JsonValue.Create(value);
        }
    }
}
