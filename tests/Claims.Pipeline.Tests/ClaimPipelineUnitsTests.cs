using Claims.Application.Authorizations;
using Claims.Application.Claims;
using Claims.Application.Processing;
using Claims.Core.Authorizations;
using Claims.Core.Claims;
using Claims.Core.Pipeline;
using Claims.Testing;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Moq;

namespace Claims.Pipeline.Tests;

/// <summary>
/// Authorization units through the orchestration (docs/AUTHORIZATIONS.md, "Consumption"): a PASS consumes in the
/// evaluation, an override release consumes before it submits (or alerts when too few are left), a cancel gives back;
/// and the sweep starting again an orchestration that ended under a held claim.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class ClaimPipelineUnitsTests(AzuriteFixture azurite)
{
    private const string Admin = "key:test-admin";

    // The sample ABA claim bills 40 units of 97153 and 4 of 97155 for patient MRN-42 at BCBSMA.
    private const decimal SampleUnits = 44;

    [Fact]
    public async Task OverrideRelease_UnitsLeft_ConsumedOnceThenSubmitted()
    {
        await using var harness = await PipelineHarness.StartAsync(azurite);
        await harness.UseRulesAsync(holdEverything: true);
        await AddAuthorizationAsync(harness, "AUTH-OVR", authorized: 480);
        var claim = await harness.PostAndStartAsync();
        await harness.WaitForStatusAsync(claim, PipelineStatus.Held);
        Assert.Equal(0m, await UnitsUsedAsync(harness, "AUTH-OVR"));

        await harness.Actions.ReleaseAsync(harness.Client, harness.Tenant, claim, Admin, new ReleaseRequest(ReleaseMode.Override, "payer extended it"), CancellationToken.None);
        var done = await harness.WaitForEndAsync(claim);

        Assert.Equal("Submitted", done.Status);
        Assert.Equal(SampleUnits, await UnitsUsedAsync(harness, "AUTH-OVR"));
        Assert.DoesNotContain(await harness.AlertsAsync(claim), a => a.Kind == nameof(PipelineAlertKind.OverrideBeyondAuthorizationUnits));
    }

    [Fact]
    public async Task OverrideRelease_TooFewUnits_SubmittedWithoutConsumingAndOneAlert()
    {
        await using var harness = await PipelineHarness.StartAsync(azurite);
        await harness.UseRulesAsync(holdEverything: true);
        await AddAuthorizationAsync(harness, "AUTH-LOW", authorized: 10);
        var claim = await harness.PostAndStartAsync();
        await harness.WaitForStatusAsync(claim, PipelineStatus.Held);

        await harness.Actions.ReleaseAsync(harness.Client, harness.Tenant, claim, Admin, new ReleaseRequest(ReleaseMode.Override, "submit anyway"), CancellationToken.None);
        var done = await harness.WaitForEndAsync(claim);

        Assert.Equal("Submitted", done.Status);
        Assert.Equal(0m, await UnitsUsedAsync(harness, "AUTH-LOW"));
        Assert.Single(await harness.AlertsAsync(claim), a => a.Kind == nameof(PipelineAlertKind.OverrideBeyondAuthorizationUnits));
    }

    [Fact]
    public async Task PassThenPermanentFailure_CancelGivesTheUnitsBack()
    {
        var submitter = new Mock<IClaimSubmitter>();
        submitter.Setup(s => s.SubmitAsync(It.IsAny<SubmitRequest>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(new SubmitOutcome.Failed(SubmitFailureKind.Permanent, "payer-rejected"));
        await using var harness = await PipelineHarness.StartAsync(azurite, submitter.Object);
        await harness.UseRulesAsync(holdEverything: false);
        await AddAuthorizationAsync(harness, "AUTH-BACK", authorized: 480);
        var claim = await harness.PostAndStartAsync();
        await harness.WaitForStatusAsync(claim, PipelineStatus.Failed);
        Assert.Equal(SampleUnits, await UnitsUsedAsync(harness, "AUTH-BACK"));

        await harness.Actions.CancelAsync(harness.Client, harness.Tenant, claim, Admin, new CancelRequest("closing it"), CancellationToken.None);
        var done = await harness.WaitForEndAsync(claim);

        Assert.Equal("Cancelled", done.Status);
        Assert.Equal(0m, await UnitsUsedAsync(harness, "AUTH-BACK"));
    }

    [Fact]
    public async Task Sweep_HeldClaimWhoseOrchestrationWasTerminated_StartedAgainAndEscalates()
    {
        await using var harness = await PipelineHarness.StartAsync(azurite);
        await harness.UseRulesAsync(holdEverything: true);
        var claim = await harness.PostAndStartAsync();
        await harness.WaitForStatusAsync(claim, PipelineStatus.Held);
        await harness.Client.TerminateInstanceAsync(harness.InstanceId(claim));
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            Assert.Equal(OrchestrationRuntimeStatus.Terminated, (await harness.Client.WaitForInstanceCompletionAsync(harness.InstanceId(claim), timeout.Token)).RuntimeStatus);
        }

        await Task.Delay(PipelineHarness.EscalationDelay + TimeSpan.FromSeconds(1));
        Assert.False((await harness.StateAsync(claim)).Hold!.Escalated);
        var acted = await harness.Services.GetRequiredService<StuckClaimSweeper>().SweepTenantAsync(harness.Client, harness.Tenant, TimeSpan.Zero, CancellationToken.None);

        Assert.Equal(1, acted);
        await PipelineHarness.WaitUntilAsync(async () => (await harness.StateAsync(claim)).Hold?.Escalated == true);
        Assert.Equal(OrchestrationRuntimeStatus.Running, (await harness.Client.GetInstanceAsync(harness.InstanceId(claim)))!.RuntimeStatus);
        Assert.Single(await harness.AlertsAsync(claim), a => a.Kind == nameof(PipelineAlertKind.HoldEscalated));
    }

    private static async Task AddAuthorizationAsync(PipelineHarness harness, string number, decimal authorized) =>
        Assert.NotNull(await harness.Services.GetRequiredService<AuthorizationStore>().AddAsync(
            harness.Tenant,
            new Authorization
            {
                AuthNumber = number,
                PatientIdentifier = "MRN-42",
                Payer = "BCBSMA",
                ServiceType = "ABA",
                CptCodes = ["97153", "97155"],
                StartDate = new DateOnly(2026, 1, 1),
                ExpirationDate = new DateOnly(2030, 12, 31),
                UnitsAuthorized = authorized,
            },
            null,
            CancellationToken.None));

    private static async Task<decimal> UnitsUsedAsync(PipelineHarness harness, string number) =>
        (await harness.Services.GetRequiredService<AuthorizationStore>().GetAsync(harness.Tenant, number, CancellationToken.None))!.Value.UnitsUsed;
}
