using System.Globalization;
using System.Net;
using Azure;
using Claims.Testing;
using Microsoft.Extensions.DependencyInjection;

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
        await using var services = TestStorage.Services(server.ConnectionString, new() { ["Storage:MaxRetries"] = "2" });

        var ex = await Assert.ThrowsAsync<StorageUnavailableException>(
            () => services.GetRequiredService<StorageClients>().Table("claims").GetEntityOrDefaultAsync("p", "r"));

        if (status == 408)
        {
            // HttpListener closes the connection after a 408, so a retry can end as a transport failure (also an
            // outage) before it reaches the listener.
            Assert.InRange(server.Requests, 2, 3);
            return;
        }

        Assert.Equal(status, ex.Status);
        Assert.Equal(3, server.Requests);
    }

    [Fact]
    public async Task NonTransientStatus_NotRetried_StaysTheSdksRequestFailedException()
    {
        await using var server = FixedStatusServer.Start(400, "InvalidInput");
        await using var services = TestStorage.Services(server.ConnectionString, new() { ["Storage:MaxRetries"] = "3" });

        var ex = await Assert.ThrowsAsync<RequestFailedException>(() => services.GetRequiredService<StorageClients>().Queue("q-1").SendMessageAsync("x"));

        Assert.Equal(400, ex.Status);
        Assert.Equal("InvalidInput", ex.ErrorCode);
        Assert.Equal(1, server.Requests);
    }

    [Fact]
    public async Task Probe_ServerBusy_FalseAfterOneAttemptPerService()
    {
        await using var server = FixedStatusServer.Start(503, "ServerBusy");
        await using var services = TestStorage.Services(server.ConnectionString, new() { ["Storage:MaxRetries"] = "4" });

        var healthy = await services.GetRequiredService<StorageHealthProbe>().PingAsync();

        Assert.False(healthy);
        Assert.Equal(3, server.Requests);
    }

    [Fact]
    public async Task SlowServer_NetworkTimeout_ThrowsStorageUnavailable()
    {
        await using var server = FixedStatusServer.Start(200, null, delay: TimeSpan.FromSeconds(5));
        await using var services = TestStorage.Services(
            server.ConnectionString, new() { ["Storage:MaxRetries"] = "0", ["Storage:NetworkTimeout"] = "00:00:00.300" });

        await Assert.ThrowsAsync<StorageUnavailableException>(() => services.GetRequiredService<StorageClients>().Container("raw").DownloadOrDefaultAsync("b"));
    }

    [Fact]
    public async Task CallerCancels_StaysOperationCanceled_NotAnOutage()
    {
        await using var server = FixedStatusServer.Start(200, null, delay: TimeSpan.FromSeconds(5));
        await using var services = TestStorage.Services(server.ConnectionString, new() { ["Storage:NetworkTimeout"] = "00:00:10" });
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        var ex = await Assert.ThrowsAnyAsync<Exception>(
            () => services.GetRequiredService<StorageClients>().Container("raw").DownloadOrDefaultAsync("b", cancel.Token));

        Assert.IsAssignableFrom<OperationCanceledException>(ex);
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

        public string ConnectionString => TestStorage.OnPort(Port);

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
