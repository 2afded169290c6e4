using System.Text.Json;
using MaintenanceWorkflows.Activities.Http;

namespace MaintenanceWorkflows.Activities.Tests.Http;

public class JsonPathsTests
{
    [Theory]
    [InlineData("""{"lambda":{"version":"40"}}""", "lambda.version", "40")]
    [InlineData("""{"lambda.version":"41"}""", "lambda.version", "41")]
    [InlineData("""{"agents":[{"name":"duck-1"},{"name":"duck-2"}]}""", "agents.1.name", "duck-2")]
    [InlineData("""{"health":{"score":72.5}}""", "health.score", "72.5")]
    [InlineData("""{"database":null}""", "database", "null")]
    [InlineData("""{"a":{"b.c":{"d":true}}}""", "a.b.c.d", "true")]
    public void TryGet_PresentPath_FindsValue(string json, string path, string expected)
    {
        using var document = JsonDocument.Parse(json);

        Assert.True(JsonPaths.TryGet(document.RootElement, path, out var value));
        Assert.Equal(expected, JsonPaths.Text(value));
    }

    [Theory]
    [InlineData("""{"lambda":{}}""", "lambda.version")]
    [InlineData("""{"agents":[]}""", "agents.0")]
    [InlineData("""{"agents":"none"}""", "agents.name")]
    [InlineData("""[1,2]""", "x")]
    public void TryGet_MissingPath_ReturnsFalse(string json, string path)
    {
        using var document = JsonDocument.Parse(json);

        Assert.False(JsonPaths.TryGet(document.RootElement, path, out _));
    }
}
