using System.Net;
using System.Text.Json.Nodes;
using Azure.Storage.Queues.Models;
using Claims.Application.Audit;
using Claims.Application.Processing;
using Claims.Application.Storage;
using Claims.Functions.Hosting;
using Claims.Testing;
using Microsoft.Extensions.DependencyInjection;
using static Claims.Functions.Tests.HostInvocations;

namespace Claims.Functions.Tests;

/// <summary>
/// The poison-queue functions in custom-handler mode: the test does what the Functions host does after a message's
/// last failed attempt (a copy on &lt;queue&gt;-poison), delivers that copy to <c>POST /&lt;Function&gt;Poison</c>, and
/// checks the kept blob, the audit row and the alert on Azurite.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class PoisonQueueFunctionTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private readonly AppFactory app = new(azurite, AppFactory.TriggersOff);

    public static TheoryData<string> PoisonFunctions => new(TestFunctions.All.Where(f => f.Method.DeclaringType == typeof(Claims.Functions.Functions.PoisonQueueFunction)).Select(f => f.Name));

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await app.DisposeAsync();

    [Fact]
    public async Task Invocation_MessageNamesTenantAndClaim_KeptAsBlobWithAuditRowAndAlertOnce()
    {
        var tenant = await app.NewTenantAsync();
        var claimId = Guid.NewGuid().ToString("N");
        var text = new JsonObject { ["tenant"] = tenant.Tenant.Value, ["claimId"] = claimId, ["event"] = new JsonObject { ["$event"] = "NoSuchEvent" } }.ToJsonString();
        var poisonQueue = StorageNames.PoisonQueue(StorageNames.PipelineQueue);
        await app.Storage.Queue(poisonQueue).SendMessageAsync(text);
        var message = await TakeAsync(app.Storage, poisonQueue, claimId);

        Assert.Null(await InvokeAsync(app, "ClaimPipelinePoison", message));
        var blobName = PoisonMessageArchive.BlobName(StorageNames.PipelineQueue, message.MessageId);
        var blob = await app.Storage.Container(StorageNames.PoisonMessagesContainer).DownloadAsync(blobName);
        Assert.NotNull(blob);
        var kept = JsonNode.Parse(blob.Content)!;
        Assert.Equal(text, kept["text"]!.GetValue<string>());
        Assert.Equal("ClaimPipeline", kept["function"]!.GetValue<string>());
        Assert.Equal(StorageNames.PipelineQueue, kept["queue"]!.GetValue<string>());
        Assert.Equal(poisonQueue, kept["poisonQueue"]!.GetValue<string>());
        Assert.Equal(message.MessageId, kept["poisonMessageId"]!.GetValue<string>());

        using var admin = app.CreateClient();
        admin.DefaultRequestHeaders.Add("x-api-key", tenant.AdminKey);
        var alert = Assert.Single(await PoisonAlertsAsync(admin));
        Assert.Equal(PoisonMessageRecorder.PoisonKey(StorageNames.PipelineQueue, message.MessageId), alert["id"]!.GetValue<string>());
        Assert.Equal(claimId, alert["claimId"]!.GetValue<string>());
        Assert.Contains($"{StorageNames.PoisonMessagesContainer}/{blobName}", alert["text"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.DoesNotContain("NoSuchEvent", alert["text"]!.GetValue<string>(), StringComparison.Ordinal);
        var row = Assert.Single(await PipelineSupport.AuditRowsAsync(app.Storage, tenant.Tenant), r => r.GetString("Action") == PoisonMessageRecorder.AuditAction);
        Assert.Equal(claimId, row.GetString("ClaimId"));
        Assert.Equal("FAILED", row.GetString("Result"));
        Assert.Equal(message.InsertedOn, row.GetDateTimeOffset("At"));

        // The host retries a poison message it could not delete: nothing new, the first copy stays.
        Assert.Null(await InvokeAsync(app, "ClaimPipelinePoison", QueuesModelFactory.QueueMessage(message.MessageId, message.PopReceipt, message.Body, 2, message.NextVisibleOn, message.InsertedOn, message.ExpiresOn)));

        Assert.Single(await PoisonAlertsAsync(admin));
        Assert.Single(await PipelineSupport.AuditRowsAsync(app.Storage, tenant.Tenant), r => r.GetString("Action") == PoisonMessageRecorder.AuditAction);
        Assert.Equal(blob.ETag, (await app.Storage.Container(StorageNames.PoisonMessagesContainer).DownloadAsync(blobName))!.ETag);
        await DeleteAsync(app.Storage, poisonQueue, message);
    }

    [Theory]
    [MemberData(nameof(PoisonFunctions))]
    public async Task Invocation_Garbage_KeptAsBlobWithSystemAuditRowAndAlert(string function)
    {
        var poisonQueue = TestFunctions.All.Single(f => f.Name == function).Setting("queueName")!;
        var queueName = poisonQueue[..^Claims.Functions.Functions.PoisonQueueFunction.PoisonSuffix.Length];
        var functionName = function[..^"Poison".Length];
        var marker = "garbage-" + Guid.NewGuid().ToString("N");
        await app.Storage.Queue(poisonQueue).SendMessageAsync($"not json {marker}");
        var message = await TakeAsync(app.Storage, poisonQueue, marker);

        Assert.Null(await InvokeAsync(app, function, message));

        var blob = await app.Storage.Container(StorageNames.PoisonMessagesContainer).DownloadAsync(PoisonMessageArchive.BlobName(queueName, message.MessageId));
        Assert.Equal($"not json {marker}", JsonNode.Parse(blob!.Content)!["text"]!.GetValue<string>());
        var key = PoisonMessageRecorder.PoisonKey(queueName, message.MessageId);
        var alert = Assert.Single(
            await app.Services.GetRequiredService<AlertStore>().ListOpenAsync(PoisonMessageRecorder.SystemTenant, CancellationToken.None),
            a => a.Key == key);
        Assert.Equal(PoisonMessageRecorder.AlertKind, alert.Kind);
        Assert.DoesNotContain(marker, alert.Text, StringComparison.Ordinal);
        var row = Assert.Single(await PipelineSupport.AuditRowsAsync(app.Storage, PoisonMessageRecorder.SystemTenant), r => r.RowKey.EndsWith(key, StringComparison.Ordinal));
        Assert.Equal(PoisonMessageRecorder.AuditAction, row.GetString("Action"));
        Assert.Contains(functionName, row.GetString("Details"), StringComparison.Ordinal);
        await DeleteAsync(app.Storage, poisonQueue, message);
    }

    [Fact]
    public async Task Invocation_MessageIdNotAQueueId_FailsAndKeepsNothing()
    {
        var message = QueuesModelFactory.QueueMessage("../escape", "receipt", BinaryData.FromString("anything"), 1);

        var failure = await InvokeAsync(app, "RulesEnginePoison", message);

        Assert.IsType<FormatException>(failure);
        await foreach (var name in app.Storage.Container(StorageNames.PoisonMessagesContainer).ListBlobNamesAsync())
        {
            Assert.DoesNotContain("escape", name, StringComparison.Ordinal);
        }
    }

    private static async Task<List<JsonNode>> PoisonAlertsAsync(HttpClient admin)
    {
        using var response = await admin.GetAsync("/api/alerts");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return [.. JsonNode.Parse(await response.Content.ReadAsStringAsync())!["items"]!.AsArray()
            .Where(a => a!["kind"]!.GetValue<string>() == PoisonMessageRecorder.AlertKind)
            .Select(a => a!)];
    }
}
