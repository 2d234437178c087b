using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Claims.LocalHost;
using Microsoft.Extensions.DependencyInjection;
using Claims.Storage;

namespace Claims.Functions.Tests;

/// <summary>
/// Plays the Azure Functions host's part for queue-triggered functions (in an app whose queue and timer functions are
/// switched off, <see cref="AppFactory.TriggersOff"/>): takes a message off a real Azurite queue as the host's listener
/// does and invokes the function from functions.metadata with it, in a scope of the app's services.
/// </summary>
internal static class HostInvocations
{
    /// <summary>Invokes the queue function <paramref name="function"/> with <paramref name="message"/>; null when it
    /// succeeded (the host then deletes the message), else what it threw (the host retries, then moves it to poison).</summary>
    public static async Task<Exception?> InvokeAsync(AppFactory app, string function, QueueMessage message)
    {
        var invoke = LocalFunctions.Invoker(TestFunctions.All.Single(f => f.Name == function));
        await using var scope = app.Services.CreateAsyncScope();
        try
        {
            await invoke(new Invocation(scope.ServiceProvider, CancellationToken.None) { Message = message });
            return null;
        }
        catch (Exception ex)
        {
            return ex;
        }
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
