using Claims.Application.Claims;
using Claims.Core.Claims;

namespace Claims.Functions.Tests;

/// <summary>The claim row snapshot the claims-intake message carries (docs/PIPELINE.md "Cost").</summary>
public sealed class ClaimSnapshotTests
{
    private static readonly ClaimRecord Fresh = new()
    {
        Tenant = TenantId.Parse("snapshot-clinic"),
        Id = ClaimId.From(Guid.Parse("0b6f1c1e-6d2c-4b8e-9d57-3c2f4f1f0a11")),
        Status = "Received",
        ReceivedAt = new DateTimeOffset(2026, 11, 30, 10, 15, 30, 123, TimeSpan.Zero),
        UpdatedAt = new DateTimeOffset(2026, 11, 30, 10, 15, 30, 123, TimeSpan.Zero),
        SubmittedVia = "ehr_webhook",
        SourceResourceId = "claim-1",
        RawBlob = "snapshot-clinic/0b6f1c1e6d2c4b8e9d573c2f4f1f0a11.json",
        DocumentBlob = "snapshot-clinic/0b6f1c1e6d2c4b8e9d573c2f4f1f0a11.json",
        IdempotencyKeyHash = new string('a', 64),
        ContentHash = new string('b', 64),
        PipelineJson = """{"claim":"0b6f1c1e6d2c4b8e9d573c2f4f1f0a11","status":"Received"}""",
        ETag = "W/\"datetime'2026-11-30T10%3A15%3A30.1234567Z'\"",
    };

    [Fact]
    public void Snapshot_FreshRow_ReadsBackAsTheSameRecord()
    {
        var snapshot = ClaimRepository.Snapshot(Fresh);

        Assert.Equal(Fresh, ClaimRepository.FromSnapshot(Fresh.Tenant, Fresh.Id, snapshot));
    }

    [Fact]
    public void Snapshot_RowWithResultOutboxOrNoETag_IsNotTaken()
    {
        Assert.Null(ClaimRepository.Snapshot(Fresh with { RuleResultJson = "{}" }));
        Assert.Null(ClaimRepository.Snapshot(Fresh with { PendingActionJson = "{}" }));
        Assert.Null(ClaimRepository.Snapshot(Fresh with { ETag = null }));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("not json")]
    [InlineData("{\"status\":\"Received\"}")]
    public void FromSnapshot_MissingOrUnreadable_IsNull(string? snapshot) =>
        Assert.Null(ClaimRepository.FromSnapshot(Fresh.Tenant, Fresh.Id, snapshot));
}
