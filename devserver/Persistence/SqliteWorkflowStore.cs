using System.Text.Json;
using MaintenanceWorkflows.DevServer.Engine;
using Microsoft.Data.Sqlite;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.History.V1;

namespace MaintenanceWorkflows.DevServer.Persistence;

/// <summary>
/// Keeps the devserver's state in one SQLite file: namespaces, custom search attributes, every run's
/// history (append-only, one row per event) and its side records. Each engine operation's changes are
/// written in one transaction (WAL journal) before its RPC is answered, so a killed process loses
/// nothing it acknowledged. <c>synchronous=NORMAL</c>: durable across process crashes; an operating
/// system crash may lose the last transactions.
/// </summary>
public sealed class SqliteWorkflowStore : IWorkflowStore, IDisposable
{
    private const int SchemaVersion = 1;

    private readonly SqliteConnection connection;
    private readonly Dictionary<string, int> persistedEvents = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> runSequence = new(StringComparer.Ordinal);
    private readonly HashSet<WorkflowRun> dirty = [];
    private readonly Dictionary<string, IReadOnlyDictionary<string, IndexedValueType>> dirtySearchAttributes = new(StringComparer.Ordinal);
    private readonly SqliteCommand insertEvent;
    private readonly SqliteCommand upsertRun;
    private readonly SqliteCommand readHistory;
    private long nextSequence;

    private SqliteWorkflowStore(SqliteConnection connection)
    {
        this.connection = connection;
        insertEvent = Prepare("INSERT INTO events (run_id, event_id, data) VALUES ($run, $id, $data)", "$run", "$id", "$data");
        upsertRun = Prepare(
            "INSERT INTO runs (run_id, seq, namespace, workflow_id, status, state) VALUES ($run, $seq, $ns, $wf, $status, $state) " +
            "ON CONFLICT (run_id) DO UPDATE SET status = excluded.status, state = excluded.state",
            "$run", "$seq", "$ns", "$wf", "$status", "$state");
        readHistory = Prepare("SELECT data FROM events WHERE run_id = $run ORDER BY event_id", "$run");
    }

    public string Path => connection.DataSource;

