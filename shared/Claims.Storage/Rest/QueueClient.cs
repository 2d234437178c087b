using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Azure;
using Azure.Core;

namespace Claims.Storage.Rest;

/// <summary>A queue message as received, peeked or just sent (then <see cref="DequeueCount"/> is 0).</summary>
public sealed record QueueMessage(string MessageId, string PopReceipt, long DequeueCount, DateTimeOffset? InsertedOn, DateTimeOffset? NextVisibleOn, string Text);

/// <summary>
/// Client for one queue (Azure Queue service REST API). Message text is base64(UTF-8) on the wire,
/// which is what the Functions queue trigger expects by default.
/// </summary>
public sealed partial class QueueClient
{
    /// <summary>Longest visibility timeout / delay the service accepts.</summary>
    public static readonly TimeSpan MaxVisibility = TimeSpan.FromDays(7);

    private const int MaxEncodedMessageChars = 64 * 1024;
    private readonly StorageService _service;

    internal QueueClient(StorageService service, string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (!QueueName().IsMatch(name) || name.Contains("--", StringComparison.Ordinal))
        {
            throw new ArgumentException("Queue names are 3-63 lowercase letters, digits and single hyphens, starting and ending with a letter or digit.", nameof(name));
        }

        _service = service;
        Name = name;
    }

    public string Name { get; }

    public async Task CreateIfNotExistsAsync(CancellationToken ct = default)
    {
        using var message = _service.CreateMessage(RequestMethod.Put, _service.Uri(Name));
        var response = await _service.SendAsync(message, "create queue", ct).ConfigureAwait(false);
        if (response.Status is not (201 or 204))
        {
            throw _service.Failure(response, "create queue");
        }
    }

    /// <param name="text">The message; at most 48 KiB of UTF-8 (64 KiB once base64-encoded).</param>
    /// <param name="visibilityDelay">Hidden for this long first (0..7 days); rounded up to whole seconds.</param>
    /// <param name="timeToLive">Null = the service default of 7 days; <see cref="TimeSpan.MinValue"/> or -1 s = never expires.</param>
    /// <param name="ct">Cancels the request.</param>
    public async Task<QueueMessage> SendMessageAsync(string text, TimeSpan? visibilityDelay = null, TimeSpan? timeToLive = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(text);
        var encoded = Convert.ToBase64String(Encoding.UTF8.GetBytes(text));
        if (encoded.Length > MaxEncodedMessageChars)
        {
            throw new ArgumentException("The message is larger than 64 KiB once encoded; store the payload in a blob.", nameof(text));
        }

        var query = new List<string>();
        long? delaySeconds = null;
        if (visibilityDelay is { } delay)
        {
            if (delay < TimeSpan.Zero || delay > MaxVisibility)
            {
                throw new ArgumentOutOfRangeException(nameof(visibilityDelay), "The visibility delay is 0 to 7 days.");
            }

            delaySeconds = Seconds(delay);
            query.Add("visibilitytimeout=" + delaySeconds.Value.ToString(CultureInfo.InvariantCulture));
        }

        if (timeToLive is { } ttl)
        {
            if (ttl == TimeSpan.MinValue || ttl == TimeSpan.FromSeconds(-1))
            {
                query.Add("messagettl=-1");
            }
            else
            {
                if (ttl < TimeSpan.FromSeconds(1))
                {
                    throw new ArgumentOutOfRangeException(nameof(timeToLive), "The time to live is at least 1 second, or -1 for never.");
                }

                var ttlSeconds = Seconds(ttl);
                if (delaySeconds is { } d && d >= ttlSeconds)
                {
                    throw new ArgumentOutOfRangeException(nameof(visibilityDelay), "The visibility delay must end before the message expires.");
                }

                query.Add("messagettl=" + ttlSeconds.ToString(CultureInfo.InvariantCulture));
            }
        }

        using var message = _service.CreateMessage(RequestMethod.Post, _service.Uri(Name + "/messages", string.Join('&', query)));
        SetBody(message, encoded);
        var response = await _service.SendAsync(message, "put message", ct).ConfigureAwait(false);
        if (response.Status != 201)
        {
            throw _service.Failure(response, "put message");
        }

        var sent = ParseMessages(response).SingleOrDefault()
                   ?? throw new StorageRequestException(201, null, $"Queue {Name}: put message answer has no message.");
        return sent with { Text = text };
    }

    /// <summary>Receives up to <paramref name="maxMessages"/> (1..32) messages and hides them for <paramref name="visibilityTimeout"/> (1 s..7 days).</summary>
    public async Task<IReadOnlyList<QueueMessage>> ReceiveMessagesAsync(int maxMessages, TimeSpan visibilityTimeout, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxMessages, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxMessages, 32);
        if (visibilityTimeout < TimeSpan.FromSeconds(1) || visibilityTimeout > MaxVisibility)
        {
            throw new ArgumentOutOfRangeException(nameof(visibilityTimeout), "The visibility timeout is 1 second to 7 days.");
        }

