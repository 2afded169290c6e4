using System.Collections;
using System.Reflection;
using MaintenanceWorkflows.Activities;
using MaintenanceWorkflows.Worker;
using YamlDotNet.RepresentationModel;

namespace MaintenanceWorkflows.EndToEnd.Tests.Deployment;

/// <summary>
/// docker-compose.yml configures the worker through environment variables (<c>Section__Key</c>); every one
/// of them must land on a property of the worker's options, or the setting is silently ignored.
/// </summary>
public sealed class ComposeConfigurationTests
{
    /// <summary>Read by the AWS SDK's credential chain, not by our options.</summary>
    private static readonly string[] StandardAwsVariables = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"];

    [Fact]
    public void WorkerEnvironment_EveryKey_BindsToAnOptionsProperty()
    {
        var sections = OptionsSections();
        var environment = WorkerEnvironment();
        Assert.NotEmpty(environment);

        var unknown = environment
            .Where(key => !StandardAwsVariables.Contains(key))
            .Where(key => !Binds(key.Split("__"), sections))
            .ToList();

        Assert.True(unknown.Count == 0, $"compose sets worker keys no options class reads: {string.Join(", ", unknown)}");
        Assert.Contains("Temporal__Address", environment);
    }

    [Fact]
    public void Binds_MisspeltKey_IsDetected()
    {
        var sections = OptionsSections();
        Assert.False(Binds(["Temporal", "Adress"], sections));
        Assert.False(Binds(["Emails", "From"], sections));
        Assert.True(Binds(["Targets", "any-name", "BaseUrl"], sections));
        Assert.False(Binds(["Targets", "any-name", "BaseURI"], sections));
    }

    private static List<string> WorkerEnvironment()
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(File.ReadAllText(Repo.Path("docker-compose.yml"))));
        var root = (YamlMappingNode)yaml.Documents[0].RootNode;
        var worker = (YamlMappingNode)((YamlMappingNode)root["services"])["worker"];
        return ((YamlMappingNode)worker["environment"]).Children.Keys.Select(k => ((YamlScalarNode)k).Value!).ToList();
    }

    /// <summary>Options classes declare their configuration section as <c>public const string Section</c>.</summary>
    private static Dictionary<string, Type> OptionsSections() =>
        new[] { typeof(TemporalSettings).Assembly, typeof(ServiceCollectionExtensions).Assembly }
            .SelectMany(a => a.GetTypes())
            .Select(t => (Type: t, Field: t.GetField("Section", BindingFlags.Public | BindingFlags.Static)))
            .Where(x => x.Field is { IsLiteral: true } && x.Field.FieldType == typeof(string))
            .ToDictionary(x => (string)x.Field!.GetRawConstantValue()!, x => x.Type, StringComparer.OrdinalIgnoreCase);

    private static bool Binds(string[] path, Dictionary<string, Type> sections) =>
        sections.TryGetValue(path[0], out var type) && Binds(type, path.AsSpan(1));

    /// <summary>Walks the path as the configuration binder would: properties by name, dictionary keys, list indexes.</summary>
    private static bool Binds(Type type, ReadOnlySpan<string> path)
    {
        if (path.Length == 0)
        {
            return true;
        }
        var dictionary = type.GetInterfaces().Append(type).FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IDictionary<,>));
        if (dictionary is not null)
        {
            return Binds(dictionary.GetGenericArguments()[1], path[1..]);
        }
        if (type != typeof(string) && typeof(IEnumerable).IsAssignableFrom(type) && type.IsGenericType)
        {
            return int.TryParse(path[0], out _) && Binds(type.GetGenericArguments()[0], path[1..]);
        }
        var property = type.GetProperty(path[0], BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
        return property is { CanWrite: true } || (property is not null && path.Length > 1)
            ? Binds(property!.PropertyType, path[1..])
            : false;
    }
}
