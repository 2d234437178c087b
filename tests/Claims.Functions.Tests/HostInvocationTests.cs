using System.Net;
using System.Text.Json.Nodes;
using Azure.Storage.Queues.Models;
using Claims.Application.Processing;
using Claims.Application.Storage;
using Claims.Core.Claims;
using Claims.Core.Pipeline;
using Claims.LocalHost;
using Claims.Storage;
using Claims.Testing;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Claims.Functions.Tests;

/// <summary>
/// Plays the Azure Functions host against the app's functions with its queue and timer functions switched off
/// (AzureWebJobs.&lt;name&gt;.Disabled): messages are taken off the real Azurite queues and handed to the functions as
/// the host hands them (a <see cref="QueueMessage"/>, a <see cref="TimerInfo"/>), and the effects are checked.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class HostInvocationTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private readonly AppFactory app = new(azurite, AppFactory.TriggersOff);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await app.DisposeAsync();

    [Fact]
    public async Task QueueInvocations_ClaimFromWebhook_RulesEngineSettlesItAndPipelineTakesTheRelease()
    {
        var tenant = await app.NewTenantAsync();
        using var client = app.CreateClient();
        client.DefaultRequestHeaders.Add("x-api-key", tenant.IngestKey);
        using var posted = await client.PostAsync("/api/fhir/Claim", ClaimFlowTests.FhirBody(SampleClaims.AbaTherapy(identifier: "CLM-CH-" + Guid.NewGuid().ToString("N")[..8])));
        Assert.Equal(HttpStatusCode.Accepted, posted.StatusCode);
        var claimId = JsonNode.Parse(await posted.Content.ReadAsStringAsync())!["claimId"]!.GetValue<string>();

        // No local listener runs: the message waits on claims-intake for the host.
        var intake = await HostInvocations.TakeAsync(app.Storage, StorageNames.IntakeQueue, claimId);
        Assert.Null(await HostInvocations.InvokeAsync(app, "RulesEngine", intake));
        await HostInvocations.DeleteAsync(app.Storage, StorageNames.IntakeQueue, intake);

        string[] settled = ["Submitted", "Held"];
        var claimStatus = await StatusAsync(client, claimId);
        Assert.Contains(claimStatus, settled);
        if (claimStatus == "Held")
        {
            var released = new PipelineMessage(tenant.Tenant, ClaimId.Parse(claimId), new Released(DateTimeOffset.UtcNow, "test-admin", ReleaseMode.Override, "host invocation test"));
            await app.Storage.Queue(StorageNames.PipelineQueue).SendMessageAsync(released.ToJson());
            var step = await HostInvocations.TakeAsync(app.Storage, StorageNames.PipelineQueue, claimId);
            Assert.Null(await HostInvocations.InvokeAsync(app, "ClaimPipeline", step));
            await HostInvocations.DeleteAsync(app.Storage, StorageNames.PipelineQueue, step);
            claimStatus = await StatusAsync(client, claimId);
            Assert.Equal("Submitted", claimStatus);
        }

        var outbound = await app.Storage.Container(StorageNames.OutboundContainer).DownloadAsync($"{tenant.Tenant.Value}/{claimId}.json");
        Assert.Equal(claimStatus == "Submitted", outbound is not null);
    }

    [Theory]
    [InlineData("RulesEngine")]
    [InlineData("ClaimPipeline")]
    [InlineData("AuthorizationSweepTenant")]
    public async Task QueueInvocation_GarbageMessage_FailsSoTheHostRetries_WithoutTheTextInTheError(string function)
    {
        var message = QueuesModelFactory.QueueMessage("garbage-1", "receipt", BinaryData.FromString("this is not a claim message"), 3, insertedOn: DateTimeOffset.Parse("2026-01-05T10:00:00+00:00", System.Globalization.CultureInfo.InvariantCulture));

        var failure = await HostInvocations.InvokeAsync(app, function, message);

        var format = Assert.IsType<FormatException>(failure);
        Assert.Contains("garbage-1", format.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("this is not a claim message", format.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TimerInvocation_HostTimerInfo_RunsTheFunction()
    {
        _ = await app.NewTenantAsync();
        var timer = TestFunctions.All.First(f => f.Name == "AuthorizationSweep");
        var info = new TimerInfo
        {
            IsPastDue = true,
            ScheduleStatus = new ScheduleStatus { Last = new DateTime(2026, 1, 5, 9, 55, 0, DateTimeKind.Utc), Next = new DateTime(2026, 1, 5, 10, 0, 0, DateTimeKind.Utc) },
        };
        await using var scope = app.Services.CreateAsyncScope();

        await LocalFunctions.Invoker(timer)(new Invocation(scope.ServiceProvider, CancellationToken.None) { Timer = info });

        // The sweep enqueued one message per tenant, the new one among them.
        var peeked = await app.Storage.Queue(StorageNames.AuthorizationSweepQueue).PeekMessagesAsync(32);
        Assert.NotEmpty(peeked.Value);
    }

    [Fact]
    public void Services_TriggersDisabled_NoLocalQueueListenerOrTimer()
    {
        var hosted = app.Services.GetServices<IHostedService>().ToList();

        Assert.Empty(hosted.OfType<QueueListener>());
        Assert.Empty(hosted.OfType<TimerScheduler>());
        Assert.Single(hosted.OfType<Claims.Functions.Hosting.StorageStartup>());
    }

    [Fact]
    public async Task HttpFunctions_StillServedUnderApi()
    {
        _ = await app.NewTenantAsync();
        using var client = app.CreateClient();

        using var health = await client.GetAsync("/api/health");
        using var unauthenticated = await client.GetAsync("/api/claims/does-not-matter");

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, unauthenticated.StatusCode);
    }

    private static async Task<string> StatusAsync(HttpClient client, string claimId)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            using var response = await client.GetAsync($"/api/claims/{claimId}");
            var status = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["status"]!.GetValue<string>();
            if (status is not ("Received" or "Evaluating") || DateTime.UtcNow > deadline)
            {
                return status;
            }

            await Task.Delay(100);
        }
    }
}
