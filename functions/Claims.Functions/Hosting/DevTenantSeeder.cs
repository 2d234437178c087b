using Azure;
using Claims.Application.Storage;
using Claims.Application.Tenants;
using Claims.Core.Claims;
using Claims.Storage;
using Microsoft.Extensions.Options;

namespace Claims.Functions.Hosting;

/// <summary>Settings "Dev:*": a tenant and keys seeded at start-up for a local run (never set them in Azure).</summary>
public sealed class DevTenantOptions
{
    public const string Section = "Dev";

    public string? TenantId { get; set; }

    public string? IngestApiKey { get; set; }

    public string? AdminApiKey { get; set; }
}

/// <summary>
/// Creates the storage the app needs and seeds the dev tenant, retrying while storage is not reachable yet (the
/// app starts even when Azurite is slower to come up; /health says Degraded until then).
/// </summary>
public sealed partial class StorageStartup(
    StorageInitializer initializer,
    TenantStore tenants,
    ApiKeyStore keys,
    IOptions<DevTenantOptions> dev,
    ILogger<StorageStartup> logger) : BackgroundService
{
    private readonly TaskCompletionSource ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once storage exists and the dev tenant is seeded.</summary>
    public Task Ready => ready.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromMilliseconds(250);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await initializer.EnsureCreatedAsync(stoppingToken).ConfigureAwait(false);
                await SeedAsync(stoppingToken).ConfigureAwait(false);
                ready.TrySetResult();
                return;
            }
            catch (Exception ex) when (ex is StorageUnavailableException or RequestFailedException)
            {
                Logs.DevTenantSeederWaiting(logger, ex.GetType().Name);
                await Task.Delay(delay, stoppingToken).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
            }
        }
    }

    private async Task SeedAsync(CancellationToken cancellationToken)
    {
        var options = dev.Value;
        if (string.IsNullOrWhiteSpace(options.TenantId))
        {
            return;
        }

        var tenant = TenantId.Parse(options.TenantId);
        await tenants.EnsureAsync(tenant, tenant.Value, cancellationToken).ConfigureAwait(false);
        if (!string.IsNullOrWhiteSpace(options.IngestApiKey))
        {
            await keys.RegisterAsync(tenant, ApiRole.Ingest, options.IngestApiKey, "dev-ingest", cancellationToken).ConfigureAwait(false);
        }

        if (!string.IsNullOrWhiteSpace(options.AdminApiKey))
        {
            await keys.RegisterAsync(tenant, ApiRole.Admin, options.AdminApiKey, "dev-admin", cancellationToken).ConfigureAwait(false);
        }

        Logs.DevTenantSeederSeeded(logger, tenant.Value);
    }
}