        var query = string.Create(CultureInfo.InvariantCulture, $"numofmessages={maxMessages}&visibilitytimeout={Seconds(visibilityTimeout)}");
        using var message = _service.CreateMessage(RequestMethod.Get, _service.Uri(Name + "/messages", query));
        var response = await _service.SendAsync(message, "get messages", ct).ConfigureAwait(false);
        return response.Status == 200 ? ParseMessages(response) : throw _service.Failure(response, "get messages");
    }

    /// <summary>Reads up to 32 visible messages without hiding them (no pop receipt).</summary>
    public async Task<IReadOnlyList<QueueMessage>> PeekMessagesAsync(int maxMessages, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxMessages, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxMessages, 32);
        var query = string.Create(CultureInfo.InvariantCulture, $"peekonly=true&numofmessages={maxMessages}");
        using var message = _service.CreateMessage(RequestMethod.Get, _service.Uri(Name + "/messages", query));
        var response = await _service.SendAsync(message, "peek messages", ct).ConfigureAwait(false);
        return response.Status == 200 ? ParseMessages(response) : throw _service.Failure(response, "peek messages");
    }

    /// <exception cref="MessageNotFoundException">The message is gone or the pop receipt is stale (the lease was lost).</exception>
    public async Task DeleteMessageAsync(string messageId, string popReceipt, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(messageId);
        ArgumentException.ThrowIfNullOrEmpty(popReceipt);
        using var message = _service.CreateMessage(RequestMethod.Delete, MessageUri(messageId, "popreceipt=" + Uri.EscapeDataString(popReceipt)));
        var response = await _service.SendAsync(message, "delete message", ct).ConfigureAwait(false);
        if (response.Status != 204)
        {
            throw LeaseFailure(response, "delete message");
        }
    }

    /// <summary>Hides the message again for <paramref name="visibilityTimeout"/> (0..7 days), optionally replacing its text.</summary>
    /// <returns>The new pop receipt; the old one no longer works.</returns>
    public async Task<string> UpdateVisibilityAsync(string messageId, string popReceipt, TimeSpan visibilityTimeout, string? newText = null, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(messageId);
        ArgumentException.ThrowIfNullOrEmpty(popReceipt);
        if (visibilityTimeout < TimeSpan.Zero || visibilityTimeout > MaxVisibility)
        {
            throw new ArgumentOutOfRangeException(nameof(visibilityTimeout), "The visibility timeout is 0 to 7 days.");
        }

        var query = "popreceipt=" + Uri.EscapeDataString(popReceipt) + "&visibilitytimeout=" + Seconds(visibilityTimeout).ToString(CultureInfo.InvariantCulture);
        using var message = _service.CreateMessage(RequestMethod.Put, MessageUri(messageId, query));
        if (newText is not null)
        {
            var encoded = Convert.ToBase64String(Encoding.UTF8.GetBytes(newText));
            if (encoded.Length > MaxEncodedMessageChars)
            {
                throw new ArgumentException("The message is larger than 64 KiB once encoded.", nameof(newText));
            }

            SetBody(message, encoded);
        }

        var response = await _service.SendAsync(message, "update message", ct).ConfigureAwait(false);
        if (response.Status != 204)
        {
            throw LeaseFailure(response, "update message");
        }

        return response.Headers.TryGetValue("x-ms-popreceipt", out var receipt) && !string.IsNullOrEmpty(receipt)
            ? receipt
            : throw new StorageRequestException(204, null, $"Queue {Name}: update message answer has no pop receipt.");
    }

    /// <summary>The service's approximate number of messages (visible or not).</summary>
    public async Task<int> GetApproximateCountAsync(CancellationToken ct = default)
    {
        using var message = _service.CreateMessage(RequestMethod.Get, _service.Uri(Name, "comp=metadata"));
        var response = await _service.SendAsync(message, "get queue metadata", ct).ConfigureAwait(false);
        if (response.Status != 200)
        {
            throw _service.Failure(response, "get queue metadata");
        }

        return response.Headers.TryGetValue("x-ms-approximate-messages-count", out var count)
               && int.TryParse(count, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw new StorageRequestException(200, null, $"Queue {Name}: metadata answer has no message count.");
    }

    private Uri MessageUri(string messageId, string query) =>
        _service.Uri(Name + "/messages/" + Uri.EscapeDataString(messageId), query);

    private static void SetBody(HttpMessage message, string encoded)
    {
        var xml = new XElement("QueueMessage", new XElement("MessageText", encoded)).ToString(SaveOptions.DisableFormatting);
        message.Request.Headers.SetValue("Content-Type", "application/xml");
        message.Request.Content = RequestContent.Create(Encoding.UTF8.GetBytes(xml));
    }

    private static long Seconds(TimeSpan value) => (long)Math.Ceiling(value.TotalSeconds);

    private StorageRequestException LeaseFailure(Response response, string operation)
    {
        var code = StorageService.ErrorCode(response);
        return response.Status == 404 || code is "PopReceiptMismatch" or "MessageNotFound"
            ? new MessageNotFoundException(response.Status, code, $"Queue {Name}: {operation}: the message is gone or its pop receipt is stale.")
            : _service.Failure(response, operation);
    }

    private static List<QueueMessage> ParseMessages(Response response)
    {
        var doc = XDocument.Parse(response.Content.ToString());
        var list = new List<QueueMessage>();
        foreach (var m in doc.Root?.Elements("QueueMessage") ?? [])
        {
            list.Add(new QueueMessage(
                m.Element("MessageId")?.Value ?? string.Empty,
                m.Element("PopReceipt")?.Value ?? string.Empty,
                long.TryParse(m.Element("DequeueCount")?.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var dq) ? dq : 0,
                Date(m.Element("InsertionTime")?.Value),
                Date(m.Element("TimeNextVisible")?.Value),
                Decode(m.Element("MessageText")?.Value)));
        }

        return list;
    }

    private static DateTimeOffset? Date(string? text) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var d) ? d : null;

    // Messages written by other producers may be plain text; handing them over as-is beats failing the whole receive.
    private static string Decode(string? wire)
    {
        if (string.IsNullOrEmpty(wire))
        {
            return string.Empty;
        }

        var buffer = new byte[wire.Length];
        return Convert.TryFromBase64String(wire, buffer, out var written) ? Encoding.UTF8.GetString(buffer, 0, written) : wire;
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")]
    private static partial Regex QueueName();
}