    /// <summary>
    /// Opens the database at <paramref name="path"/>, creating it (owner-only, 0600) when the file does not
    /// exist. An existing file must be a devserver database: an empty file, another program's SQLite file or
    /// a damaged one is refused with a one-line reason, never silently started over.
    /// </summary>
    public static SqliteWorkflowStore Open(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = System.IO.Path.GetFullPath(path);
        var directory = System.IO.Path.GetDirectoryName(full);
        if (directory != null && !Directory.Exists(directory))
        {
            throw new ArgumentException($"database directory '{directory}' does not exist; create it or choose another --db path", nameof(path));
        }
        var created = CreateOwnerOnly(full);
        if (!created && new FileInfo(full).Length == 0)
        {
            throw new InvalidOperationException(
                $"database '{full}' exists but is empty (0 bytes), so its state is gone or it was never a devserver database; " +
                "refusing to start over it: delete it to start fresh, or restore it from a copy");
        }
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = full,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
        }.ToString());
        try
        {
            connection.Open();
            if (!created)
            {
                RequireDevServerDatabase(connection, full);
            }
            Execute(connection, """
                PRAGMA journal_mode = WAL;
                PRAGMA synchronous = NORMAL;
                CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS namespaces (name TEXT PRIMARY KEY, id TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS search_attributes (
                    namespace TEXT NOT NULL, name TEXT NOT NULL, type INTEGER NOT NULL, PRIMARY KEY (namespace, name));
                CREATE TABLE IF NOT EXISTS runs (
                    run_id TEXT PRIMARY KEY, seq INTEGER NOT NULL, namespace TEXT NOT NULL, workflow_id TEXT NOT NULL,
                    status INTEGER NOT NULL, state BLOB NOT NULL);
                CREATE TABLE IF NOT EXISTS events (
                    run_id TEXT NOT NULL, event_id INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (run_id, event_id)) WITHOUT ROWID;
                INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', '1');
                """);
            using var version = connection.CreateCommand();
            version.CommandText = "SELECT value FROM meta WHERE key = 'schema'";
            if (version.ExecuteScalar() as string != SchemaVersion.ToString(System.Globalization.CultureInfo.InvariantCulture))
            {
                throw new InvalidOperationException($"database '{full}' was written by another devserver version; use a new file");
            }
        }
        catch (SqliteException ex)
        {
            connection.Dispose();
            throw new InvalidOperationException($"cannot use '{full}' as a devserver database: {ex.Message}", ex);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
        return new SqliteWorkflowStore(connection);
    }

    /// <summary>Creates the file readable and writable by its owner only; false when it already exists.</summary>
    private static bool CreateOwnerOnly(string full)
    {
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                // SQLite gives its -wal and -shm files the main file's permissions.
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }
            using (new FileStream(full, options))
            {
            }
            return true;
        }
        catch (IOException) when (File.Exists(full))
        {
            return false;
        }
    }

    /// <summary>An existing file must pass SQLite's quick check and hold the devserver's tables (or no tables at all).</summary>
    private static void RequireDevServerDatabase(SqliteConnection connection, string full)
    {
        using var check = connection.CreateCommand();
        check.CommandText = "PRAGMA quick_check";
        var verdict = check.ExecuteScalar() as string;
        if (verdict != "ok")
        {
            // quick_check lists problems one per line; the refusal stays one line.
            var problems = (verdict ?? "no answer").Replace("*** in database main ***", string.Empty, StringComparison.Ordinal)
                .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var summary = problems.Length == 0 ? "unknown problem" : $"{problems[0]}{(problems.Length > 1 ? $" and {problems.Length - 1} more" : string.Empty)}";
            throw new InvalidOperationException(
                $"database '{full}' is damaged (SQLite quick_check: {summary}); refusing to start over it: restore it from a copy, or choose a new --db file");
        }
        using var tables = connection.CreateCommand();
        tables.CommandText = "SELECT count(*), sum(name = 'meta') FROM sqlite_master WHERE type = 'table'";
        using var reader = tables.ExecuteReader();
        reader.Read();
        if (reader.GetInt64(0) > 0 && (reader.IsDBNull(1) || reader.GetInt64(1) == 0))
        {
            throw new InvalidOperationException(
                $"'{full}' is an SQLite database of another program (it has no devserver tables); choose another --db file");
        }
    }

    public StoredState Load()
    {
        try
        {
            return LoadAll();
        }
        catch (Exception ex) when (ex is Google.Protobuf.InvalidProtocolBufferException or JsonException or SqliteException or InvalidCastException)
        {
            throw new InvalidOperationException(
                $"database '{Path}' is damaged and cannot be read ({ex.GetType().Name}: {ex.Message}); " +
                "restore it from a copy, or start with a new --db file (the damaged one is left as it is)", ex);
        }
    }

    private StoredState LoadAll()
    {
        var namespaces = new List<(string, string)>();
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT name, id FROM namespaces ORDER BY name";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                namespaces.Add((reader.GetString(0), reader.GetString(1)));
            }
        }
        var searchAttributes = new Dictionary<string, Dictionary<string, IndexedValueType>>(StringComparer.Ordinal);
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT namespace, name, type FROM search_attributes";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                var ns = reader.GetString(0);
                if (!searchAttributes.TryGetValue(ns, out var attributes))
                {
                    attributes = new Dictionary<string, IndexedValueType>(StringComparer.Ordinal);
                    searchAttributes[ns] = attributes;
                }
                attributes[reader.GetString(1)] = (IndexedValueType)reader.GetInt32(2);
            }
        }
        // Every event is read and parsed (a damaged one is found now, not when a worker needs it), but only each
        // history's size and its first and last events are kept: the rest is read back when a run needs it.
        var histories = new Dictionary<string, StoredHistory>(StringComparer.Ordinal);
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT run_id, data FROM events ORDER BY run_id, event_id";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                var runId = reader.GetString(0);
                var data = (byte[])reader[1];
                var evt = HistoryEvent.Parser.ParseFrom(data);
                histories[runId] = histories.TryGetValue(runId, out var seen)
                    ? seen with { Count = seen.Count + 1, Bytes = seen.Bytes + data.Length, Last = evt }
                    : new StoredHistory(1, data.Length, evt, evt);
            }
        }
        var runs = new List<(RunRecord, StoredHistory)>();
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT run_id, seq, state FROM runs ORDER BY seq";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                var runId = reader.GetString(0);
                var record = JsonSerializer.Deserialize<RunRecord>((byte[])reader[2])
                    ?? throw new InvalidOperationException($"run {runId} has no state in '{Path}'");
                var events = histories.GetValueOrDefault(runId) ?? StoredHistory.None;
                persistedEvents[runId] = events.Count;
                runSequence[runId] = reader.GetInt64(1);
                nextSequence = Math.Max(nextSequence, reader.GetInt64(1) + 1);
                runs.Add((record, events));
            }
        }
        return new StoredState(
            namespaces,
            searchAttributes.ToDictionary(p => p.Key, p => (IReadOnlyDictionary<string, IndexedValueType>)p.Value, StringComparer.Ordinal),
            runs);
    }

    public bool KeepsHistories => true;

    public bool IsWritten(WorkflowRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        return !dirty.Contains(run) && persistedEvents.GetValueOrDefault(run.RunId) == run.History.Count;
    }

    public IReadOnlyList<HistoryEvent> ReadHistory(string runId)
    {
        readHistory.Parameters["$run"].Value = runId;
        var events = new List<HistoryEvent>();
        using var reader = readHistory.ExecuteReader();
        while (reader.Read())
        {
            events.Add(HistoryEvent.Parser.ParseFrom((byte[])reader[0]));
        }
        return events;
    }

    public void NamespacesChanged(IReadOnlyCollection<(string Name, string Id)> namespaces)
    {
        using var transaction = connection.BeginTransaction();
        foreach (var (name, id) in namespaces)
        {
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "INSERT INTO namespaces (name, id) VALUES ($name, $id) ON CONFLICT (name) DO NOTHING";
            command.Parameters.AddWithValue("$name", name);
            command.Parameters.AddWithValue("$id", id);
            command.ExecuteNonQuery();
        }
        transaction.Commit();
    }

    public void RunChanged(WorkflowRun run) => dirty.Add(run);

    public void SearchAttributesChanged(string ns, IReadOnlyDictionary<string, IndexedValueType> custom) =>
        dirtySearchAttributes[ns] = custom;

    public void Flush()
    {
        if (dirty.Count == 0 && dirtySearchAttributes.Count == 0)
        {
            return;
        }
        using var transaction = connection.BeginTransaction();
        insertEvent.Transaction = transaction;
        upsertRun.Transaction = transaction;
        var written = new List<(string RunId, int Events)>();
        foreach (var run in dirty)
        {
            var from = persistedEvents.GetValueOrDefault(run.RunId);
            for (var i = from; i < run.History.Count; i++)
            {
                var evt = run.History[i];
                insertEvent.Parameters["$run"].Value = run.RunId;
                insertEvent.Parameters["$id"].Value = evt.EventId;
                insertEvent.Parameters["$data"].Value = Google.Protobuf.MessageExtensions.ToByteArray(evt);
                insertEvent.ExecuteNonQuery();
            }
            if (!runSequence.TryGetValue(run.RunId, out var seq))
            {
                seq = nextSequence++;
                runSequence[run.RunId] = seq;
            }
            upsertRun.Parameters["$run"].Value = run.RunId;
            upsertRun.Parameters["$seq"].Value = seq;
            upsertRun.Parameters["$ns"].Value = run.Namespace;
            upsertRun.Parameters["$wf"].Value = run.WorkflowId;
            upsertRun.Parameters["$status"].Value = (int)run.Status;
            upsertRun.Parameters["$state"].Value = JsonSerializer.SerializeToUtf8Bytes(RunRecord.From(run));
            upsertRun.ExecuteNonQuery();
            written.Add((run.RunId, run.History.Count));
        }
        foreach (var (ns, custom) in dirtySearchAttributes)
        {
            using var delete = connection.CreateCommand();
            delete.Transaction = transaction;
            delete.CommandText = "DELETE FROM search_attributes WHERE namespace = $ns";
            delete.Parameters.AddWithValue("$ns", ns);
            delete.ExecuteNonQuery();
            foreach (var (name, type) in custom)
            {
                using var insert = connection.CreateCommand();
                insert.Transaction = transaction;
                insert.CommandText = "INSERT INTO search_attributes (namespace, name, type) VALUES ($ns, $name, $type)";
                insert.Parameters.AddWithValue("$ns", ns);
                insert.Parameters.AddWithValue("$name", name);
                insert.Parameters.AddWithValue("$type", (int)type);
                insert.ExecuteNonQuery();
            }
        }
        transaction.Commit();
        // Only once the transaction is in: a failed write is retried whole by the next flush.
        foreach (var (runId, events) in written)
        {
            persistedEvents[runId] = events;
        }
        dirty.Clear();
        dirtySearchAttributes.Clear();
    }

    public void Dispose()
    {
        insertEvent.Dispose();
        upsertRun.Dispose();
        readHistory.Dispose();
        connection.Dispose();
    }

    private SqliteCommand Prepare(string sql, params string[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var name in parameters)
        {
            command.Parameters.Add(new SqliteParameter { ParameterName = name });
        }
        return command;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
