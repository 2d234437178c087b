using System.Diagnostics;
using Azure.Data.Tables;
using Claims.Application.Authorizations;
using Claims.Application.Storage;
using Claims.Core.Authorizations;
using Claims.Core.Claims;
using Claims.Storage;
using Claims.Testing;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Claims.Functions.Tests;

/// <summary>Runs only when AUTH_SWEEP_SCALE is set to a count (e.g. 100000); never part of ./test.sh.</summary>
public sealed class OptInScaleFactAttribute : FactAttribute
{
    public OptInScaleFactAttribute()
    {
        if (!int.TryParse(Environment.GetEnvironmentVariable("AUTH_SWEEP_SCALE"), out _))
        {
            Skip = "Set AUTH_SWEEP_SCALE=<count> to measure the authorization sweep at scale (docs/AUTHORIZATIONS.md).";
        }
    }
}

/// <summary>
/// The sweep over N authorizations of one tenant on Azurite: seeded in batches, expirations spread over a year, each
/// already reviewed (its index row on its next review day). Measures one day's sweep (time, storage calls) against a
/// full scan of the partition's authorization rows, which is what a sweep without the expiry index would read.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class AuthorizationSweepScaleTests(AzuriteFixture azurite, ITestOutputHelper output) : IAsyncLifetime
{
    private readonly AppFactory app = new(azurite);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await app.DisposeAsync();

    [OptInScaleFact]
    public async Task Sweep_ManyAuthorizations_ReadsOnlyTheDueOnes()
    {
        var count = int.Parse(Environment.GetEnvironmentVariable("AUTH_SWEEP_SCALE")!, System.Globalization.CultureInfo.InvariantCulture);
        var tenant = await app.NewTenantAsync();
        var store = app.Services.GetRequiredService<AuthorizationStore>();
        var today = new DateOnly(2026, 10, 1);
        var clock = new ManualClock(new DateTimeOffset(2026, 10, 1, 6, 0, 0, TimeSpan.Zero));
        var items = Enumerable.Range(0, count).Select(i =>
        {
            var a = new Authorization
            {
                AuthNumber = FormattableString.Invariant($"AUTH-{i:D7}"),
                PatientIdentifier = FormattableString.Invariant($"MRN-{i:D7}"),
                Payer = "BCBSMA",
                ServiceType = "ABA",
                CptCodes = ["97153", "97155"],
                StartDate = today.AddDays(-90),
                ExpirationDate = today.AddDays(1 + (i % 365)),
                UnitsAuthorized = 480,
            };
            a = a with { Status = AuthorizationReviewer.StatusOn(a, today.AddDays(-1), [a], AuthorizationReviewPolicy.Default) };
            return (a, AuthorizationReviewer.NextReview(a, today.AddDays(-1)));
        }).ToList();

        var seed = Stopwatch.StartNew();
        await store.AddManyAsync(tenant.Tenant, items, CancellationToken.None);
        seed.Stop();

        var sweeper = ActivatorUtilities.CreateInstance<AuthorizationSweeper>(app.Services, clock);
        var sweep = Stopwatch.StartNew();
        var result = await sweeper.SweepTenantAsync(tenant.Tenant, CancellationToken.None);
        sweep.Stop();
        var second = Stopwatch.StartNew();
        var again = await sweeper.SweepTenantAsync(tenant.Tenant, CancellationToken.None);
        second.Stop();

        var scan = Stopwatch.StartNew();
        var rows = 0;
        var filter = TableFilter.And(TableFilter.PartitionEq(tenant.Tenant.Value), TableFilter.RowKeyRange("a-", "a."));
        await foreach (var unused in app.Storage.Table(StorageNames.AuthorizationsTable).QueryAsync<TableEntity>(filter, select: ["RowKey"]))
        {
            rows++;
        }

        scan.Stop();
        var due = items.Count(i => i.Item2 is { } d && d <= today);
        output.WriteLine(FormattableString.Invariant(
            $"{count} authorizations: seeded in {seed.Elapsed.TotalSeconds:0.0} s ({(count + 32) / 33} transactions); sweep reviewed {result.Reviewed} (due {due}), changed {result.Changes.Count}, alerts {result.Alerts.Count}, {result.StorageCalls} authorization-table calls, {sweep.Elapsed.TotalMilliseconds:0} ms; second run reviewed {again.Reviewed} in {second.Elapsed.TotalMilliseconds:0} ms ({again.StorageCalls} calls); full scan of the authorization rows ({rows}) {scan.Elapsed.TotalMilliseconds:0} ms"));
        Assert.Equal(due, result.Reviewed);
        Assert.Equal(count, rows);
        Assert.Equal(0, again.Reviewed);
    }
}
