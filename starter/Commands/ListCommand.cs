using System.CommandLine;
using MaintenanceWorkflows.Workflows;
using MaintenanceWorkflows.Workflows.Plans;

namespace MaintenanceWorkflows.Starter.Commands;

/// <summary>`starter list [--phase P] [--all]`: windows grouped by phase, from the visibility store.</summary>
public static class ListCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var phaseOption = new Option<WindowPhase?>("--phase") { Description = "Only windows in this phase." };
        var all = new Option<bool>("--all") { Description = "Include closed windows (default: running ones only)." };
        var command = new Command("list", "List maintenance windows by phase.") { phaseOption, all };
        command.SetAction((parse, _) => RunAsync(parse, parse.GetValue(phaseOption), parse.GetValue(all), output, error));
        return command;
    }

    public static string Query(WindowPhase? phase, bool includeClosed)
    {
        var query = $"WorkflowType = '{nameof(MaintenanceWindowWorkflow)}'";
        if (phase is { } p)
        {
            query += $" AND Phase = '{p}'";
        }
        if (!includeClosed)
        {
            query += " AND ExecutionStatus = 'Running'";
        }
        return query + " ORDER BY WindowStart ASC";
    }

    public static async Task<int> RunAsync(ParseResult parse, WindowPhase? phase, bool includeClosed, TextWriter output, TextWriter error)
    {
        var client = await Connection.ConnectAsync(parse, error);
        if (client is null)
        {
            return Connection.ExitUnavailable;
        }
        var rows = new List<(string Phase, string Id, DateTimeOffset? Start, string Type, string Title)>();
        try
        {
            await foreach (var execution in client.ListWorkflowsAsync(Query(phase, includeClosed)))
            {
                var attributes = execution.TypedSearchAttributes;
                attributes.TryGetValue(MaintenanceSearchAttributes.Phase, out var windowPhase);
                DateTimeOffset? start = attributes.TryGetValue(MaintenanceSearchAttributes.WindowStart, out var s) ? s : null;
                attributes.TryGetValue(MaintenanceSearchAttributes.MaintenanceType, out var type);
                var title = execution.Memo.TryGetValue("Title", out var memo) ? await memo.ToValueAsync<string>() : string.Empty;
                rows.Add((windowPhase ?? "?", execution.Id, start, type ?? "?", title));
            }
        }
        catch (Exception e) when (Connection.TryExplain(e, "(list)", error, out var exit))
        {
            return exit;
        }
        if (rows.Count == 0)
        {
            output.WriteLine(includeClosed ? "no maintenance windows." : "no running maintenance windows (use --all to include closed ones).");
            return 0;
        }
        foreach (var group in rows.GroupBy(r => r.Phase).OrderBy(g => Enum.TryParse<WindowPhase>(g.Key, out var p) ? (int)p : int.MaxValue))
        {
            output.WriteLine($"{group.Key} ({group.Count()})");
            foreach (var row in group)
            {
                output.WriteLine($"  {row.Id,-40} {(row.Start is { } start ? ZoneMath.FormatUtc(start) : "?"),-21} {row.Type,-10} {row.Title}");
            }
        }
        return 0;
    }
}
