using System.Collections.Concurrent;
using Azure.Storage.Queues;
using Claims.Functions.Hosting;
using Claims.LocalHost;
using Claims.Storage;
using Claims.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Claims.Functions.Tests.Hosting;

/// <summary>The local queue trigger against a real Azurite queue: delete on success, retry, poison, graceful shutdown.</summary>
[Collection(AppCollection.Name)]
public sealed class QueueListenerTests(AzuriteFixture azurite)
{
    private readonly StorageClients storage = StorageClients.Create(StorageConnection.FromConnectionString(azurite.ConnectionString));

    [Fact]
    public async Task Listener_HandlerSucceeds_EveryMessageRunsOnceAndIsDeleted()
    {
        var (queue, _) = await NewQueueAsync();
        var probe = new Probe();
        for (var i = 0; i < 20; i++)
        {
            await queue.SendMessageAsync($"message {i}");
        }

        using var listener = Listener(queue.Name, probe, new QueuesOptions { BatchSize = 4, NewBatchThreshold = 2 });
        await listener.StartAsync(CancellationToken.None);
        await WaitUntilAsync(() => probe.Runs.Count >= 20);
        await listener.StopAsync(CancellationToken.None);

        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"message {i}").Order(), probe.Runs.Keys.Order());
        Assert.All(probe.Runs.Values, count => Assert.Equal(1, count));
        Assert.Equal(0, await queue.GetApproximateCountAsync());
    }

    [Fact]
    public async Task Listener_HandlerAlwaysFails_MessageMovesToPoisonAfterMaxDequeueCount()
    {
        var (queue, poison) = await NewQueueAsync();
        var probe = new Probe { Fail = true };
        await queue.SendMessageAsync("bad message");

        using var listener = Listener(queue.Name, probe, new QueuesOptions { MaxDequeueCount = 3, VisibilityTimeout = TimeSpan.Zero });
        await listener.StartAsync(CancellationToken.None);
        await WaitUntilAsync(async () => await poison.GetApproximateCountAsync() == 1);
        await listener.StopAsync(CancellationToken.None);

        Assert.Equal(3, probe.Runs["bad message"]);
        Assert.Equal(0, await queue.GetApproximateCountAsync());
        var poisoned = Assert.Single((await poison.PeekMessagesAsync(1)).Value);
        Assert.Equal("bad message", poisoned.Text);
    }

    [Fact]
    public async Task Listener_FailedMessage_WaitsTheVisibilityTimeoutBeforeTheRetry()
    {
        var (queue, _) = await NewQueueAsync();
        var probe = new Probe { FailFirst = true };
        await queue.SendMessageAsync("retry me");

        using var listener = Listener(queue.Name, probe, new QueuesOptions { VisibilityTimeout = TimeSpan.FromSeconds(2) });
        await listener.StartAsync(CancellationToken.None);
        await WaitUntilAsync(() => probe.Runs.GetValueOrDefault("retry me") >= 2);
        await listener.StopAsync(CancellationToken.None);

        var gap = probe.Times[1] - probe.Times[0];
        Assert.True(gap >= TimeSpan.FromSeconds(1.5), $"retried after {gap}");
        Assert.Equal(0, await queue.GetApproximateCountAsync());
    }

    [Fact]
    public async Task Listener_ShutdownWithMessageInFlight_MakesItVisibleAgainAtOnce()
    {
        var (queue, _) = await NewQueueAsync();
        var probe = new Probe { Block = true };
        await queue.SendMessageAsync("slow message");

        var listener = Listener(queue.Name, probe, new QueuesOptions { ShutdownGracePeriod = TimeSpan.FromMilliseconds(300) });
        await listener.StartAsync(CancellationToken.None);
        await WaitUntilAsync(() => probe.Runs.ContainsKey("slow message"));
        await listener.StopAsync(CancellationToken.None);
        listener.Dispose();

        // Visible now, not after the 10-minute lease: another instance can take it over straight away.
        var again = (await queue.ReceiveMessagesAsync(1, TimeSpan.FromSeconds(30))).Value;
        var message = Assert.Single(again);
        Assert.Equal("slow message", message.Text);
        Assert.True(probe.Cancelled);
    }

    private async Task<(QueueClient Queue, QueueClient Poison)> NewQueueAsync()
    {
        var name = AzuriteFixture.UniqueQueueName("listener-");
        var queue = storage.Queue(name);
        var poison = storage.Queue(name + "-poison");
        await queue.CreateIfNotExistsAsync();
        await poison.CreateIfNotExistsAsync();
        return (queue, poison);
    }

    private QueueListener Listener(string queueName, Probe probe, QueuesOptions options)
    {
        options.MaxPollingInterval = TimeSpan.FromMilliseconds(200);
        var services = new ServiceCollection().AddSingleton(probe).AddScoped<ProbeFunction>().BuildServiceProvider();
        return new QueueListener(
            "Probe",
            queueName,
            async invocation =>
            {
                await invocation.Services.GetRequiredService<ProbeFunction>().RunAsync(invocation.Message!, invocation.Cancellation);
                return null;
            },
            storage,
            services.GetRequiredService<IServiceScopeFactory>(),
            Options.Create(options),
            TimeProvider.System,
            NullLogger<QueueListener>.Instance);
    }

    private static async Task WaitUntilAsync(Func<bool> condition) => await WaitUntilAsync(() => Task.FromResult(condition()));

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("The listener did not get there in 30 s.");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>What the test function saw.</summary>
    public sealed class Probe
    {
        public ConcurrentDictionary<string, int> Runs { get; } = new();

        public ConcurrentQueue<DateTimeOffset> TimesQueue { get; } = new();

        public DateTimeOffset[] Times => [.. TimesQueue];

        public bool Fail { get; init; }

        public bool FailFirst { get; init; }

        public bool Block { get; init; }

        public bool Cancelled { get; set; }
    }

    /// <summary>A queue function that records its runs and fails or blocks as told.</summary>
    public sealed class ProbeFunction(Probe probe)
    {
        public async Task RunAsync(Azure.Storage.Queues.Models.QueueMessage message, CancellationToken cancellationToken)
        {
            var count = probe.Runs.AddOrUpdate(message.MessageText, 1, (_, c) => c + 1);
            probe.TimesQueue.Enqueue(DateTimeOffset.UtcNow);
            if (probe.Block)
            {
                try
                {
                    await Task.Delay(Timeout.Infinite, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    probe.Cancelled = true;
                    throw;
                }
            }

            if (probe.Fail || (probe.FailFirst && count == 1))
            {
                throw new InvalidOperationException("The probe was told to fail.");
            }
        }
    }
}
