using Claims.LocalHost;
using System.Collections.Concurrent;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Claims.Application;
using Claims.Application.Rules;
using Claims.Application.Storage;
using Claims.Core.Claims;
using Claims.Functions.Hosting;
using Claims.Storage;
using Claims.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using static Claims.Functions.Tests.ChargeTallyTests;

namespace Claims.Functions.Tests;

/// <summary>
/// Charge baselines against a real Azurite: Observe, flush, read back; several flushes and several instances add up;
/// tenants never see each other's figures; the cache answers a warm instance without a storage call.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class ChargeBaselineTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private readonly StorageClients storage = StorageClients.Create(StorageConnection.FromConnectionString(azurite.ConnectionString));

    public Task InitializeAsync() => storage.Table(StorageNames.ChargeStatsTable).CreateIfNotExistsAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task ObserveFlushGet_MeanOnlyForCodesWithEnoughSamples()
    {
        var tenant = NewTenant();
        var baselines = New(minimumSamples: 3);
        baselines.Observe(tenant, Claim(Item(["97153"], charge: 40m, units: 4m), Item(["97155"], charge: 90m, units: 1m)));
        baselines.Observe(tenant, Claim(Item(["97153"], charge: 40m, units: 2m), Item(["97155"], charge: 110m, units: 1m)));
        baselines.Observe(tenant, Claim(Item(["97153"], charge: 30m, units: 1m)));

        var flushed = await baselines.FlushAsync(CancellationToken.None);

        Assert.Equal(new ChargeFlushResult(2, 0), flushed);
        var cold = New(minimumSamples: 3);
        foreach (var usual in new[] { await baselines.GetUsualChargesAsync(tenant, CancellationToken.None), await cold.GetUsualChargesAsync(tenant, CancellationToken.None) })
        {
            // 97153: 10, 20, 30 per unit → 20. 97155: two charges only, below the minimum.
            Assert.Equal(20m, Assert.Single(usual).Value);
            Assert.Equal(20m, usual["97153"]);
            Assert.False(usual.ContainsKey("97155"));
        }
    }

    [Fact]
    public async Task TwoFlushes_AddUpInTheRow()
    {
        var tenant = NewTenant();
        var baselines = New(minimumSamples: 4);
        baselines.Observe(tenant, Claim(Item(["G0283"], charge: 10m, units: 1m)));
        baselines.Observe(tenant, Claim(Item(["g0283"], charge: 20m, units: 1m)));
        await baselines.FlushAsync(CancellationToken.None);
        Assert.Empty(await New(minimumSamples: 4).GetUsualChargesAsync(tenant, CancellationToken.None));

        baselines.Observe(tenant, Claim(Item(["G0283"], charge: 90m, units: 4m)));
        baselines.Observe(tenant, Claim(Item(["G0283"], charge: 40m, units: 1m)));
        await baselines.FlushAsync(CancellationToken.None);

        var row = await storage.Table(StorageNames.ChargeStatsTable).GetEntityOrDefaultAsync(tenant.Value, "G0283");
        Assert.Equal(4, row!.GetInt64("Count"));
        var total = 10m + 20m + 22.5m + 40m;
        Assert.Equal(total, decimal.Parse(row.GetString("Total")!, System.Globalization.CultureInfo.InvariantCulture));
        var usual = await New(minimumSamples: 4).GetUsualChargesAsync(tenant, CancellationToken.None);
        Assert.Equal(total / 4, usual["g0283"]);
    }

    [Fact]
    public async Task TwoTenants_EachSeesOnlyItsOwnCharges()
    {
        var (first, second, third) = (NewTenant(), NewTenant(), NewTenant());
        var baselines = New(minimumSamples: 1);
        baselines.Observe(first, Claim(Item(["97153"], charge: 25m, units: 1m)));
        baselines.Observe(second, Claim(Item(["97153"], charge: 75m, units: 1m), Item(["97156"], charge: 5m, units: 1m)));
        await baselines.FlushAsync(CancellationToken.None);

        var cold = New(minimumSamples: 1);
        Assert.Equal(new Dictionary<string, decimal> { ["97153"] = 25m }, await cold.GetUsualChargesAsync(first, CancellationToken.None));
        Assert.Equal(new Dictionary<string, decimal> { ["97153"] = 75m, ["97156"] = 5m }, await cold.GetUsualChargesAsync(second, CancellationToken.None));
        Assert.Empty(await cold.GetUsualChargesAsync(third, CancellationToken.None));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Flush_AnotherInstanceWritesBetweenReadAndWrite_RetriesAndLosesNoCount(bool rowsExist)
    {
        var tenant = NewTenant();
        var seeded = rowsExist ? 10 : 0;
        if (rowsExist)
        {
            await Seed(tenant, count: seeded, perUnit: 10m, "97153", "97158");
        }

        var interposer = new InterposingPolicy();
        var first = New(minimumSamples: 1, policies: [interposer]);
        var second = New(minimumSamples: 1);
        for (var i = 0; i < 5; i++)
        {
            first.Observe(tenant, Claim(Item(["97153"], charge: 20m, units: 1m), Item(["97158"], charge: 8m, units: 1m)));
        }

        for (var i = 0; i < 7; i++)
        {
            second.Observe(tenant, Claim(Item(["97153"], charge: 30m, units: 1m), Item(["97158"], charge: 9m, units: 1m)));
        }

        // The first instance has read the rows when the second one's flush lands: its replaces (If-Match the ETags it
        // read, answered 412) or inserts (answered 409) are stale.
        interposer.BeforeFirstBatch = async () => Assert.Equal(new ChargeFlushResult(2, 0), await second.FlushAsync(CancellationToken.None));
        var flushed = await first.FlushAsync(CancellationToken.None);

        Assert.Equal(new ChargeFlushResult(2, 0), flushed);
        Assert.True(interposer.Batches >= 2, $"{interposer.Batches} batches: the stale one was not refused and retried");
        await AssertRow(tenant, "97153", count: seeded + 5 + 7, total: (seeded * 10m) + (5 * 20m) + (7 * 30m));
        await AssertRow(tenant, "97158", count: seeded + 5 + 7, total: (seeded * 10m) + (5 * 8m) + (7 * 9m));
    }

    [Fact]
    public async Task Flush_TwoInstancesFlushingAtOnce_LoseNoCount()
    {
        var tenant = NewTenant();
        var instances = new[] { New(minimumSamples: 1), New(minimumSamples: 1) };
        var codes = Enumerable.Range(0, 120).Select(i => "C" + i.ToString("D3", System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        const int Rounds = 4;
        for (var round = 0; round < Rounds; round++)
        {
            foreach (var instance in instances)
            {
                instance.Observe(tenant, Claim([.. codes.Select(code => Item([code], charge: 3m, units: 1m))]));
            }

            var results = await Task.WhenAll(instances.Select(i => i.FlushAsync(CancellationToken.None)));
            Assert.All(results, r => Assert.Equal(0, r.Pending));
        }

        var usual = await New(minimumSamples: 1).GetUsualChargesAsync(tenant, CancellationToken.None);
        Assert.Equal(codes.Length, usual.Count);
        await AssertRow(tenant, "C000", count: Rounds * 2, total: Rounds * 2 * 3m);
        await AssertRow(tenant, "C119", count: Rounds * 2, total: Rounds * 2 * 3m);
    }

    [Fact]
    public async Task Flush_StorageUnreachable_KeepsTheDeltasForTheNextFlush()
    {
        var tenant = NewTenant();
        var outage = new OutagePolicy { Down = true };
        var baselines = New(minimumSamples: 1, policies: [outage], maxRetries: 0);
        baselines.Observe(tenant, Claim(Item(["97153"], charge: 12m, units: 1m)));

        Assert.Equal(new ChargeFlushResult(0, 1), await baselines.FlushAsync(CancellationToken.None));
        baselines.Observe(tenant, Claim(Item(["97153"], charge: 18m, units: 1m)));
        outage.Down = false;

        Assert.Equal(new ChargeFlushResult(1, 0), await baselines.FlushAsync(CancellationToken.None));
        await AssertRow(tenant, "97153", count: 2, total: 30m);
    }

    [Fact]
    public async Task Get_WarmCache_NoStorageCallUntilTheCacheDurationHasPassed()
    {
        var tenant = NewTenant();
        await Seed(tenant, count: 20, perUnit: 10m, "97153");
        var counter = new InterposingPolicy();
        var clock = new ManualClock(DateTimeOffset.Parse("2026-03-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var baselines = New(minimumSamples: 20, policies: [counter], time: clock);

        Assert.Equal(10m, (await baselines.GetUsualChargesAsync(tenant, CancellationToken.None))["97153"]);
        var afterFirst = counter.Requests;
        var other = New(minimumSamples: 1);
        for (var i = 0; i < 20; i++)
        {
            other.Observe(tenant, Claim(Item(["97153"], charge: 40m, units: 1m)));
        }

        await other.FlushAsync(CancellationToken.None);
        clock.Now += TimeSpan.FromMinutes(10) - TimeSpan.FromSeconds(1);
        Assert.Equal(10m, (await baselines.GetUsualChargesAsync(tenant, CancellationToken.None))["97153"]);
        Assert.Equal(afterFirst, counter.Requests);

        clock.Now += TimeSpan.FromSeconds(1);
        Assert.Equal(25m, (await baselines.GetUsualChargesAsync(tenant, CancellationToken.None))["97153"]);
        Assert.Equal(afterFirst + 1, counter.Requests);
    }

    [Fact]
    public async Task Flusher_Stop_FlushesWhatIsPending()
    {
        var tenant = NewTenant();
        var baselines = New(minimumSamples: 1);
        var options = Options.Create(new ChargeBaselineOptions { FlushInterval = TimeSpan.FromHours(1) });
        using var flusher = new ChargeBaselineFlusher(baselines, options, TimeProvider.System, NullLogger<ChargeBaselineFlusher>.Instance, Task.CompletedTask);
        await flusher.StartAsync(CancellationToken.None);
        baselines.Observe(tenant, Claim(Item(["97153"], charge: 33m, units: 1m)));

        await flusher.StopAsync(CancellationToken.None);

        await AssertRow(tenant, "97153", count: 1, total: 33m);
    }

    [Fact]
    public async Task Flusher_Running_FlushesEveryInterval()
    {
        var tenant = NewTenant();
        var baselines = New(minimumSamples: 1);
        var options = Options.Create(new ChargeBaselineOptions { FlushInterval = TimeSpan.FromSeconds(1) });
        using var flusher = new ChargeBaselineFlusher(baselines, options, TimeProvider.System, NullLogger<ChargeBaselineFlusher>.Instance, Task.CompletedTask);
        await flusher.StartAsync(CancellationToken.None);
        try
        {
            baselines.Observe(tenant, Claim(Item(["97153"], charge: 33m, units: 1m)));
            TableEntity? row = null;
            for (var wait = 0; wait < 100 && row is null; wait++)
            {
                await Task.Delay(100);
                row = await storage.Table(StorageNames.ChargeStatsTable).GetEntityOrDefaultAsync(tenant.Value, "97153");
            }

            Assert.Equal(1, row?.GetInt64("Count"));
        }
        finally
        {
            await flusher.StopAsync(CancellationToken.None);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Host_WithAndWithoutListeners_RunsTheFlusherBeforeTheQueueListeners(bool triggersOff)
    {
        var settings = triggersOff ? AppFactory.TriggersOff : null;
        await using var app = new AppFactory(azurite, settings);

        var hosted = app.Services.GetServices<IHostedService>().ToList();

        var flusher = Assert.Single(hosted.OfType<ChargeBaselineFlusher>());
        Assert.All(hosted.OfType<QueueListener>(), listener => Assert.True(hosted.IndexOf(flusher) < hosted.IndexOf(listener)));
        Assert.Equal(triggersOff, !hosted.OfType<QueueListener>().Any());
    }

    [Fact]
    public void Registration_BindsTheSectionAndRefusesUnusableIntervals()
    {
        using var provider = Provider(new() { ["ChargeBaselines:MinimumSamples"] = "7", ["ChargeBaselines:CacheDuration"] = "00:01:00" });
        var options = provider.GetRequiredService<IOptions<ChargeBaselineOptions>>().Value;
        Assert.Equal((7, TimeSpan.FromMinutes(1), TimeSpan.FromSeconds(60)), (options.MinimumSamples, options.CacheDuration, options.FlushInterval));
        Assert.Same(provider.GetRequiredService<ChargeBaselines>(), provider.GetRequiredService<ChargeBaselines>());

        using var bad = Provider(new() { ["ChargeBaselines:FlushInterval"] = "00:00:00" });
        Assert.Throws<OptionsValidationException>(() => bad.GetRequiredService<IOptions<ChargeBaselineOptions>>().Value);
        using var none = Provider(new() { ["ChargeBaselines:MinimumSamples"] = "0" });
        Assert.Throws<OptionsValidationException>(() => none.GetRequiredService<IOptions<ChargeBaselineOptions>>().Value);
    }

    private ServiceProvider Provider(Dictionary<string, string?> settings) => new ServiceCollection()
        .AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build())
        .AddLogging()
        .AddSingleton(TimeProvider.System)
        .AddSingleton(storage)
        .AddSingleton(ExchangeStorage.OnAppAccount(storage))
        .AddClaimsApplication()
        .BuildServiceProvider();

    private static TenantId NewTenant() => TenantId.Parse("cb" + Guid.NewGuid().ToString("N")[..12]);

    private ChargeBaselines New(int minimumSamples, HttpPipelinePolicy[]? policies = null, int maxRetries = 4, TimeProvider? time = null)
    {
        var clients = policies is null
            ? storage
            : StorageClients.Create(StorageConnection.FromConnectionString(azurite.ConnectionString), SdkTestExtensions.TestOptions(maxRetries, policies));
        var options = Options.Create(new ChargeBaselineOptions { MinimumSamples = minimumSamples });
        return new ChargeBaselines(clients, time ?? TimeProvider.System, options, NullLogger<ChargeBaselines>.Instance);
    }

    private async Task Seed(TenantId tenant, int count, decimal perUnit, params string[] codes)
    {
        var seeder = New(minimumSamples: 1);
        for (var i = 0; i < count; i++)
        {
            seeder.Observe(tenant, Claim([.. codes.Select(code => Item([code], charge: perUnit, units: 1m))]));
        }

        Assert.Equal(new ChargeFlushResult(codes.Length, 0), await seeder.FlushAsync(CancellationToken.None));
    }

    private async Task AssertRow(TenantId tenant, string code, long count, decimal total)
    {
        var row = await storage.Table(StorageNames.ChargeStatsTable).GetEntityOrDefaultAsync(tenant.Value, code);
        Assert.NotNull(row);
        Assert.Equal((count, total), (row.GetInt64("Count")!.Value, decimal.Parse(row.GetString("Total")!, System.Globalization.CultureInfo.InvariantCulture)));
    }

    /// <summary>Counts requests and, once, runs a callback just before the first entity group transaction is sent.</summary>
    private sealed class InterposingPolicy : HttpPipelinePolicy
    {
        private int requests;
        private int batches;

        public Func<Task>? BeforeFirstBatch { get; set; }

        public int Requests => Volatile.Read(ref requests);

        public int Batches => Volatile.Read(ref batches);

        public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) =>
            throw new NotSupportedException("The storage clients send asynchronously.");

        public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            Interlocked.Increment(ref requests);
            if (message.Request.Uri.Path.EndsWith("$batch", StringComparison.Ordinal) && Interlocked.Increment(ref batches) == 1 && BeforeFirstBatch is { } before)
            {
                await before();
            }

            await ProcessNextAsync(message, pipeline);
        }
    }

    /// <summary>Fails every request with a transport error while <see cref="Down"/> is set.</summary>
    private sealed class OutagePolicy : HttpPipelinePolicy
    {
        private volatile bool down;

        public bool Down { get => down; set => down = value; }

        public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) =>
            throw new NotSupportedException("The storage clients send asynchronously.");

        public override ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) =>
            down ? throw new HttpRequestException("storage is down (test)") : ProcessNextAsync(message, pipeline);
    }
}
