using Azure;
using Claims.Application.Claims;
using Claims.Application.Intake;
using Claims.Application.Storage;
using Claims.Core.Claims;
using Claims.Storage;
using Claims.Testing;

namespace Claims.Functions.Tests;

/// <summary>
/// Intake writes under fresh names (a new claim id), so a storage request retried after an attempt that went through
/// but whose answer was lost meets its own writes. That is success, never a 503 or a key conflict, and never a reason
/// to delete the claim's blobs (a load run met exactly that: a 202 claim left without its payload).
/// </summary>
[Collection(AppCollection.Name)]
public sealed class IntakeRetryTests(AzuriteFixture azurite)
{
    private readonly StorageClients storage = StorageClients.Create(StorageConnection.FromConnectionString(azurite.ConnectionString));

    [Fact]
    public async Task CreateAsync_RetriedTransactionMeetsItsOwnRows_IsCreatedNotAKeyConflict()
    {
        await new StorageInitializer(storage).EnsureCreatedAsync(CancellationToken.None);
        var repository = new ClaimRepository(storage);
        var tenant = TenantId.Parse("retry" + Guid.NewGuid().ToString("N")[..12]);
        var claim = Record(tenant, ClaimRepository.HashKey("identifier:CLM-RETRY"));

        Assert.IsType<CreateClaimResult.Created>(await repository.CreateAsync(claim, CancellationToken.None));
        var again = Assert.IsType<CreateClaimResult.Created>(await repository.CreateAsync(claim, CancellationToken.None));
        Assert.Equal((claim.Id, "Received"), (again.Claim.Id, again.Claim.Status));
        Assert.NotNull(again.Claim.ETag);

        // Another claim with the same key is still the key's earlier claim.
        var other = claim with { Id = ClaimId.From(Guid.NewGuid()) };
        var taken = Assert.IsType<CreateClaimResult.KeyTaken>(await repository.CreateAsync(other, CancellationToken.None));
        Assert.Equal(claim.Id, taken.Existing.Claim);

        // Without a key as well.
        var keyless = Record(tenant, null);
        Assert.IsType<CreateClaimResult.Created>(await repository.CreateAsync(keyless, CancellationToken.None));
        Assert.IsType<CreateClaimResult.Created>(await repository.CreateAsync(keyless, CancellationToken.None));
    }

    [Fact]
    public async Task UploadNewAsync_SecondAttemptOfTheSameWrite_SucceedsAndKeepsTheBlob()
    {
        var container = storage.Container(StorageNames.RawContainer);
        await container.CreateIfNotExistsAsync();
        var name = $"retry/{Guid.NewGuid():N}.json";
        var content = System.Text.Encoding.UTF8.GetBytes("""{"resourceType":"Claim"}""");

        await ClaimIntakeHandler.UploadNewAsync(container, name, content, CancellationToken.None);
        await ClaimIntakeHandler.UploadNewAsync(container, name, content, CancellationToken.None);

        Assert.Equal(content, (await container.DownloadAsync(name))!.Content);
    }

    private static ClaimRecord Record(TenantId tenant, string? keyHash)
    {
        var id = ClaimId.From(Guid.NewGuid());
        var now = DateTimeOffset.UtcNow;
        return new ClaimRecord
        {
            Tenant = tenant,
            Id = id,
            Status = "Received",
            ReceivedAt = now,
            UpdatedAt = now,
            SubmittedVia = "ehr_webhook",
            RawBlob = $"{tenant.Value}/{id.Value}.json",
            DocumentBlob = ClaimDocuments.InRaw($"{tenant.Value}/{id.Value}.json"),
            IdempotencyKeyHash = keyHash,
            ContentHash = new string('c', 64),
        };
    }
}
