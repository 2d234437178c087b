using System.Buffers;
using System.Text.Json;
using System.Text.RegularExpressions;
using Azure.Storage.Blobs;
using Claims.Application.Storage;
using Claims.Storage;
using Microsoft.Extensions.Logging;

namespace Claims.Application.Processing;

/// <summary>
/// Where poison messages end up in Azure. There the Functions host moves a message that failed maxDequeueCount times to
/// <c>&lt;queue&gt;-poison</c> itself; our poison-queue functions are how we hear of it, and a function that succeeds has
/// its message deleted from the poison queue. So the message is first kept, as blob
/// <c>poison-messages/{queue}/{messageId}.json</c> (the source queue and the poison queue's message id; JSON with the
/// function, queues, ids, times and the message text as it was), then recorded through
/// <see cref="IPoisonMessageHandler"/> (audit row and alert, idempotent per queue and message id). Both steps are
/// idempotent: a redelivered poison message finds its blob (the first copy stays) and its audit row and alert.
/// A failure throws, so the host retries the poison message (docs/RELIABILITY.md, "Poison messages").
/// </summary>
public sealed partial class PoisonMessageArchive(StorageClients storage, IPoisonMessageHandler recorder, TimeProvider time, ILogger<PoisonMessageArchive> logger)
{
    private readonly BlobContainerClient container = storage.Container(StorageNames.PoisonMessagesContainer);

    /// <summary>The blob (in <see cref="StorageNames.PoisonMessagesContainer"/>) a poison message is kept in.</summary>
    public static string BlobName(string queueName, string messageId) => $"{queueName}/{messageId}.json";

    /// <summary>Keeps the message, then records it; returns the blob's path (container/name). The message's
    /// <see cref="PoisonedMessage.MovedAt"/> should be the poison copy's insertion time (stable across redeliveries).</summary>
    /// <exception cref="FormatException">The message id is not a queue message id (it names the blob).</exception>
    public async Task<string> KeepAsync(PoisonedMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!MessageId().IsMatch(message.MessageId))
        {
            throw new FormatException("The poison message has no usable message id.");
        }

        var name = BlobName(message.QueueName, message.MessageId);
        // False: a redelivery of the same poison message; the copy kept first stays.
        _ = await container.UploadIfNotExistsAsync(name, new BinaryData(Serialize(message, time.GetUtcNow())), "application/json", cancellationToken).ConfigureAwait(false);

        var path = container.Name + "/" + name;
        await recorder.HandleAsync(message with { KeptAs = path }, cancellationToken).ConfigureAwait(false);
        Logs.PoisonMessageArchiveKept(logger, message.QueueName, message.MessageId, path);
        return path;
    }

    private static ReadOnlyMemory<byte> Serialize(PoisonedMessage message, DateTimeOffset keptAt)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteString("function", message.FunctionName);
            writer.WriteString("queue", message.QueueName);
            writer.WriteString("poisonQueue", message.PoisonQueueName);
            writer.WriteString("poisonMessageId", message.MessageId);
            if (message.MovedAt is { } moved)
            {
                writer.WriteString("movedAt", moved);
            }
            else
            {
                writer.WriteNull("movedAt");
            }

            writer.WriteString("keptAt", keptAt);
            writer.WriteNumber("maxDequeueCount", message.DequeueCount);
            writer.WriteString("text", message.Text);
            writer.WriteEndObject();
        }

        return buffer.WrittenMemory;
    }

    // Queue message ids are GUIDs; anything else must not reach a blob name.
    [GeneratedRegex("^[A-Za-z0-9-]{1,128}$")]
    private static partial Regex MessageId();
}
