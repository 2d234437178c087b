using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Claims.Functions.Hosting;
using Claims.Storage;

namespace Claims.Functions.Tests;

/// <summary>
/// Plays the Azure Functions host's part for queue-triggered functions in custom-handler mode: takes a message off a
/// real Azurite queue as the host's listener does and posts the documented invocation payload
/// (<c>POST /{FunctionName}</c> with Data and Metadata), as CustomHandlerTests does.
/// </summary>
internal static class HostInvocations
{
    /// <summary>The payload the Functions host sends for a queue trigger. The host serializes the message string
    /// before it serializes the payload, so the message text can arrive JSON-encoded twice.</summary>
    public static JsonObject Payload(QueueMessage message, bool doubleEncoded) => new()
    {
        ["Data"] = new JsonObject
        {
            [FunctionMetadata.QueueBindingName] = doubleEncoded ? JsonSerializer.Serialize(message.Text) : message.Text,
        },
        ["Metadata"] = new JsonObject
        {
            ["DequeueCount"] = message.DequeueCount,
            ["ExpirationTime"] = DateTimeOffset.UtcNow.AddDays(7).ToString("o"),
            ["Id"] = message.MessageId,
            ["InsertionTime"] = message.InsertedOn?.ToString("o"),
            ["NextVisibleTime"] = message.NextVisibleOn?.ToString("o"),
            ["PopReceipt"] = message.PopReceipt,
            ["sys"] = new JsonObject { ["MethodName"] = "QueueTrigger", ["UtcNow"] = DateTimeOffset.UtcNow.ToString("o") },
        },
    };

    /// <summary>Posts the invocation; returns the status and the JSON answer.</summary>
    public static async Task<(HttpStatusCode Status, JsonNode Answer)> InvokeAsync(HttpClient client, string function, JsonObject payload)
    {
        using var content = new StringContent(payload.ToJsonString(), Encoding.UTF8, new MediaTypeHeaderValue("application/json"));
        using var response = await client.PostAsync("/" + function, content);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
    }

    /// <summary>Takes (leases) the first message whose text contains <paramref name="marker"/> off a queue. Other
    /// tests' leftovers on the shared queue stay leased while scanning (so later receives reach past them) and are
    /// released afterwards.</summary>
    public static async Task<QueueMessage> TakeAsync(StorageClients storage, string queueName, string marker)
    {
        var queue = storage.Queue(queueName);
        var skipped = new List<QueueMessage>();
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (DateTime.UtcNow < deadline)
            {
                QueueMessage? found = null;
                foreach (var message in (await queue.ReceiveMessagesAsync(32, TimeSpan.FromSeconds(60))).Value)
                {
                    // Every other message of the batch is leased too and must be released, also those after the match.
                    if (found is null && message.Text.Contains(marker, StringComparison.Ordinal))
                    {
                        found = message;
                    }
                    else
                    {
                        skipped.Add(message);
                    }
                }

                if (found is not null)
                {
                    return found;
                }

                await Task.Delay(100);
            }
        }
        finally
        {
            foreach (var message in skipped)
            {
                await queue.UpdateVisibilityAsync(message.MessageId, message.PopReceipt, TimeSpan.Zero);
            }
        }

        throw new Xunit.Sdk.XunitException($"No message containing {marker} on {queueName}.");
    }

    /// <summary>Deletes a message taken with <see cref="TakeAsync"/>, as the host does after a successful invocation.</summary>
    public static Task DeleteAsync(StorageClients storage, string queueName, QueueMessage message) =>
        storage.Queue(queueName).DeleteMessageAsync(message.MessageId, message.PopReceipt);
}
