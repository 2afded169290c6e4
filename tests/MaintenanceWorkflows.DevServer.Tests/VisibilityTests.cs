using MaintenanceWorkflows.DevServer.Tests.Workflows;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.WorkflowService.V1;
using Temporalio.Client;
using Temporalio.Common;
using Temporalio.Exceptions;
using Temporalio.Worker;

namespace MaintenanceWorkflows.DevServer.Tests;

[Collection(ServerCollection.Name)]
public sealed class VisibilityTests
{
    private static readonly SearchAttributeKey<string> Env = SearchAttributeKey.CreateKeyword("VisEnv");
    private static readonly SearchAttributeKey<long> Priority = SearchAttributeKey.CreateLong("VisPriority");
    private static readonly SearchAttributeKey<double> Score = SearchAttributeKey.CreateDouble("VisScore");
    private static readonly SearchAttributeKey<bool> Urgent = SearchAttributeKey.CreateBool("VisUrgent");
    private static readonly SearchAttributeKey<DateTimeOffset> Due = SearchAttributeKey.CreateDateTimeOffset("VisDue");
    private static readonly SearchAttributeKey<IReadOnlyCollection<string>> Systems = SearchAttributeKey.CreateKeywordList("VisSystems");
    private static readonly SearchAttributeKey<string> Notes = SearchAttributeKey.CreateText("VisNotes");

    private readonly ServerFixture fixture;

    public VisibilityTests(ServerFixture fixture) => this.fixture = fixture;

    private TemporalClient Client => fixture.Client;

    [Fact]
    public async Task OperatorService_AddListRemove_KeepsTypesAndRefusesReservedNames()
    {
        var name = $"Op{Guid.NewGuid():N}";
        await Client.OperatorService.AddSearchAttributesAsync(new()
        {
            Namespace = "other",
            SearchAttributes = { [name] = IndexedValueType.Datetime, [name + "List"] = IndexedValueType.KeywordList },
        });
        // Registering the same name with the same type again is a no-op, as on a real server.
        await Client.OperatorService.AddSearchAttributesAsync(new() { Namespace = "other", SearchAttributes = { [name] = IndexedValueType.Datetime } });

        var listed = await Client.OperatorService.ListSearchAttributesAsync(new() { Namespace = "other" });
        Assert.Equal(IndexedValueType.Datetime, listed.CustomAttributes[name]);
        Assert.Equal(IndexedValueType.KeywordList, listed.CustomAttributes[name + "List"]);
        Assert.Equal(IndexedValueType.KeywordList, listed.SystemAttributes["TemporalChangeVersion"]);
        Assert.Equal(IndexedValueType.Keyword, listed.SystemAttributes["WorkflowId"]);
        Assert.Equal(IndexedValueType.Datetime, listed.SystemAttributes["CloseTime"]);
        Assert.DoesNotContain(name, (await Client.OperatorService.ListSearchAttributesAsync(new() { Namespace = "default" })).CustomAttributes.Keys);

        var retyped = await Assert.ThrowsAsync<RpcException>(() => Client.OperatorService.AddSearchAttributesAsync(
            new() { Namespace = "other", SearchAttributes = { [name] = IndexedValueType.Int } }));
        Assert.Equal(RpcException.StatusCode.InvalidArgument, retyped.Code);
        Assert.Contains("already exists with type Datetime", retyped.Message, StringComparison.Ordinal);
        foreach (var reserved in new[] { "TemporalOwnThing", "WorkflowId", "TemporalChangeVersion" })
        {
            var ex = await Assert.ThrowsAsync<RpcException>(() => Client.OperatorService.AddSearchAttributesAsync(
                new() { Namespace = "other", SearchAttributes = { [reserved] = IndexedValueType.Keyword } }));
            Assert.Equal(RpcException.StatusCode.InvalidArgument, ex.Code);
            Assert.Contains("reserved", ex.Message, StringComparison.Ordinal);
        }
        var untyped = await Assert.ThrowsAsync<RpcException>(() => Client.OperatorService.AddSearchAttributesAsync(
            new() { Namespace = "other", SearchAttributes = { ["Untyped"] = IndexedValueType.Unspecified } }));
        Assert.Contains("Untyped", untyped.Message, StringComparison.Ordinal);

        await Client.OperatorService.RemoveSearchAttributesAsync(new() { Namespace = "other", SearchAttributes = { name, name + "List" } });
        Assert.DoesNotContain(name, (await Client.OperatorService.ListSearchAttributesAsync(new() { Namespace = "other" })).CustomAttributes.Keys);
        var missing = await Assert.ThrowsAsync<RpcException>(() => Client.OperatorService.RemoveSearchAttributesAsync(
            new() { Namespace = "other", SearchAttributes = { name } }));
        Assert.Equal(RpcException.StatusCode.NotFound, missing.Code);
    }

