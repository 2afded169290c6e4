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
            // A window running a rollout shows it after its phase ("InProgress: rollout 'x': batch 2 ..."): match both.
            query += $" AND (Phase = '{p}' OR Phase STARTS_WITH '{p}:')";
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
                var (bare, detail) = SplitPhase(windowPhase);
                rows.Add((bare, execution.Id, start, type ?? "?", detail is null ? title : $"{title} [{detail}]"));
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

    /// <summary>"InProgress: rollout 'x': batch 2 ..." is the phase InProgress with what it is doing; a bare phase has no detail.</summary>
    public static (string Phase, string? Detail) SplitPhase(string? attribute)
    {
        if (attribute is null)
        {
            return ("?", null);
        }
        var colon = attribute.IndexOf(':', StringComparison.Ordinal);
        return colon < 0 ? (attribute, null) : (attribute[..colon], attribute[(colon + 1)..].Trim());
    }
}
