using MaintenanceWorkflows.Starter.Postmortem;
using MaintenanceWorkflows.Workflows;
using MaintenanceWorkflows.Workflows.Plans;

namespace MaintenanceWorkflows.EndToEnd.Tests.Windows;

/// <summary>Issue 13 row: an allow-listed `/usr/bin/env` step must not carry the worker's secrets into history or the postmortem.</summary>
public sealed class SecretLeakTests
{
    private const string WorkerSecretName = "MW_E2E_WORKER_ONLY_SECRET";
    private const string WorkerSecret = "worker-environment-secret-5e6f7a";
    private const string ToolToken = "command-own-token-8b9c0d";

    private static IEnumerable<string> PayloadTexts(Google.Protobuf.IMessage message)
    {
        foreach (var field in message.Descriptor.Fields.InFieldNumberOrder())
        {
            var value = field.Accessor.GetValue(message);
            var items = value switch
            {
                System.Collections.IDictionary map => map.Values.Cast<object>(),
                System.Collections.IEnumerable list and not string and not Google.Protobuf.ByteString => list.Cast<object>(),
                _ => [value],
            };
            foreach (var item in items)
            {
                switch (item)
                {
                    case Temporalio.Api.Common.V1.Payload payload:
                        yield return payload.Data.ToStringUtf8();
                        break;
                    case Google.Protobuf.IMessage child:
                        foreach (var text in PayloadTexts(child))
                        {
                            yield return text;
                        }

                        break;
                }
            }
        }
    }

    [Fact]
    public async Task Run_UsrBinEnvStep_NoWorkerSecretInHistoryReportOrPostmortem()
    {
        Environment.SetEnvironmentVariable(WorkerSecretName, WorkerSecret);
        await using var harness = await WindowHarness.StartAsync(new Dictionary<string, string?>
        {
            ["Commands:env-dump:Executable"] = "/usr/bin/env",
            ["Commands:env-dump:Environment:TOOL_TOKEN"] = ToolToken,
        });
        var plan = await harness.PlanAsync("lambda-v40-promotion.yaml");
        plan = plan with { Steps = [new CommandStep
        {
            Id = "env-dump",
            Title = "Print the command's environment",
            Command = "env-dump",
            Rollback = new CommandStep { Id = "env-dump-again", Title = "Print it again", Command = "env-dump" },
        }, .. plan.Steps] };
        var handle = await harness.ScheduleAsync(plan);
        await harness.ApproveAsync(handle);
        await WindowHarness.AcknowledgeChecklistAsync(handle, plan);

        var report = await handle.GetResultAsync();
        var history = await handle.FetchHistoryAsync();
        var directory = Directory.CreateTempSubdirectory("secret-leak-").FullName;
        try
        {
            var files = PostmortemWriter.Write(history, directory, DateTimeOffset.UtcNow, saveHistory: false);
            var postmortem = await File.ReadAllTextAsync(files.MarkdownPath);
            // Payloads are base64 in the JSON form, so their decoded text is searched too.
            var json = history.ToJson() + string.Concat(history.Events.SelectMany(e => PayloadTexts(e)));

            Assert.True(report.Outcome == WindowPhase.Completed, report.Summary);
            Assert.Contains("TOOL_TOKEN=[redacted]", json, StringComparison.Ordinal);
            foreach (var secret in new[] { WorkerSecret, ToolToken, harness.SigningKey })
            {
                Assert.DoesNotContain(secret, json, StringComparison.Ordinal);
                Assert.DoesNotContain(secret, postmortem, StringComparison.Ordinal);
            }

            Assert.DoesNotContain(WorkerSecretName, json, StringComparison.Ordinal);
        }
        finally
        {
            Environment.SetEnvironmentVariable(WorkerSecretName, null);
            Directory.Delete(directory, recursive: true);
        }
    }
}
