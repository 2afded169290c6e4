using System.Collections.Concurrent;
using Temporalio.Activities;
using Temporalio.Exceptions;

namespace MaintenanceWorkflows.DevServer.Tests.Workflows;

public sealed record ActivityArgs(string Value);

public sealed record ActivityOutput(string Value);

public sealed record AttemptRecord(int Attempt, DateTime At, string? HeartbeatDetails);

/// <summary>Activities whose behaviour the tests steer; every attempt is recorded.</summary>
public sealed class TestActivities
{
    public ConcurrentQueue<AttemptRecord> Attempts { get; } = new();

    public TaskCompletionSource<ActivityInfo> Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    [Activity("echo")]
    public ActivityOutput Echo(ActivityArgs args)
    {
        Record();
        return new(args.Value);
    }

    /// <summary>Fails until the attempt number given in the argument, then succeeds.</summary>
    [Activity("flaky")]
    public ActivityOutput Flaky(ActivityArgs args)
    {
        var attempt = Record();
        if (attempt < int.Parse(args.Value, System.Globalization.CultureInfo.InvariantCulture))
        {
            throw new ApplicationFailureException($"attempt {attempt} fails", errorType: "Flaky");
        }
        return new($"ok after {attempt}");
    }

    /// <summary>Always fails with the error type given in the argument.</summary>
    [Activity("fail-typed")]
    public ActivityOutput FailTyped(ActivityArgs args)
    {
        Record();
        throw new ApplicationFailureException("typed failure", errorType: args.Value);
    }

    [Activity("fail-nonretryable")]
    public ActivityOutput FailNonRetryable(ActivityArgs args)
    {
        Record();
        throw new ApplicationFailureException("not worth retrying", errorType: "Final", nonRetryable: true);
    }

    /// <summary>Fails the first attempt asking for a retry after the delay (ms) in the argument.</summary>
    [Activity("fail-next-delay")]
    public ActivityOutput FailNextDelay(ActivityArgs args)
    {
        var attempt = Record();
        if (attempt == 1)
        {
            var delay = TimeSpan.FromMilliseconds(int.Parse(args.Value, System.Globalization.CultureInfo.InvariantCulture));
            throw new ApplicationFailureException("retry later", errorType: "Later", nextRetryDelay: delay);
        }
        return new($"ok after {attempt}");
    }

    /// <summary>Never finishes on its own (until cancelled).</summary>
    [Activity("hang")]
    public async Task<ActivityOutput> HangAsync(ActivityArgs args)
    {
        Record();
        Started.TrySetResult(ActivityExecutionContext.Current.Info);
        await Task.Delay(Timeout.Infinite, ActivityExecutionContext.Current.CancellationToken);
        return new(args.Value);
    }

    /// <summary>Heartbeats once, then never finishes.</summary>
    [Activity("heartbeat-once")]
    public async Task<ActivityOutput> HeartbeatOnceAsync(ActivityArgs args)
    {
        Record();
        ActivityExecutionContext.Current.Heartbeat(args.Value);
        await Task.Delay(Timeout.Infinite, ActivityExecutionContext.Current.CancellationToken);
        return new(args.Value);
    }

    /// <summary>Attempt 1 heartbeats the argument and fails; later attempts return the details they were given.</summary>
    [Activity("heartbeat-then-fail")]
    public async Task<ActivityOutput> HeartbeatThenFailAsync(ActivityArgs args)
    {
        var attempt = Record();
        var context = ActivityExecutionContext.Current;
        if (attempt == 1)
        {
            context.Heartbeat(args.Value);
            // Let the throttled heartbeat reach the server before failing.
            await Task.Yield();
            throw new ApplicationFailureException("fail after heartbeat", errorType: "AfterHeartbeat");
        }
        var details = context.Info.HeartbeatDetails.Count > 0
            ? await context.Info.HeartbeatDetailAtAsync<string>(0)
            : "none";
        return new(details);
    }

    /// <summary>Heartbeats until the server reports cancellation, then lets the cancellation surface.</summary>
    [Activity("heartbeat-until-cancel")]
    public async Task<ActivityOutput> HeartbeatUntilCancelAsync(ActivityArgs args)
    {
        Record();
        var context = ActivityExecutionContext.Current;
        Started.TrySetResult(context.Info);
        while (true)
        {
            context.Heartbeat(args.Value);
            await Task.Delay(TimeSpan.FromMilliseconds(50), context.CancellationToken);
        }
    }

    /// <summary>Hands completion to the test (async activity completion by id).</summary>
    [Activity("complete-async")]
    public ActivityOutput CompleteAsync(ActivityArgs args)
    {
        Record();
        Started.TrySetResult(ActivityExecutionContext.Current.Info);
        throw new CompleteAsyncException();
    }

    private int Record()
    {
        var info = ActivityExecutionContext.Current.Info;
        var details = info.HeartbeatDetails.Count > 0 ? info.HeartbeatDetails.First().Data.ToStringUtf8() : null;
        Attempts.Enqueue(new AttemptRecord(info.Attempt, DateTime.UtcNow, details));
        return info.Attempt;
    }
}