    [Fact]
    public async Task Start_UnregisteredSearchAttribute_InvalidArgumentNamingIt()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => Client.StartWorkflowAsync(
            (CollectWorkflow wf) => wf.RunAsync(new CollectInput(1)),
            new(Unique.Id("vis-unregistered"), Unique.Queue("vis-unregistered"))
            {
                TypedSearchAttributes = new SearchAttributeCollection.Builder()
                    .Set(SearchAttributeKey.CreateKeyword("NeverRegistered"), "x").ToSearchAttributeCollection(),
            }));
        Assert.Equal(RpcException.StatusCode.InvalidArgument, ex.Code);
        Assert.Contains("no mapping defined for search attribute NeverRegistered", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_ValueOfWrongType_InvalidArgumentNamingTypes()
    {
        await RegisterAsync();
        var ex = await Assert.ThrowsAsync<RpcException>(() => Client.StartWorkflowAsync(
            (CollectWorkflow wf) => wf.RunAsync(new CollectInput(1)),
            new(Unique.Id("vis-wrong-type"), Unique.Queue("vis-wrong-type"))
            {
                TypedSearchAttributes = new SearchAttributeCollection.Builder()
                    .Set(SearchAttributeKey.CreateKeyword(Priority.Name), "high").ToSearchAttributeCollection(),
            }));
        Assert.Equal(RpcException.StatusCode.InvalidArgument, ex.Code);
        Assert.Contains("'VisPriority' is registered as Int but the value was sent as Keyword", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Upsert_UnregisteredSearchAttribute_FailsWorkflowTaskWithBadSearchAttributes()
    {
        var queue = Unique.Queue("vis-upsert");
        using var worker = new TemporalWorker(Client, new TemporalWorkerOptions(queue).AddWorkflow<UpsertWorkflow>());
        await worker.ExecuteAsync(async () =>
        {
            var handle = await Client.StartWorkflowAsync(
                (UpsertWorkflow wf) => wf.RunAsync(new UpsertInput("AlsoNeverRegistered", "x")), new(Unique.Id("vis-upsert"), queue));
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            Temporalio.Api.History.V1.HistoryEvent? failed = null;
            while (failed == null)
            {
                deadline.Token.ThrowIfCancellationRequested();
                await foreach (var evt in handle.FetchHistoryEventsAsync(new() { WaitNewEvent = true, Rpc = new() { CancellationToken = deadline.Token } }))
                {
                    if (evt.EventType == EventType.WorkflowTaskFailed)
                    {
                        failed = evt;
                        break;
                    }
                }
            }
            Assert.Equal(WorkflowTaskFailedCause.BadSearchAttributes, failed.WorkflowTaskFailedEventAttributes.Cause);
            Assert.Contains("no mapping defined for search attribute AlsoNeverRegistered", failed.WorkflowTaskFailedEventAttributes.Failure.Message, StringComparison.Ordinal);
            Assert.DoesNotContain((await handle.FetchHistoryAsync()).Events, e => e.EventType == EventType.UpsertWorkflowSearchAttributes);
            await handle.TerminateAsync();
        });
    }

    [Fact]
    public async Task ListWorkflows_FilterLanguage_SelectsByEveryOperatorAndType()
    {
        var (prefix, a, b, c) = await StartThreeAsync("vis-filter");
        async Task AssertSelects(string where, params string[] expected)
        {
            var ids = await IdsAsync($"WorkflowId STARTS_WITH '{prefix}' AND ({where})");
            Assert.True(expected.Order().SequenceEqual(ids.Order()), $"{where}: expected [{string.Join(", ", expected)}], got [{string.Join(", ", ids)}]");
        }

        await AssertSelects("VisEnv = 'prod'", a, c);
        await AssertSelects("VisEnv != 'prod'", b);
        await AssertSelects("VisPriority > 1", b, c);
        await AssertSelects("VisPriority <= 3", a, c);
        await AssertSelects("VisPriority < 5 and VisPriority >= 3", c);
        await AssertSelects("VisScore BETWEEN 1 AND 2.5", b, c);
        await AssertSelects("VisScore NOT BETWEEN 1 AND 2.5", a);
        await AssertSelects("VisEnv IN ('staging', 'dev')", b);
        await AssertSelects("VisEnv NOT IN ('staging')", a, c);
        await AssertSelects("VisSystems = 'api'", a, b);
        await AssertSelects("VisSystems IN ('cache', 'db')", a, c);
        await AssertSelects("VisSystems STARTS_WITH 'ca'", c);
        await AssertSelects("VisUrgent = true", a);
        await AssertSelects("VisUrgent IS NULL", c);
        await AssertSelects("VisDue IS NOT NULL", a, b);
        await AssertSelects("VisDue < '2030-01-02T00:00:00Z'", a);
        await AssertSelects("VisNotes = 'Failover'", a);
        await AssertSelects("NOT (VisEnv = 'prod') OR VisPriority = 1", a, b);
        await AssertSelects("(VisEnv = 'prod' OR VisEnv = 'staging') AND VisUrgent = false", b);
        await AssertSelects("ExecutionStatus = 'Terminated'", c);
        await AssertSelects("ExecutionStatus = 'Running' AND CloseTime IS NULL", a, b);
        await AssertSelects("WorkflowType = 'CollectWorkflow' AND HistoryLength >= 2 AND StartTime > '2020-01-01T00:00:00Z'", a, b, c);
        await AssertSelects($"`WorkflowId` = \"{b}\"", b);
    }

    [Fact]
    public async Task ListWorkflows_OrderBy_ExplicitKeysThenRunningFirst()
    {
        var (prefix, a, b, c) = await StartThreeAsync("vis-order");
        Assert.Equal([b, c, a], await IdsAsync($"WorkflowId STARTS_WITH '{prefix}' ORDER BY VisPriority DESC"));
        // Absent values sort last; this is the starter's listing order.
        Assert.Equal([a, b, c], await IdsAsync($"WorkflowId STARTS_WITH '{prefix}' ORDER BY VisDue ASC"));
        Assert.Equal([b, a], await IdsAsync(
            $"WorkflowType = 'CollectWorkflow' AND ExecutionStatus = 'Running' AND WorkflowId STARTS_WITH '{prefix}' ORDER BY VisDue DESC"));
        // Default order: open runs first (newest start first), then closed ones.
        Assert.Equal([b, a, c], await IdsAsync($"WorkflowId STARTS_WITH '{prefix}'"));
    }

    [Fact]
    public async Task ListWorkflows_ReturnsTypedSearchAttributesTheSdkDecodes()
    {
        var (prefix, a, _, _) = await StartThreeAsync("vis-typed");
        var execution = await Client.ListWorkflowsAsync($"WorkflowId = '{a}'").SingleAsync();
        Assert.StartsWith(prefix, execution.Id, StringComparison.Ordinal);
        var attributes = execution.TypedSearchAttributes;
        Assert.Equal("prod", attributes.Get(Env));
        Assert.Equal(1, attributes.Get(Priority));
        Assert.Equal(0.5, attributes.Get(Score));
        Assert.True(attributes.Get(Urgent));
        Assert.Equal(new DateTimeOffset(2030, 1, 1, 8, 0, 0, TimeSpan.Zero), attributes.Get(Due));
        Assert.Equal(["db", "api"], attributes.Get(Systems));
        Assert.Equal("database failover drill", attributes.Get(Notes));
        Assert.Equal(WorkflowExecutionStatus.Running, execution.Status);
        Assert.Equal("CollectWorkflow", execution.WorkflowType);
    }

    [Fact]
    public async Task ListWorkflows_SmallPages_EveryRunOnceAndEmptyTokenAtEnd()
    {
        var (prefix, a, b, c) = await StartThreeAsync("vis-paging");
        var request = new ListWorkflowExecutionsRequest { Namespace = "default", PageSize = 2, Query = $"WorkflowId STARTS_WITH '{prefix}'" };
        var ids = new List<string>();
        var pages = 0;
        do
        {
            var page = await Client.WorkflowService.ListWorkflowExecutionsAsync(request);
            Assert.True(page.Executions.Count <= 2);
            ids.AddRange(page.Executions.Select(e => e.Execution.WorkflowId));
            request.NextPageToken = page.NextPageToken;
            pages++;
        }
        while (!request.NextPageToken.IsEmpty);
        Assert.Equal(2, pages);
        Assert.Equal(new[] { a, b, c }.Order(), ids.Order());
    }

    [Fact]
    public async Task CountWorkflows_GroupByExecutionStatus_CountsPerStatus()
    {
        var (prefix, _, _, _) = await StartThreeAsync("vis-count");
        Assert.Equal(3, (await Client.CountWorkflowsAsync($"WorkflowId STARTS_WITH '{prefix}'")).Count);
        var grouped = await Client.CountWorkflowsAsync($"WorkflowId STARTS_WITH '{prefix}' GROUP BY ExecutionStatus");
        Assert.Equal(3, grouped.Count);
        var groups = grouped.Groups.ToDictionary(g => (string)g.GroupValues.Single(), g => g.Count);
        Assert.Equal(new Dictionary<string, long> { ["Running"] = 2, ["Terminated"] = 1 }, groups);
    }

    [Theory]
    [InlineData("NoSuchAttribute = 'x'", "unknown search attribute 'NoSuchAttribute'")]
    [InlineData("WorkflowId = prod", "quote the value")]
    [InlineData("ExecutionStatus = 'Sleeping'", "'Sleeping' is not an ExecutionStatus")]
    [InlineData("WorkflowId = 'x' ORDER BY VisNotes", "cannot ORDER BY 'VisNotes'")]
    [InlineData("WorkflowId = 'unterminated", "is not closed")]
    [InlineData("WorkflowId = 'x' garbage", "unexpected text")]
    [InlineData("VisDue > 'yesterday'", "quoted RFC 3339 time")]
    [InlineData("VisPriority > 'high'", "whole number")]
    [InlineData("VisSystems > 'a'", "KeywordList")]
    [InlineData("WorkflowId = 'x' GROUP BY ExecutionStatus", "GROUP BY is only supported by CountWorkflowExecutions")]
    [InlineData("(WorkflowId = 'x'", "')' to close")]
    public async Task ListWorkflows_BadQuery_InvalidArgumentNamingTheProblem(string query, string problem)
    {
        await RegisterAsync();
        var ex = await Assert.ThrowsAsync<RpcException>(() => Client.WorkflowService.ListWorkflowExecutionsAsync(
            new() { Namespace = "default", Query = query }));
        Assert.Equal(RpcException.StatusCode.InvalidArgument, ex.Code);
        Assert.Contains(problem, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Upsert_RegisteredAttribute_ListedWithNewValue()
    {
        var queue = Unique.Queue("vis-upserted");
        using var worker = new TemporalWorker(Client, new TemporalWorkerOptions(queue).AddWorkflow<UpsertWorkflow>());
        await worker.ExecuteAsync(async () =>
        {
            await RegisterAsync();
            var handle = await Client.StartWorkflowAsync(
                (UpsertWorkflow wf) => wf.RunAsync(new UpsertInput(Env.Name, "upserted")),
                new(Unique.Id("vis-upserted"), queue)
                {
                    TypedSearchAttributes = new SearchAttributeCollection.Builder().Set(Env, "initial").ToSearchAttributeCollection(),
                });
            await Poll.UntilAsync(
                () => IdsAsync($"WorkflowId = '{handle.Id}' AND VisEnv = 'upserted'"),
                ids => ids.Contains(handle.Id),
                TimeSpan.FromSeconds(20),
                _ => $"{handle.Id} is not listed with VisEnv = 'upserted'");
            Assert.Empty(await IdsAsync($"WorkflowId = '{handle.Id}' AND VisEnv = 'initial'"));
            await handle.TerminateAsync();
        });
    }

    private async Task RegisterAsync()
    {
        var request = new Temporalio.Api.OperatorService.V1.AddSearchAttributesRequest { Namespace = "default" };
        request.SearchAttributes[Env.Name] = IndexedValueType.Keyword;
        request.SearchAttributes[Priority.Name] = IndexedValueType.Int;
        request.SearchAttributes[Score.Name] = IndexedValueType.Double;
        request.SearchAttributes[Urgent.Name] = IndexedValueType.Bool;
        request.SearchAttributes[Due.Name] = IndexedValueType.Datetime;
        request.SearchAttributes[Systems.Name] = IndexedValueType.KeywordList;
        request.SearchAttributes[Notes.Name] = IndexedValueType.Text;
        await Client.OperatorService.AddSearchAttributesAsync(request);
    }

    /// <summary>Three runs without a worker (they stay open): a and b running, c terminated.</summary>
    private async Task<(string Prefix, string A, string B, string C)> StartThreeAsync(string test)
    {
        await RegisterAsync();
        var prefix = Unique.Id(test);
        var queue = Unique.Queue(test);
        async Task<WorkflowHandle> Start(string suffix, SearchAttributeCollection attributes) =>
            await Client.StartWorkflowAsync(
                (CollectWorkflow wf) => wf.RunAsync(new CollectInput(1)),
                new($"{prefix}-{suffix}", queue) { TypedSearchAttributes = attributes });

        var a = await Start("a", new SearchAttributeCollection.Builder()
            .Set(Env, "prod").Set(Priority, 1).Set(Score, 0.5).Set(Urgent, true)
            .Set(Due, new DateTimeOffset(2030, 1, 1, 8, 0, 0, TimeSpan.Zero)).Set(Systems, ["db", "api"])
            .Set(Notes, "database failover drill").ToSearchAttributeCollection());
        var b = await Start("b", new SearchAttributeCollection.Builder()
            .Set(Env, "staging").Set(Priority, 5).Set(Score, 2.5).Set(Urgent, false)
            .Set(Due, new DateTimeOffset(2030, 1, 3, 0, 0, 0, TimeSpan.Zero)).Set(Systems, ["api"])
            .ToSearchAttributeCollection());
        var c = await Start("c", new SearchAttributeCollection.Builder()
            .Set(Env, "prod").Set(Priority, 3).Set(Score, 1.5).Set(Systems, ["cache"]).Set(Notes, "cache flush")
            .ToSearchAttributeCollection());
        await c.TerminateAsync();
        return (prefix, a.Id, b.Id, c.Id);
    }

    private async Task<List<string>> IdsAsync(string query)
    {
        var ids = new List<string>();
        await foreach (var execution in Client.ListWorkflowsAsync(query))
        {
            ids.Add(execution.Id);
        }
        return ids;
    }
}
