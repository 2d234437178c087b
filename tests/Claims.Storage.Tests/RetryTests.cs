using System.Globalization;
using System.Net;
using Claims.Storage.Rest;
using Claims.Testing;

namespace Claims.Storage.Tests;

/// <summary>Retry classification against a local HTTP server that answers a fixed status (Azurite cannot be told to fail).</summary>
public sealed class RetryTests
{
    [Theory]
    [InlineData(503, "ServerBusy")]
    [InlineData(500, "InternalError")]
    [InlineData(429, null)]
    [InlineData(408, null)]
    public async Task TransientStatus_RetriedThenStorageUnavailable(int status, string? code)
    {
        await using var server = FixedStatusServer.Start(status, code);
        var clients = new StorageClients(server.Connection, new StorageClientOptions { MaxRetries = 2, RetryDelay = TimeSpan.FromMilliseconds(5), MaxRetryDelay = TimeSpan.FromMilliseconds(10) });

        var ex = await Assert.ThrowsAsync<StorageUnavailableException>(() => clients.Table("claims").GetEntityAsync("p", "r"));

        Assert.Equal(status, ex.Status);
        Assert.Equal(code, ex.ErrorCode);
        Assert.Equal(3, server.Requests);
    }

    [Fact]
    public async Task NonTransientStatus_NotRetried_ThrowsStorageRequestException()
    {
        await using var server = FixedStatusServer.Start(400, "InvalidInput");
        var clients = new StorageClients(server.Connection, new StorageClientOptions { MaxRetries = 3, RetryDelay = TimeSpan.FromMilliseconds(5) });

        var ex = await Assert.ThrowsAsync<StorageRequestException>(() => clients.Queue("q-1").SendMessageAsync("x"));

        Assert.Equal(400, ex.Status);
        Assert.Equal("InvalidInput", ex.ErrorCode);
        Assert.Equal(1, server.Requests);
    }

    [Fact]
    public async Task Ping_ServerBusy_FalseAfterOneAttemptPerService()
    {
        await using var server = FixedStatusServer.Start(503, "ServerBusy");
        var clients = new StorageClients(server.Connection, new StorageClientOptions { MaxRetries = 4 });

        var healthy = await clients.PingAsync();

        Assert.False(healthy);
        Assert.Equal(3, server.Requests);
    }

    [Fact]
    public async Task SlowServer_NetworkTimeout_ThrowsStorageUnavailable()
    {
        await using var server = FixedStatusServer.Start(200, null, delay: TimeSpan.FromSeconds(5));
        var clients = new StorageClients(server.Connection, new StorageClientOptions { MaxRetries = 0, NetworkTimeout = TimeSpan.FromMilliseconds(300) });

        await Assert.ThrowsAsync<StorageUnavailableException>(() => clients.Container("raw").DownloadAsync("b"));
    }

    private sealed class FixedStatusServer : IAsyncDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly CancellationTokenSource _stop = new();
        private int _requests;
        private Task _loop = Task.CompletedTask;

        private FixedStatusServer(int port) => Port = port;

        public int Port { get; }

        public int Requests => Volatile.Read(ref _requests);

        public StorageConnection Connection => StorageConnection.Parse(string.Create(
            CultureInfo.InvariantCulture,
            $"AccountName=devstoreaccount1;AccountKey={AzuriteFixture.AccountKey};BlobEndpoint=http://127.0.0.1:{Port}/devstoreaccount1;" +
            $"QueueEndpoint=http://127.0.0.1:{Port}/devstoreaccount1;TableEndpoint=http://127.0.0.1:{Port}/devstoreaccount1"));

        public static FixedStatusServer Start(int status, string? code, TimeSpan? delay = null)
        {
            var server = new FixedStatusServer(FreePorts.GetOne());
            server._listener.Prefixes.Add(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{server.Port}/"));
            server._listener.Start();
            server._loop = server.ServeAsync(status, code, delay ?? TimeSpan.Zero);
            return server;
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Close();
            try
            {
                await _loop;
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or OperationCanceledException)
            {
                // The listener was closed under the loop: that is how it ends.
            }

            _stop.Dispose();
        }

        private async Task ServeAsync(int status, string? code, TimeSpan delay)
        {
            while (!_stop.IsCancellationRequested)
            {
                var context = await _listener.GetContextAsync();
                Interlocked.Increment(ref _requests);
                if (delay > TimeSpan.Zero)
                {
                    await Task.Delay(delay, _stop.Token);
                }

                context.Response.StatusCode = status;
                if (code is not null)
                {
                    context.Response.Headers["x-ms-error-code"] = code;
                }

                context.Response.Close();
            }
        }
    }
}
