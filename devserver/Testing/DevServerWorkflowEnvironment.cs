using Temporalio.Client;
using Temporalio.Client.Interceptors;
using Temporalio.Testing;

namespace MaintenanceWorkflows.DevServer.Testing;

/// <summary>
/// A <see cref="WorkflowEnvironment"/> backed by an in-process <see cref="TemporalDevServer"/>.
/// With time skipping it behaves like the SDK's own time-skipping environment: time is skipped
/// automatically while a caller awaits a workflow result, <see cref="DelayAsync"/> skips,
/// <see cref="GetCurrentTimeAsync"/> returns server time, and
/// <see cref="WorkflowEnvironment.WithAutoTimeSkippingDisabledAsync{T}"/> turns the automatic part off.
/// </summary>
public sealed class DevServerWorkflowEnvironment : WorkflowEnvironment
{
    private bool autoTimeSkipping = true;

    private DevServerWorkflowEnvironment(TemporalDevServer server, TemporalClient client)
        : base(client)
    {
        Server = server;
        var options = (TemporalClientOptions)client.Options.Clone();
        options.Interceptors = [new TimeSkippingInterceptor(this), .. client.Options.Interceptors ?? []];
        Client = new TemporalClient(client.Connection, options);
    }

    public TemporalDevServer Server { get; }

    public override bool SupportsTimeSkipping => Server.TimeSkipping;

    /// <summary>Starts a devserver on a free loopback port and connects a client to it.</summary>
    public static async Task<DevServerWorkflowEnvironment> StartAsync(
        DevServerOptions? options = null, string clientNamespace = "default", CancellationToken ct = default)
    {
        var server = await TemporalDevServer.StartAsync(options ?? new DevServerOptions(), ct);
        try
        {
            var client = await TemporalClient.ConnectAsync(new(server.Target) { Namespace = clientNamespace });
            return new DevServerWorkflowEnvironment(server, client);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts a time-skipping devserver; shorthand for the common test setup.</summary>
    public static Task<DevServerWorkflowEnvironment> StartTimeSkippingAsync(CancellationToken ct = default) =>
        StartAsync(new DevServerOptions { TimeSkipping = true }, ct: ct);

    public override Task DelayAsync(TimeSpan delay, CancellationToken? cancellationToken = null) =>
        SupportsTimeSkipping
            ? Server.UnlockTimeSkippingWithSleepAsync(delay, cancellationToken ?? CancellationToken.None)
            : base.DelayAsync(delay, cancellationToken);

    public override Task<DateTime> GetCurrentTimeAsync() =>
        SupportsTimeSkipping ? Task.FromResult(Server.UtcNow) : base.GetCurrentTimeAsync();

    public override async Task<T> WithAutoTimeSkippingDisabledAsync<T>(Func<Task<T>> func)
    {
        ArgumentNullException.ThrowIfNull(func);
        var alreadyDisabled = !autoTimeSkipping;
        autoTimeSkipping = false;
        try
        {
            return await func();
        }
        finally
        {
            if (!alreadyDisabled)
            {
                autoTimeSkipping = true;
            }
        }
    }

    public override async Task ShutdownAsync() => await Server.DisposeAsync();

    /// <summary>Runs <paramref name="run"/> with time skipping unlocked (when enabled), locking again after.</summary>
    internal async Task<T> WithTimeSkippingUnlockedAsync<T>(Func<Task<T>> run)
    {
        if (!SupportsTimeSkipping || !autoTimeSkipping)
        {
            return await run();
        }
        Server.UnlockTimeSkipping();
        try
        {
            return await run();
        }
        finally
        {
            Server.LockTimeSkipping();
        }
    }

    private sealed class TimeSkippingInterceptor : IClientInterceptor
    {
        private readonly DevServerWorkflowEnvironment env;

        public TimeSkippingInterceptor(DevServerWorkflowEnvironment env) => this.env = env;

        public ClientOutboundInterceptor InterceptClient(ClientOutboundInterceptor nextInterceptor) =>
            new Outbound(nextInterceptor, env);
    }

    private sealed class Outbound : ClientOutboundInterceptor
    {
        private readonly DevServerWorkflowEnvironment env;

        public Outbound(ClientOutboundInterceptor next, DevServerWorkflowEnvironment env)
            : base(next) => this.env = env;

        public override async Task<WorkflowHandle<TWorkflow, TResult>> StartWorkflowAsync<TWorkflow, TResult>(
            StartWorkflowInput input) =>
            new TimeSkippingHandle<TWorkflow, TResult>(env, await base.StartWorkflowAsync<TWorkflow, TResult>(input));
    }

    private sealed record TimeSkippingHandle<TWorkflow, TResult> : WorkflowHandle<TWorkflow, TResult>
    {
        private readonly DevServerWorkflowEnvironment env;

        public TimeSkippingHandle(DevServerWorkflowEnvironment env, WorkflowHandle<TWorkflow, TResult> inner)
            : base(inner.Client, inner.Id, inner.RunId, inner.ResultRunId, inner.FirstExecutionRunId) => this.env = env;

        public override Task<TLocalResult> GetResultAsync<TLocalResult>(bool followRuns = true, RpcOptions? rpcOptions = null) =>
            env.WithTimeSkippingUnlockedAsync(() => base.GetResultAsync<TLocalResult>(followRuns, rpcOptions));
    }
}
