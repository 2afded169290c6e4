using System.Net;
using MaintenanceWorkflows.Workflows.Contracts;
using Microsoft.Extensions.Options;
using Refit;
using Temporalio.Exceptions;

namespace MaintenanceWorkflows.Activities.Notifications.Channels;

/// <summary>
/// Creates and moves the window's scheduled maintenance. The maintenance is found again by the window id
/// in its name, so a retry after a lost response never creates a second one.
/// </summary>
public sealed class StatusPageClient(IStatusPageApi api, IOptions<StatusPageOptions> options)
{
    public bool IsConfigured => options.Value.IsConfigured;

    public static string Marker(string windowId) => $"[{windowId}]";

    public static string ApiStatus(StatusPageMaintenanceStatus status) => status switch
    {
        StatusPageMaintenanceStatus.Scheduled => "scheduled",
        StatusPageMaintenanceStatus.InProgress => "in_progress",
        StatusPageMaintenanceStatus.Completed => "completed",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "unknown status"),
    };

    public async Task<StatusPageUpdateResult> UpsertAsync(StatusPageUpdateInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        var settings = options.Value;
        if (!settings.IsConfigured)
        {
            throw new ApplicationFailureException("The status page is not configured on this worker; set StatusPage:BaseUrl, StatusPage:PageId and StatusPage:ApiKey.", ActivityErrorTypes.UnknownName, nonRetryable: true);
        }

        if (string.IsNullOrWhiteSpace(input.WindowId) || string.IsNullOrWhiteSpace(input.Title))
        {
            throw new ApplicationFailureException("StatusPageUpdateInput needs WindowId and Title.", ActivityErrorTypes.InvalidInput, nonRetryable: true);
        }

        if (input.ScheduledUntil <= input.ScheduledFor)
        {
            throw new ApplicationFailureException($"StatusPageUpdateInput for {input.WindowId}: ScheduledUntil ({input.ScheduledUntil:u}) must be after ScheduledFor ({input.ScheduledFor:u}).", ActivityErrorTypes.InvalidInput, nonRetryable: true);
        }

        var pageId = settings.PageId!;
        var marker = Marker(input.WindowId);
        var found = await CallAsync("search incidents", () => api.SearchIncidentsAsync(pageId, input.WindowId, 100, cancellationToken));
        var existing = found.FirstOrDefault(i => i.Name?.EndsWith(marker, StringComparison.Ordinal) == true);
        var fields = new StatusPageIncidentFields
        {
            Name = $"{input.Title} {marker}",
            Status = ApiStatus(input.Status),
            Body = input.Body,
            ScheduledFor = input.ScheduledFor.ToUniversalTime(),
            ScheduledUntil = input.ScheduledUntil.ToUniversalTime(),
            ScheduledRemindPrior = existing is null ? true : null,
            ComponentIds = input.ComponentIds is { Count: > 0 } ? input.ComponentIds : null,
        };

        var incident = existing?.Id is { } id
            ? await CallAsync("update incident", () => api.UpdateIncidentAsync(pageId, id, new StatusPageIncidentRequest { Incident = fields }, cancellationToken))
            : await CallAsync("create incident", () => api.CreateIncidentAsync(pageId, new StatusPageIncidentRequest { Incident = fields }, cancellationToken));
        return new StatusPageUpdateResult(incident.Id ?? existing?.Id ?? string.Empty, input.Status, existing is null, incident.Shortlink);
    }

    private static async Task<T> CallAsync<T>(string action, Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (ApiException e)
        {
            var status = (int)e.StatusCode;
            var retryable = status is 408 or 429 or >= 500;
            var hint = e.StatusCode == HttpStatusCode.Unauthorized ? " Check StatusPage:ApiKey." : e.StatusCode == HttpStatusCode.NotFound ? " Check StatusPage:PageId." : string.Empty;
            var body = e.Content is { Length: > 200 } c ? c[..200] : e.Content;
            throw new ApplicationFailureException(
                $"Status page {action} failed: HTTP {status}: {body}.{hint}",
                retryable ? ActivityErrorTypes.RemoteUnavailable : ActivityErrorTypes.RemoteRejected,
                nonRetryable: !retryable);
        }
        catch (ApiRequestException e)
        {
            throw Aws.AwsCall.Transport("Status page", action, e);
        }
    }
}
