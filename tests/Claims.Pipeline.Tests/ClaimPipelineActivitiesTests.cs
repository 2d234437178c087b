using Claims.Application.Processing;
using Claims.Core.Pipeline;
using Claims.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Claims.Pipeline.Tests;

/// <summary>
/// The activities on their own, run the way Durable may run them — again after they finished, or twice at once — over
/// Azurite: the row moves once and the audit rows and alerts are written once (docs/PIPELINE.md "Activities are
/// idempotent").
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class ClaimPipelineActivitiesTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task EvaluateClaim_RunTwiceAtOnceThenAgain_OneTransitionAndEachAuditRowOnce()
    {
        await using var harness = await PipelineHarness.StartAsync(azurite);
        await harness.UseRulesAsync(holdEverything: true);
        var claim = await harness.AcceptClaimAsync();
        var activities = harness.Services.GetRequiredService<ClaimPipelineActivities>();
        var input = new EvaluateClaimInput(harness.Tenant.Value, claim.Value, DateTimeOffset.UtcNow);

        var steps = await Task.WhenAll(activities.EvaluateClaimAsync(input), activities.EvaluateClaimAsync(input));
        var again = await activities.EvaluateClaimAsync(input);

        Assert.All(steps.Append(again), s => Assert.Equal(("Held", 1), (s.Status, s.HoldGeneration)));
        var state = await harness.StateAsync(claim);
        Assert.Equal([PipelineStatus.Received, PipelineStatus.Evaluating, PipelineStatus.Held], state.History.Select(h => h.To));
        var actions = (await harness.AuditRowsAsync(claim)).Select(r => r.GetString("Action")).Order(StringComparer.Ordinal).ToList();
        // The hold rule tags the claim (one rules.change).
        Assert.Equal(["pipeline.evaluation-started", "pipeline.hold", "rules.change", "rules.evaluated"], actions);
    }

    [Fact]
    public async Task EscalateHold_RunTwiceAtOnceThenAgain_OneAlertOneEscalatedRow()
    {
        await using var harness = await PipelineHarness.StartAsync(azurite);
        await harness.UseRulesAsync(holdEverything: true);
        var claim = await harness.AcceptClaimAsync();
        var activities = harness.Services.GetRequiredService<ClaimPipelineActivities>();
        var held = await activities.EvaluateClaimAsync(new EvaluateClaimInput(harness.Tenant.Value, claim.Value, DateTimeOffset.UtcNow));
        var input = new EscalateHoldInput(harness.Tenant.Value, claim.Value, held.HoldGeneration, held.EscalationDueAt!.Value);

        var steps = await Task.WhenAll(activities.EscalateHoldAsync(input), activities.EscalateHoldAsync(input));
        var again = await activities.EscalateHoldAsync(input with { At = input.At.AddMinutes(1) });

        Assert.All(steps.Append(again), s => Assert.Equal(("Held", true), (s.Status, s.Escalated)));
        Assert.Single(await harness.AlertsAsync(claim), a => a.Kind == nameof(PipelineAlertKind.HoldEscalated));
        Assert.Single(await harness.AuditRowsAsync(claim), r => r.GetString("Action") == PipelineAuditActions.HoldEscalated);
    }

    [Fact]
    public async Task EscalateHold_ForAnEarlierHoldOrBeforeDue_ChangesNothing()
    {
        await using var harness = await PipelineHarness.StartAsync(azurite);
        await harness.UseRulesAsync(holdEverything: true);
        var claim = await harness.AcceptClaimAsync();
        var activities = harness.Services.GetRequiredService<ClaimPipelineActivities>();
        var held = await activities.EvaluateClaimAsync(new EvaluateClaimInput(harness.Tenant.Value, claim.Value, DateTimeOffset.UtcNow));
        var before = await harness.RowAsync(claim);

        var stale = await activities.EscalateHoldAsync(new EscalateHoldInput(harness.Tenant.Value, claim.Value, held.HoldGeneration + 1, held.EscalationDueAt!.Value));
        var early = await activities.EscalateHoldAsync(new EscalateHoldInput(harness.Tenant.Value, claim.Value, held.HoldGeneration, held.EscalationDueAt.Value.AddSeconds(-1)));

        Assert.False(stale.Escalated);
        Assert.False(early.Escalated);
        Assert.Equal(before.ETag, (await harness.RowAsync(claim)).ETag);
        Assert.Empty(await harness.AlertsAsync(claim));
    }
}
