using Microsoft.Extensions.Logging;

namespace MaintenanceWorkflows.Activities.Redaction;

/// <summary>
/// The loggers the Temporal worker hands out (its own, the SDK core's, every workflow's and activity's
/// <c>Logger</c>) pass each line through <see cref="SecretRedactor"/>: the formatted message, every
/// structured value and the exception text, so an outside text that quotes a secret (a remote error echoing
/// a webhook URL, a failure message with a key) is logged as it is recorded in history, redacted.
/// </summary>
public sealed class RedactingLoggerFactory(ILoggerFactory inner, SecretRedactor redactor) : ILoggerFactory
{
    public ILogger CreateLogger(string categoryName) => new RedactingLogger(inner.CreateLogger(categoryName), redactor);

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    /// <summary>The inner factory belongs to the host, which disposes it.</summary>
    public void Dispose()
    {
    }

    private sealed class RedactingLogger(ILogger inner, SecretRedactor redactor) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            ArgumentNullException.ThrowIfNull(formatter);
            if (!inner.IsEnabled(logLevel))
            {
                return;
            }

            var redacted = new RedactedState(redactor.Redact(formatter(state, exception)), Values(state));
            inner.Log(logLevel, eventId, redacted, exception is null ? null : new RedactedException(exception, redactor), static (s, _) => s.Message);
        }

        private List<KeyValuePair<string, object?>> Values<TState>(TState state) =>
            state is IEnumerable<KeyValuePair<string, object?>> pairs
                ? pairs.Select(p => p.Key == "{OriginalFormat}" || p.Value is null or bool or int or long or double or decimal or TimeSpan or DateTime or DateTimeOffset or Enum
                    ? p
                    : new KeyValuePair<string, object?>(p.Key, redactor.Redact(p.Value.ToString()))).ToList()
                : [];
    }

    /// <summary>The structured values, redacted, so providers that write them (JSON console) see no secret either.</summary>
    private sealed class RedactedState(string message, List<KeyValuePair<string, object?>> values) : IReadOnlyList<KeyValuePair<string, object?>>
    {
        public string Message => message;

        public int Count => values.Count;

        public KeyValuePair<string, object?> this[int index] => values[index];

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => values.GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => message;
    }
}

/// <summary>An exception as a log line shows it (type, message, stack, inner exceptions), redacted.</summary>
public sealed class RedactedException : Exception
{
    private readonly string text;

    public RedactedException(Exception original, SecretRedactor redactor)
        : base(Redacted(original, redactor, o => o.Message))
    {
        text = Redacted(original, redactor, o => o.ToString());
    }

    public RedactedException()
    {
        text = string.Empty;
    }

    public RedactedException(string message)
        : base(message)
    {
        text = message;
    }

    public RedactedException(string message, Exception innerException)
        : base(message, innerException)
    {
        text = message;
    }

    public override string ToString() => text;

    private static string Redacted(Exception original, SecretRedactor redactor, Func<Exception, string> part)
    {
        ArgumentNullException.ThrowIfNull(original);
        ArgumentNullException.ThrowIfNull(redactor);
        return redactor.Redact(part(original));
    }
}
