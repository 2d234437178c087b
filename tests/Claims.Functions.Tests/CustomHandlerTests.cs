using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Claims.Application.Processing;
using Claims.Application.Storage;
using Claims.Core.Claims;
using Claims.Core.Pipeline;
using Claims.Functions.Hosting;
using Claims.Storage;
using Claims.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Claims.Functions.Tests;

/// <summary>
/// Plays the Azure Functions host against the app in custom-handler mode: the webhook is served as forwarded, queue
/// messages are taken off the real Azurite queues and delivered as the documented invocation payload
/// (<c>POST /{FunctionName}</c> with Data and Metadata), and the answers and their effects are checked.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class CustomHandlerTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private readonly AppFactory app = new(azurite, new Dictionary<string, string?> { [HostingMode.CustomHandlerPortSetting] = "7199" });

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

        // No local listener runs in this mode: the message waits on claims-intake for the Functions host.
        var intake = await HostInvocations.TakeAsync(app.Storage, StorageNames.IntakeQueue, claimId);
        var (status, answer) = await HostInvocations.InvokeAsync(client, "RulesEngine", HostInvocations.Payload(intake, doubleEncoded: true));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(JsonValueKind.Object, answer["Outputs"]!.GetValueKind());
        Assert.Empty(answer["Outputs"]!.AsObject());
        Assert.Contains(intake.MessageId, answer["Logs"]!.AsArray().Single()!.GetValue<string>(), StringComparison.Ordinal);
        Assert.True(answer.AsObject().ContainsKey("ReturnValue"));
        Assert.Null(answer["ReturnValue"]);
        await HostInvocations.DeleteAsync(app.Storage, StorageNames.IntakeQueue, intake);

        // One hop: the rules engine handed the verdict to the pipeline runner in the same invocation, so the claim is
        // settled already (submitted, or held by a rule of the tenant's rule set).
        string[] settled = ["Submitted", "Held"];
        var claimStatus = await StatusAsync(client, claimId);
        Assert.Contains(claimStatus, settled);
        if (claimStatus == "Held")
        {
            // A release travels on claims-pipeline like a timer or a retry: the ClaimPipeline invocation submits it.
            var released = new PipelineMessage(tenant.Tenant, ClaimId.Parse(claimId), new Released(DateTimeOffset.UtcNow, "test-admin", ReleaseMode.Override, "custom handler test"));
            await app.Storage.Queue(StorageNames.PipelineQueue).SendMessageAsync(released.ToJson());
            var step = await HostInvocations.TakeAsync(app.Storage, StorageNames.PipelineQueue, claimId);
            var (stepStatus, stepAnswer) = await HostInvocations.InvokeAsync(client, "ClaimPipeline", HostInvocations.Payload(step, doubleEncoded: false));
            Assert.Equal(HttpStatusCode.OK, stepStatus);
            Assert.Single(stepAnswer["Logs"]!.AsArray());
            await HostInvocations.DeleteAsync(app.Storage, StorageNames.PipelineQueue, step);
            claimStatus = await StatusAsync(client, claimId);
            Assert.Equal("Submitted", claimStatus);
        }

        Assert.Contains(claimStatus, settled);
        var outbound = await app.Storage.Container(StorageNames.OutboundContainer).DownloadAsync($"{tenant.Tenant.Value}/{claimId}.json");
        if (claimStatus == "Submitted")
        {
            Assert.NotNull(outbound);
            Assert.Equal("Bundle", JsonNode.Parse(outbound.Content)!["resourceType"]!.GetValue<string>());
        }
        else
        {
            Assert.Null(outbound);
        }
    }

    [Theory]
    [InlineData("RulesEngine")]
    [InlineData("ClaimPipeline")]
    public async Task QueueInvocation_GarbageMessage_Answers500WithLogsSoTheHostRetries(string function)
    {
        using var client = app.CreateClient();
        var payload = new JsonObject
        {
            ["Data"] = new JsonObject { [FunctionMetadata.QueueBindingName] = "this is not a claim message" },
            ["Metadata"] = new JsonObject { ["Id"] = "garbage-1", ["DequeueCount"] = 3, ["InsertionTime"] = "2026-01-05T10:00:00+00:00" },
        };

        var (status, answer) = await HostInvocations.InvokeAsync(client, function, payload);

        Assert.Equal(HttpStatusCode.InternalServerError, status);
        var log = answer["Logs"]!.AsArray().Single()!.GetValue<string>();
        Assert.Contains("garbage-1", log, StringComparison.Ordinal);
        Assert.Contains("attempt 3", log, StringComparison.Ordinal);
        Assert.DoesNotContain("this is not a claim message", log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invocation_BodyNotJson_Answers400()
    {
        using var client = app.CreateClient();
        using var content = new StringContent("{not json", Encoding.UTF8, "application/json");

        using var response = await client.PostAsync("/RulesEngine", content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.NotEmpty(JsonNode.Parse(await response.Content.ReadAsStringAsync())!["Logs"]!.AsArray());
    }

    [Fact]
    public async Task TimerInvocation_HostTimerInfo_RunsTheSweepAndAnswers200()
    {
        using var client = app.CreateClient();
        _ = await app.NewTenantAsync();
        var timer = Catalog.Functions.First(f => f.Trigger is TimerTrigger);
        var payload = new JsonObject
        {
            ["Data"] = new JsonObject
            {
                [FunctionMetadata.TimerBindingName] = new JsonObject
                {
                    ["Schedule"] = new JsonObject { ["AdjustForDST"] = true },
                    ["ScheduleStatus"] = new JsonObject
                    {
                        ["Last"] = "2026-01-05T09:55:00+00:00",
                        ["Next"] = "2026-01-05T10:00:00+00:00",
                        ["LastUpdated"] = "2026-01-05T09:55:00+00:00",
                    },
                    ["IsPastDue"] = true,
                },
            },
            ["Metadata"] = new JsonObject(),
        };

        var (status, answer) = await HostInvocations.InvokeAsync(client, timer.Name, payload);

        Assert.Equal(HttpStatusCode.OK, status);
        var log = answer["Logs"]!.AsArray().Single()!.GetValue<string>();
        Assert.Contains("2026-01-05T10:00:00.0000000+00:00", log, StringComparison.Ordinal);
        Assert.Contains("past due", log, StringComparison.Ordinal);
    }

    [Fact]
    public void Services_CustomHandlerMode_NoLocalQueueListenerOrTimer()
    {
        var hosted = app.Services.GetServices<IHostedService>().ToList();

        Assert.Empty(hosted.OfType<QueueListener>());
        Assert.Empty(hosted.OfType<TimerScheduler>());
        Assert.Single(hosted.OfType<StorageStartup>());
    }

    [Fact]
    public async Task HttpFunctions_ForwardedAsTheyAre_StillServedUnderApi()
    {
        using var client = app.CreateClient();

        using var health = await client.GetAsync("/api/health");
        using var unauthenticated = await client.GetAsync("/api/claims/does-not-matter");

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, unauthenticated.StatusCode);
    }

    private static async Task<string> StatusAsync(HttpClient client, string claimId)
    {
        using var response = await client.GetAsync($"/api/claims/{claimId}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!["status"]!.GetValue<string>();
    }
}
