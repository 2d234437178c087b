using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Claims.Core.Notifications;
using Claims.Testing;

namespace Claims.Functions.Tests.Notifications;

/// <summary>One request the receiver got, and what it answered (null when the sender had given up before the answer).</summary>
internal sealed record ReceivedWebhook(string? Id, string? Timestamp, string? Signature, byte[] Body, DateTimeOffset At, int Attempt)
{
    public int? Answered { get; set; }

    public WebhookVerification Verify(string secret, DateTimeOffset? now = null) =>
        StandardWebhook.Verify(secret, Id, Timestamp, Signature, Body, now ?? DateTimeOffset.UtcNow);
}

/// <summary>
/// An EHR's webhook endpoint in the test process, on loopback (HttpListener on a free port). <see cref="Behaviour"/>
/// decides each answer from the request and how often its webhook-id was seen (1 = first attempt): a status code,
/// or a delay first (longer than the app's delivery timeout = a timeout).
/// </summary>
internal sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly HttpListener listener = new();
    private readonly ConcurrentDictionary<string, int> attempts = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource stop = new();
    private readonly Task loop;

    public WebhookReceiver()
    {
        var port = FreePorts.Get(1)[0];
        Url = new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}/ehr/hook"));
        listener.Prefixes.Add(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}/"));
        listener.Start();
        loop = Task.Run(LoopAsync);
    }

    public Uri Url { get; }

    public ConcurrentQueue<ReceivedWebhook> Requests { get; } = new();

    /// <summary>Answer for a request: (delay before answering, status). Default: 204 at once.</summary>
    public Func<ReceivedWebhook, (TimeSpan Delay, int Status)> Behaviour { get; set; } = _ => (TimeSpan.Zero, 204);

    /// <summary>A <c>Retry-After</c> header value for a request's answer (null: none).</summary>
    public Func<ReceivedWebhook, string?> RetryAfter { get; set; } = _ => null;

    /// <summary>Requests answered 2xx, in arrival order.</summary>
    public IReadOnlyList<ReceivedWebhook> Accepted => [.. Requests.Where(r => r.Answered is >= 200 and <= 299)];

    /// <summary>
    /// Subscribes this receiver through the admin API (POST /api/subscriptions) to <paramref name="events"/> (a JSON
    /// array); asserts 201 and returns the subscription's id and its signing secret (shown once).
    /// </summary>
    public async Task<(string Id, string Secret)> SubscribeAsync(HttpClient admin, string events)
    {
        using var created = await admin.PostAsync("/api/subscriptions", NotificationTests.Json($$"""{ "url": "{{Url}}", "events": {{events}} }"""));
        Assert.True(created.StatusCode == HttpStatusCode.Created, $"subscribe: {(int)created.StatusCode} {await created.Content.ReadAsStringAsync()}");
        var body = JsonNode.Parse(await created.Content.ReadAsStringAsync())!;
        return (body["id"]!.GetValue<string>(), body["secret"]!.GetValue<string>());
    }

    /// <summary>Waits until at least <paramref name="count"/> requests were answered 2xx; returns them in arrival order.</summary>
    public Task<IReadOnlyList<ReceivedWebhook>> WaitForAcceptedAsync(int count, TimeSpan wait) =>
        PipelineSupport.EventuallyAsync(() => Task.FromResult(Accepted.Count >= count ? Accepted : null), wait, $"{count} accepted notifications");

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        listener.Stop();
        listener.Close();
        try
        {
            await loop;
        }
        catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or OperationCanceledException)
        {
            // Stopped.
        }

        stop.Dispose();
    }

    private async Task LoopAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        using var buffer = new MemoryStream();
        await context.Request.InputStream.CopyToAsync(buffer);
        var id = context.Request.Headers[StandardWebhook.IdHeader];
        var attempt = id is null ? 1 : attempts.AddOrUpdate(id, 1, (_, n) => n + 1);
        var received = new ReceivedWebhook(
            id, context.Request.Headers[StandardWebhook.TimestampHeader], context.Request.Headers[StandardWebhook.SignatureHeader], buffer.ToArray(), DateTimeOffset.UtcNow, attempt);
        Requests.Enqueue(received);
        var (delay, status) = Behaviour(received);
        try
        {
            if (delay > TimeSpan.Zero)
            {
                await Task.Delay(delay, stop.Token);
            }

            context.Response.StatusCode = status;
            if (RetryAfter(received) is { } retryAfter)
            {
                context.Response.Headers["Retry-After"] = retryAfter;
            }

            context.Response.Close();
            received.Answered = status;
        }
        catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or OperationCanceledException or IOException or InvalidOperationException)
        {
            // The sender gave up (timeout) or the receiver is stopping: no answer.
        }
    }
}
