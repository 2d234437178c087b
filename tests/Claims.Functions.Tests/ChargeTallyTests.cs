using Claims.Application.Rules;
using Claims.Core.Claims;

namespace Claims.Functions.Tests;

/// <summary>The accumulation math behind the charge baselines: samples per claim, sums, means, and the pending tally.</summary>
public sealed class ChargeTallyTests
{
    private static readonly TenantId Tenant = TenantId.Parse("tally-tenant");

    [Fact]
    public void From_ItemWithUnits_PerUnitIsChargeDividedByUnits()
    {
        var samples = ChargeSamples.From(Claim(Item(["97153"], charge: 300m, units: 4m)));

        Assert.Equal(new[] { ("97153", 75m) }, samples);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(0)]
    [InlineData(-2)]
    public void From_NoPositiveUnits_PerUnitIsTheCharge(int? units)
    {
        var samples = ChargeSamples.From(Claim(Item(["90837"], charge: 180m, units: units)));

        Assert.Equal(new[] { ("90837", 180m) }, samples);
    }

    [Fact]
    public void From_ItemsWithoutAPositiveChargeOrACode_AreSkipped()
    {
        var samples = ChargeSamples.From(Claim(
            Item(["97153"], charge: null, units: 2m),
            Item(["97153"], charge: 0m, units: 2m),
            Item(["97153"], charge: -40m, units: 2m),
            Item([], charge: 40m, units: 2m),
            Item(["97153"], charge: ChargeSamples.MaxPerUnit * 3, units: 2m),
            Item(["97155"], charge: 50m, units: 2m)));

        Assert.Equal(new[] { ("97155", 25m) }, samples);
    }

    [Fact]
    public void From_Codes_NormalizedOncePerItemAndImplausibleOnesSkipped()
    {
        var samples = ChargeSamples.From(Claim(Item(["97153", "97153", " 97155 ", "g0283", "bad/code", "a#b", "", new string('9', 17)], charge: 10m, units: 1m)));

        Assert.Equal(new[] { ("97153", 10m), ("97155", 10m), ("G0283", 10m) }, samples);
    }

    [Fact]
    public void From_NoItems_NoSamples()
    {
        Assert.Empty(ChargeSamples.From(new ClaimFacts()));
        Assert.Empty(ChargeSamples.From(new ClaimFacts { Items = default }));
    }

    [Fact]
    public void ChargeStat_PlusAndMean_AreExactDecimalArithmetic()
    {
        var stat = default(ChargeStat).Plus(new(1, 10.10m)).Plus(new(1, 20.20m)).Plus(new(2, 30.30m));

        Assert.Equal(new ChargeStat(4, 60.60m), stat);
        Assert.Equal(15.15m, stat.Mean);
    }

    [Fact]
    public void ChargeStat_StoredText_RoundTripsExactly()
    {
        var stat = new ChargeStat(3, (100m / 3) + (200m / 7) + 0.01m);

        Assert.Equal(stat, ChargeStat.TryRead(stat.Count, stat.TotalText));
    }

    [Theory]
    [InlineData(null, "10")]
    [InlineData(0L, "10")]
    [InlineData(-1L, "10")]
    [InlineData(3L, null)]
    [InlineData(3L, "ten")]
    [InlineData(3L, "-10")]
    [InlineData(3L, "1e3")]
    [InlineData(3L, "1,000")]
    public void ChargeStat_TryRead_RejectsWhatIsNotACountAndSum(long? count, string? total)
    {
        Assert.Null(ChargeStat.TryRead(count, total));
    }

    [Fact]
    public void Tally_ConcurrentObservers_EveryChargeCountedOnce()
    {
        var tally = new ChargeTally();

        Parallel.For(1, 2001, i => tally.Observe(Tenant, Claim(Item(["97153"], charge: i, units: 1m), Item(["97155"], charge: 2m * i, units: 2m))));

        var drained = tally.Drain();
        var codes = Assert.Single(drained).Value;
        Assert.Equal(new ChargeStat(2000, 2000m * 2001 / 2), codes["97153"]);
        Assert.Equal(new ChargeStat(2000, 2000m * 2001 / 2), codes["97155"]);
        Assert.Empty(tally.Drain());
        Assert.Equal(0, tally.PendingCount);
    }

    [Fact]
    public void Tally_PerTenant_KeptApart()
    {
        var tally = new ChargeTally();
        var other = TenantId.Parse("tally-other");

        tally.Observe(Tenant, Claim(Item(["97153"], charge: 10m, units: 1m)));
        tally.Observe(other, Claim(Item(["97153"], charge: 99m, units: 1m)));

        var drained = tally.Drain();
        Assert.Equal(new ChargeStat(1, 10m), drained[Tenant]["97153"]);
        Assert.Equal(new ChargeStat(1, 99m), drained[other]["97153"]);
    }

    [Fact]
    public void Tally_Restore_AddsToObservationsMadeSinceTheDrain()
    {
        var tally = new ChargeTally();
        tally.Observe(Tenant, Claim(Item(["97153"], charge: 10m, units: 1m)));
        var drained = tally.Drain();
        tally.Observe(Tenant, Claim(Item(["97153"], charge: 30m, units: 1m), Item(["97155"], charge: 5m, units: 1m)));

        tally.Restore(Tenant, drained[Tenant]);

        var pending = tally.Drain()[Tenant];
        Assert.Equal(new ChargeStat(2, 40m), pending["97153"]);
        Assert.Equal(new ChargeStat(1, 5m), pending["97155"]);
    }

    [Fact]
    public void Tally_RestoreNothing_LeavesNoEmptyTenant()
    {
        var tally = new ChargeTally();

        tally.Restore(Tenant, []);

        Assert.Empty(tally.Drain());
    }

    internal static ClaimFacts Claim(params ClaimItemFacts[] items) => new() { Items = [.. items] };

    internal static ClaimItemFacts Item(string[] codes, decimal? charge, decimal? units) => new() { Codes = [.. codes], Charge = charge, Units = units };
}
