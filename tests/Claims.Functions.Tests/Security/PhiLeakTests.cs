using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Claims.Application.Storage;
using Claims.Application.Tenants;
using Claims.Core.Claims;
using Claims.Functions.Hosting;
using Claims.Storage;
using Claims.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Claims.Functions.Tests.Security;

/// <summary>A run with a known patient leaves no name, birth date, member id or MRN in logs, rule traces or audit rows.</summary>
[Collection(AppCollection.Name)]
public sealed class PhiLeakTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private static readonly string[] Phi = ["Zebulonova", "Quintessa", "2017-03-29", "MBRQ77310495", "MRN-PHI-9931"];

    private readonly AppFactory app = new(azurite);
    private readonly CapturingLoggerProvider logs = new();
    private WebApplicationFactory<Claims.LocalHost.Program>? capturing;

    public Task InitializeAsync()
    {
        capturing = app.WithWebHostBuilder(b => b.ConfigureLogging(l =>
        {
            l.SetMinimumLevel(LogLevel.Trace);
            l.AddProvider(logs);
        }));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        if (capturing is not null)
        {
            await capturing.DisposeAsync();
        }

        await app.DisposeAsync();
    }

    [Fact]
    public async Task ClaimRun_KnownPatient_LeavesNoPhiInLogsTracesOrAuditRows()
    {
        var factory = capturing!;
        var services = factory.Services;
        await services.GetRequiredService<StorageStartup>().Ready.WaitAsync(TimeSpan.FromSeconds(60));
        var tenant = TenantId.Parse("phi" + Guid.NewGuid().ToString("N")[..12]);
        await services.GetRequiredService<TenantStore>().EnsureAsync(tenant, "PHI test", CancellationToken.None);
        var ingestKey = "ingest-" + Guid.NewGuid().ToString("N");
        var adminKey = "admin-" + Guid.NewGuid().ToString("N");
        await services.GetRequiredService<ApiKeyStore>().RegisterAsync(tenant, ApiRole.Ingest, ingestKey, "phi-ingest", CancellationToken.None);
        await services.GetRequiredService<ApiKeyStore>().RegisterAsync(tenant, ApiRole.Admin, adminKey, "phi-admin", CancellationToken.None);
        using var ingest = factory.CreateClient();
        ingest.DefaultRequestHeaders.Add("x-api-key", ingestKey);
        using var admin = factory.CreateClient();
        admin.DefaultRequestHeaders.Add("x-api-key", adminKey);
        var claim = WithPatient(SampleClaims.AbaTherapy("CLM-PHI-1"));
        var invalid = JsonNode.Parse(WithPatient(SampleClaims.AbaTherapy("CLM-PHI-2")))!;
        invalid.AsObject().Remove("status");

        using var accepted = await ingest.PostAsync("/api/fhir/Claim", SecurityTestKit.Fhir(claim));
        using var refused = await ingest.PostAsync("/api/fhir/Claim", SecurityTestKit.Fhir(invalid.ToJsonString()));
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        var claimId = JsonNode.Parse(await accepted.Content.ReadAsStringAsync())!["claimId"]!.GetValue<string>();
        var view = await SecurityTestKit.WaitForSettledAsync(admin, claimId);

        var audit = new StringBuilder();
        await foreach (var row in app.Storage.Table(StorageNames.AuditTable).QueryAsync<Azure.Data.Tables.TableEntity>(
            $"PartitionKey ge {TableFilter.Quote(tenant.Value + "-")} and PartitionKey lt {TableFilter.Quote(tenant.Value + ".")}"))
        {
            audit.AppendJoin(' ', row.Select(p => $"{p.Key}={p.Value}")).AppendLine();
        }

        var auditApi = await admin.GetStringAsync($"/api/audit?claimId={claimId}");
        Assert.NotEmpty(logs.Lines);
        Assert.NotEmpty(audit.ToString());
        Assert.NotNull(view["ruleResult"]);
        var places = new Dictionary<string, string>
        {
            ["logs"] = string.Join('\n', logs.Lines),
            ["rule result and trace (GET /claims/{id})"] = view.ToJsonString(),
            ["audit rows"] = audit.ToString(),
            ["GET /audit"] = auditApi,
            ["422 body"] = await refused.Content.ReadAsStringAsync(),
        };
        var leaks = places.SelectMany(p => Phi.Where(v => p.Value.Contains(v, StringComparison.Ordinal)).Select(v => $"{v} in {p.Key}")).ToList();
        Assert.True(leaks.Count == 0, string.Join(", ", leaks));
    }

    private static string WithPatient(string json) => json
        .Replace("\"family\": \"Sample\"", "\"family\": \"Zebulonova\"", StringComparison.Ordinal)
        .Replace("\"given\": [ \"Alex\" ]", "\"given\": [ \"Quintessa\" ]", StringComparison.Ordinal)
        .Replace("2019-04-12", "2017-03-29", StringComparison.Ordinal)
        .Replace("XJH123456789", "MBRQ77310495", StringComparison.Ordinal)
        .Replace("MRN-42", "MRN-PHI-9931", StringComparison.Ordinal);
}
