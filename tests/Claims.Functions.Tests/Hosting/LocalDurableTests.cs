using System.Reflection;
using System.Text.Json.Nodes;
using Claims.LocalHost;
using Claims.Functions.Tests.Security;
using Claims.Testing;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Claims.Functions.Tests.Hosting;

/// <summary>
/// The local host's Durable wiring against a real Azurite: orchestrator and activity functions (bound as from
/// functions.metadata) run on the Azure Storage backend through the gRPC sidecar; events and timers reach them; a
/// second host on the same task hub picks up where a stopped one left off.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class LocalDurableTests(AzuriteFixture azurite) : IDisposable
{
    private readonly CapturingLoggerProvider log = new();

    public void Dispose() => log.Dispose();

    [Fact]
    public async Task Orchestration_CallsItsActivity_WaitsForAnEvent_AndCompletesWithTheirResults()
    {
        var hub = "LocalDurable" + Guid.NewGuid().ToString("N")[..10];
        using var host = await StartAsync(hub);
        var client = host.Services.GetRequiredService<DurableTaskClient>();

        var id = await client.ScheduleNewOrchestrationInstanceAsync(nameof(Probe.ProbeOrchestrator), new ProbeInput("claim-1", 3));
        await WaitForStatusAsync(client, id, s => s.RuntimeStatus == OrchestrationRuntimeStatus.Running && s.SerializedCustomStatus == "\"waiting\"");
        await client.RaiseEventAsync(id, "Release", "override");
        var done = await client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal("claim-1:6:override", done.ReadOutputAs<string>());
    }

    [Fact]
    public async Task Orchestration_HostStoppedWhileWaiting_AnotherHostOnTheHubFinishesIt()
    {
        var hub = "LocalDurable" + Guid.NewGuid().ToString("N")[..10];
        string id;
        using (var first = await StartAsync(hub))
        {
            var client = first.Services.GetRequiredService<DurableTaskClient>();
            id = await client.ScheduleNewOrchestrationInstanceAsync(nameof(Probe.ProbeOrchestrator), new ProbeInput("claim-2", 1));
            // Not merely "has a custom status": an orchestration that has not set one reads back as the JSON text null.
            // Stopped before its activity's result was checkpointed, that result's message stays locked on the queue
            // for the visibility timeout, longer than this test waits.
            await WaitForStatusAsync(client, id, s => s.SerializedCustomStatus == "\"waiting\"");
            await first.StopAsync();

            // In one process the stopped host's backend drains and lets go of its partitions after the stop returned (a
            // process that ends lets its leases expire instead): an event raised meanwhile would land in its memory.
            await first.Services.GetRequiredService<DurableSidecar>().BackendStopped.WaitAsync(TimeSpan.FromMinutes(2));
        }

        using var second = await StartAsync(hub);
        var resumed = second.Services.GetRequiredService<DurableTaskClient>();
        await resumed.RaiseEventAsync(id, "Release", "reevaluate");
        OrchestrationMetadata done;
        try
        {
            done = await resumed.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, new CancellationTokenSource(TimeSpan.FromSeconds(180)).Token);
        }
        catch (OperationCanceledException)
        {
            var state = await resumed.GetInstanceAsync(id, getInputsAndOutputs: true);
            Assert.Fail($"orchestration {id} not completed (status {state?.RuntimeStatus}, custom {state?.SerializedCustomStatus}); backend log:\n"
                + string.Join('\n', log.Lines.Where(l => l.Contains("DurableTask", StringComparison.Ordinal) && !l.Contains(" scope: ", StringComparison.Ordinal)).TakeLast(150)));
            throw;
        }

        Assert.Equal("claim-2:2:reevaluate", done.ReadOutputAs<string>());
    }

    private async Task<IHost> StartAsync(string hub)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = azurite.ConnectionString,
            [$"{TaskHubSettings.Section}:hubName"] = hub,
            [$"{TaskHubSettings.Section}:storageProvider:partitionCount"] = "2",
            [$"{TaskHubSettings.Section}:storageProvider:maxQueuePollingInterval"] = "00:00:00.500",
        });
        builder.Logging.AddProvider(log);
        builder.Services.AddLocalDurable(Probe.Functions);
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    private static async Task WaitForStatusAsync(DurableTaskClient client, string id, Func<OrchestrationMetadata, bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var state = await client.GetInstanceAsync(id, getInputsAndOutputs: true);
            if (state is not null && condition(state))
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"orchestration {id} never got there (status {state?.RuntimeStatus})");
            await Task.Delay(200);
        }
    }

    public sealed record ProbeInput(string Claim, int Units);

    /// <summary>An orchestrator and an activity written as the app writes them ([Function] + triggers), bound by the
    /// local host from metadata entries like the Worker SDK's.</summary>
    public static class Probe
    {
        public static IReadOnlyList<LocalFunction> Functions { get; } =
        [
            Entry(nameof(ProbeOrchestrator), new JsonObject { ["name"] = "context", ["type"] = "orchestrationTrigger", ["direction"] = "In" }),
            Entry(nameof(DoubleUnits), new JsonObject { ["name"] = "input", ["type"] = "activityTrigger", ["direction"] = "In" }),
        ];

        [Function(nameof(ProbeOrchestrator))]
        public static async Task<string> ProbeOrchestrator([OrchestrationTrigger] TaskOrchestrationContext context, ProbeInput input)
        {
            ArgumentNullException.ThrowIfNull(context);
            ArgumentNullException.ThrowIfNull(input);
            var units = await context.CallActivityAsync<int>(nameof(DoubleUnits), input.Units);
            context.SetCustomStatus("waiting");
            using var cancelTimer = new CancellationTokenSource();
            var release = context.WaitForExternalEvent<string>("Release");
            var timeout = context.CreateTimer(context.CurrentUtcDateTime.AddHours(1), cancelTimer.Token);
            var winner = await Task.WhenAny(release, timeout);

            // Durable does not complete an orchestration while a timer is outstanding: cancel the loser, synchronously
            // (CancelAsync would resume the orchestrator off its episode).
#pragma warning disable CA1849
            cancelTimer.Cancel();
#pragma warning restore CA1849
            return $"{input.Claim}:{units}:{(winner == release ? release.Result : "timeout")}";
        }

        [Function(nameof(DoubleUnits))]
        public static Task<int> DoubleUnits([ActivityTrigger] int input) => Task.FromResult(input * 2);

        private static LocalFunction Entry(string name, JsonObject trigger) =>
            new(name, typeof(Probe).GetMethod(name, BindingFlags.Public | BindingFlags.Static)!, trigger);
    }
}
