using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using Claims.Core.Notifications;
using Microsoft.Extensions.Options;

namespace Claims.Application.Notifications;

/// <summary>The callback host resolved to an address the SSRF guard refuses (<see cref="CallbackAddresses"/>).</summary>
public sealed class CallbackAddressRefusedException : Exception
{
    public CallbackAddressRefusedException()
        : base("The callback host resolves to an address notifications may not be sent to.")
    {
    }

    public CallbackAddressRefusedException(string message)
        : base(message)
    {
    }

    public CallbackAddressRefusedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// Posts one signed notification (Standard Webhooks headers) and says what came of it. The connection is made by a
/// connect callback that resolves the host and refuses it unless every address passes
/// <see cref="CallbackAddresses.AreAllowed"/>, at every connection (DNS rebinding); redirects are not followed.
/// </summary>
public sealed class NotificationSender : IDisposable
{
    private readonly HttpClient client;
    private readonly IOptions<NotificationOptions> options;

    public NotificationSender(IOptions<NotificationOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        this.options = options;
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(1),
            ConnectTimeout = options.Value.DeliveryTimeout,
            ConnectCallback = ConnectAsync,
        };
        client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>Whether <paramref name="url"/>'s scheme may be used here: https, or http to a loopback host when loopback is allowed.</summary>
    public static bool SchemeAllowed(Uri url, bool loopbackAllowed)
    {
        ArgumentNullException.ThrowIfNull(url);
        return url.Scheme == Uri.UriSchemeHttps || (url.Scheme == Uri.UriSchemeHttp && loopbackAllowed && url.IsLoopback);
    }

    /// <summary>Posts <paramref name="body"/> to <paramref name="url"/> signed with every secret in <paramref name="secrets"/>.</summary>
    public async Task<AttemptResult> PostAsync(Uri url, string webhookId, IReadOnlyList<string> secrets, string body, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (!SchemeAllowed(url, options.Value.LoopbackAllowed))
        {
            return AttemptResult.Refused;
        }

        var bytes = Encoding.UTF8.GetBytes(body);
        var timestamp = now.ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(bytes) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/fhir+json") { CharSet = "utf-8" };
        request.Headers.TryAddWithoutValidation(StandardWebhook.IdHeader, webhookId);
        request.Headers.TryAddWithoutValidation(StandardWebhook.TimestampHeader, timestamp.ToString(CultureInfo.InvariantCulture));
        request.Headers.TryAddWithoutValidation(StandardWebhook.SignatureHeader, StandardWebhook.SignatureHeaderValue(secrets, webhookId, timestamp, bytes));
        request.Headers.UserAgent.Add(new ProductInfoHeaderValue("claims-functions-notifications", "1"));

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Value.DeliveryTimeout);
        try
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            TimeSpan? retryAfter = response.Headers.RetryAfter switch
            {
                { Delta: { } delta } => delta,
                { Date: { } date } => date - now,
                _ => null,
            };
            return AttemptResult.Status((int)response.StatusCode, retryAfter);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return AttemptResult.Timeout;
        }
        catch (HttpRequestException ex) when (ex.InnerException is CallbackAddressRefusedException)
        {
            return AttemptResult.Refused;
        }
        catch (HttpRequestException)
        {
            return AttemptResult.ConnectionError;
        }
    }

    /// <summary>The addresses of <paramref name="host"/> (itself when it is an address).</summary>
    public static async Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        var bare = host.Trim('[', ']');
        return IPAddress.TryParse(bare, out var address) ? [address] : await Dns.GetHostAddressesAsync(bare, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var addresses = await ResolveAsync(context.DnsEndPoint.Host, cancellationToken).ConfigureAwait(false);
        if (!CallbackAddresses.AreAllowed(addresses, options.Value.LoopbackAllowed))
        {
            throw new CallbackAddressRefusedException();
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, context.DnsEndPoint.Port, cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public void Dispose() => client.Dispose();
}
