using Azure;
using Azure.Data.Tables;
using Claims.Application.Audit;
using Claims.Application.Claims;
using Claims.Application.Processing;
using Claims.Application.Storage;
using Claims.Application.Tenants;
using Claims.Core.Claims;
using Claims.Core.Pipeline;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Moq;

namespace Claims.Functions.Tests.Unit;

/// <summary>
/// The If-Match save of the claim row (docs/PIPELINE.md): a 412 means someone moved the claim since it was read, so
/// <see cref="ClaimTransitions"/> reads the row again and decides on the fresh state. (Light on purpose: the pipeline's
/// paths are covered against Azurite in Claims.Pipeline.Tests.) An admin action writes its audit row only after its save.
/// </summary>
public sealed class ClaimTransitionsConcurrencyTests
{
    private const string Admin = "key:admin-unit";
    private static readonly TenantId Tenant = TenantId.Parse("unit-tenant");
    private static readonly ClaimId Claim = ClaimId.From(Guid.Parse("4c1f0000-0000-4000-8000-000000000003"));
    private static readonly DateTimeOffset T0 = new(2026, 12, 6, 1, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Apply_SavedMeanwhileToTheSameEnd_412ThenTheFreshStateMakesItADuplicate()
    {
        var storage = new StorageMocks();
        var claims = ReadHeldThen(storage, Decide(Held(), new Cancelled(T0.AddMinutes(5), "key:other-admin")));

        var result = await Transitions(storage).ApplyAsync(Tenant, Claim, [new Cancelled(T0.AddMinutes(6), Admin)], new TransitionOptions(EffectsFirst: false), CancellationToken.None);

        Assert.NotEqual(DecisionKind.Transition, result.Kind);
        claims.Verify(t => t.UpdateEntityAsync(It.IsAny<TableEntity>(), It.IsAny<ETag>(), It.IsAny<TableUpdateMode>(), It.IsAny<CancellationToken>()), Times.Once);
        storage.Table(StorageNames.AuditTable).Verify(
            t => t.SubmitTransactionAsync(It.IsAny<IEnumerable<TableTransactionAction>>(), It.IsAny<CancellationToken>()), Times.Never);
    }

    [Fact]
    public async Task Apply_RowTouchedMeanwhile_412ThenSavesWithTheFreshETag()
    {
        var storage = new StorageMocks();
        var claims = ReadHeldThen(storage, Held());
        claims.Setup(t => t.UpdateEntityAsync(It.IsAny<TableEntity>(), new ETag("W/\"2\""), TableUpdateMode.Replace, It.IsAny<CancellationToken>()))
            .ReturnsAsync(StorageMocks.WithETag("W/\"3\""));
        claims.Setup(t => t.UpdateEntityAsync(It.IsAny<TableEntity>(), new ETag("W/\"3\""), TableUpdateMode.Replace, It.IsAny<CancellationToken>()))
            .ReturnsAsync(StorageMocks.WithETag("W/\"4\""));
        var audit = storage.Table(StorageNames.AuditTable);
        audit.Setup(t => t.GetEntityIfExistsAsync<TableEntity>(It.IsAny<string>(), It.IsAny<string>(), It.IsAny<IEnumerable<string>>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(StorageMocks.Entity(null));
        audit.Setup(t => t.SubmitTransactionAsync(It.IsAny<IEnumerable<TableTransactionAction>>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync((IEnumerable<TableTransactionAction> actions, CancellationToken _) => StorageMocks.TransactionAnswer(actions.Count()));

        var result = await Transitions(storage).ApplyAsync(Tenant, Claim, [new Cancelled(T0.AddMinutes(6), Admin)], new TransitionOptions(EffectsFirst: false), CancellationToken.None);

        Assert.Equal(DecisionKind.Transition, result.Kind);
        Assert.Equal(nameof(PipelineStatus.Cancelled), result.Claim!.Status);
        claims.Verify(t => t.UpdateEntityAsync(
            It.Is<TableEntity>(e => e.GetString("Status") == nameof(PipelineStatus.Cancelled)), new ETag("W/\"2\""), TableUpdateMode.Replace, It.IsAny<CancellationToken>()), Times.Once);
    }

    /// <summary>The claims table: the row is read Held (ETag 1), its save with ETag 1 answers 412, the next read is
    /// <paramref name="fresh"/> (ETag 2).</summary>
    private static Mock<TableClient> ReadHeldThen(StorageMocks storage, PipelineState fresh)
    {
        var claims = storage.Table(StorageNames.ClaimsTable);
        claims.SetupSequence(t => t.GetEntityIfExistsAsync<TableEntity>(Tenant.Value, Claim.Value, It.IsAny<IEnumerable<string>>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(StorageMocks.Entity(Row(Held(), "W/\"1\"")))
            .ReturnsAsync(StorageMocks.Entity(Row(fresh, "W/\"2\"")));
        claims.Setup(t => t.UpdateEntityAsync(It.IsAny<TableEntity>(), new ETag("W/\"1\""), TableUpdateMode.Replace, It.IsAny<CancellationToken>()))
            .ThrowsAsync(new RequestFailedException(412, "The update condition specified in the request was not satisfied.", "UpdateConditionNotSatisfied", null));
        return claims;
    }

    private static PipelineState Held()
    {
        var state = PipelineState.Start(Claim, T0, "system:intake");
        state = Decide(state, new EvaluationStarted(T0.AddSeconds(1), "system:rules-engine"));
        return Decide(state, new RulesEvaluated(T0.AddSeconds(2), "system:rules-engine", RulesOutcome.Hold, "1", "aba-auth", "no authorization"));
    }

    private static PipelineState Decide(PipelineState state, PipelineEvent @event) => PipelineDecider.Decide(state, @event, PipelinePolicy.Default).State;

    private static TableEntity Row(PipelineState state, string etag) => new(Tenant.Value, Claim.Value)
    {
        ["Status"] = state.Status.ToString(),
        ["ReceivedAt"] = T0,
        ["UpdatedAt"] = state.UpdatedAt,
        ["SubmittedVia"] = "ehr_webhook",
        ["RawBlob"] = $"{Tenant.Value}/{Claim.Value}.json",
        ["DocumentBlob"] = $"raw:{Tenant.Value}/{Claim.Value}.json",
        ["Pipeline"] = PipelineJson.Serialize(state),
        ETag = new ETag(etag),
    };

    private static ClaimTransitions Transitions(StorageMocks storage)
    {
        var time = TimeProvider.System;
        var clients = storage.Clients;
        return new ClaimTransitions(
            new ClaimRepository(clients),
            new AuditLog(clients, Options.Create(new AuditOptions { Shards = 1 }), time),
            new AlertStore(clients),
            new TenantPipelinePolicies(PipelinePolicy.Default, new TenantStore(clients, time), time),
            NullLogger<ClaimTransitions>.Instance);
    }
}
