using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Claims.Application.Processing;
using Claims.Application.Rules;
using Claims.Application.Storage;
using Claims.Core.Claims;
using Claims.Core.Pipeline;
using Claims.Storage;
using Claims.Testing;
using Microsoft.Extensions.Options;
using Xunit.Abstractions;
using static Claims.Functions.Tests.PipelineSupport;

namespace Claims.Functions.Tests;

/// <summary>
/// FAULT TEST (kill test), issue 5 item 6: the app runs as a child process (the local host, Claims.LocalHost.dll, running the built functions) against
/// the fixture's Azurite; 200 claims are posted concurrently, the process tree is SIGKILLed mid-stream, the app is
/// started again, and every accepted claim must end Submitted, Held or Failed with exactly one outbound file per
/// submitted claim and none for any other. Also: the same pipeline message delivered twice submits once.
/// Run it alone with <c>--filter FullyQualifiedName~KillTests</c>.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class KillTests(AzuriteFixture azurite, ITestOutputHelper output)
{
    private const int ClaimCount = 200;
    private const int KillAfterAccepted = 70;
    private static readonly string[] Terminal = [nameof(PipelineStatus.Submitted), nameof(PipelineStatus.Held), nameof(PipelineStatus.Failed)];

    [Fact]
    public async Task KillTest_SigkillMidStreamThenRestart_EveryAcceptedClaimEndsTerminalWithOneOutboundFilePerSubmission()
    {
        var started = Stopwatch.StartNew();
        var storage = StorageClients.Create(StorageConnection.FromConnectionString(azurite.ConnectionString));
        var tenant = TenantId.Parse("kill" + Guid.NewGuid().ToString("N")[..12]);
        var ruleSets = new RuleSetStore(storage, TimeProvider.System, Options.Create(new RuleSetOptions()));
        await new StorageInitializer(storage).EnsureCreatedAsync(CancellationToken.None);
        await UseTestRulesAsync(ruleSets, tenant);

        var accepted = new ConcurrentDictionary<int, string>();
        var app = ChildApp.Start(azurite, tenant, output);
        try
        {
            await app.WaitHealthyAsync();
            using var killed = new CancellationTokenSource();
            using var client = app.Client(ChildApp.IngestKey(tenant));
            using var gate = new SemaphoreSlim(8);
            var posts = Enumerable.Range(0, ClaimCount).Select(async i =>
            {
                await gate.WaitAsync();
                try
                {
                    if (await TryPostAsync(client, i) is { } claimId)
                    {
                        accepted[i] = claimId;
                        if (accepted.Count == KillAfterAccepted)
                        {
                            app.Kill();
                            killed.Cancel();
                        }
                    }
                }
                finally
                {
                    gate.Release();
                }
            }).ToList();
            await Task.WhenAll(posts);
            Assert.True(killed.IsCancellationRequested, "The app was not killed mid-stream.");
            output.WriteLine($"killed after {accepted.Count} accepted at {started.Elapsed.TotalSeconds:0.0} s");
        }
        finally
        {
            await app.DisposeAsync();
        }

        // The EHR retries what got no 202 (the claim identifier makes a retry of a stored claim the same claim).
        var restarted = ChildApp.Start(azurite, tenant, output);
        try
        {
            await restarted.WaitHealthyAsync();
            using var client = restarted.Client(ChildApp.IngestKey(tenant));
            foreach (var i in Enumerable.Range(0, ClaimCount).Where(i => !accepted.ContainsKey(i)))
            {
                accepted[i] = await TryPostAsync(client, i) ?? throw new Xunit.Sdk.XunitException($"Claim {i} was refused after the restart.");
            }

            var statuses = await WaitAllTerminalAsync(storage, tenant, accepted.Values.ToHashSet(), TimeSpan.FromSeconds(60));
            output.WriteLine($"all terminal at {started.Elapsed.TotalSeconds:0.0} s: "
                + string.Join(", ", statuses.Values.GroupBy(s => s).Select(g => $"{g.Key} {g.Count()}")));

            var ids = accepted.Values.ToHashSet();
            Assert.Equal(ClaimCount, accepted.Count);
            Assert.All(ids, id => Assert.Contains(statuses[id], Terminal));
            var expectedHeld = accepted.Where(a => IsHeld(a.Key)).Select(a => a.Value).ToHashSet();
            Assert.Equal(expectedHeld.Order(), ids.Where(id => statuses[id] == "Held").Order());
            var submitted = ids.Where(id => statuses[id] == "Submitted").Select(id => $"{tenant.Value}/{id}.json").Order(StringComparer.Ordinal).ToList();
            var outbound = (await OutboundAsync(storage, tenant)).Order(StringComparer.Ordinal).ToList();
            Assert.Equal(submitted, outbound);

            // Exactly one Submitted transition and one submit audit row per submitted claim, however often it was replayed.
            var audit = await AuditRowsAsync(storage, tenant);
            foreach (var id in ids.Where(id => statuses[id] == "Submitted"))
            {
                var row = await storage.Table(StorageNames.ClaimsTable).GetEntityOrDefaultAsync(tenant.Value, id);
                var state = PipelineJson.DeserializeState(row!.GetString("Pipeline")!);
                Assert.Single(state.History, h => h.To == PipelineStatus.Submitted);
                Assert.Single(audit, r => r.GetString("ClaimId") == id && r.GetString("Action") == PipelineAuditActions.Submit && r.GetString("Result") == "SUCCESS");
            }

            Assert.True(started.Elapsed < TimeSpan.FromSeconds(120), $"The kill test took {started.Elapsed.TotalSeconds:0} s.");
        }
        finally
        {
            await restarted.DisposeAsync();
        }
    }

    [Fact]
    public async Task KillTest_SameReleaseSentTwiceAtOnce_SubmitsOnce()
    {
        var storage = StorageClients.Create(StorageConnection.FromConnectionString(azurite.ConnectionString));
        var tenant = TenantId.Parse("dup" + Guid.NewGuid().ToString("N")[..12]);
        await new StorageInitializer(storage).EnsureCreatedAsync(CancellationToken.None);
        var ruleSets = new RuleSetStore(storage, TimeProvider.System, Options.Create(new RuleSetOptions()));
        await UseTestRulesAsync(ruleSets, tenant, holdEverything: true);
        var app = ChildApp.Start(azurite, tenant, output);
        try
        {
            await app.WaitHealthyAsync();
            using var client = app.Client(ChildApp.AdminKey(tenant));
            using var ingest = app.Client(ChildApp.IngestKey(tenant));
            var claimId = await PostClaimAsync(ingest, Claim("CLM-DUP-1"));
            await ClaimFlowTests.WaitForStatusAsync(client, claimId, "Held");

            // The same override release sent twice at once (a client retrying): one moves the claim and raises the
            // event to its orchestration, the other meets the moved row (409); the claim is submitted once.
            var answers = await Task.WhenAll(
                client.PostAsync($"/api/claims/{claimId}/release", JsonBody("""{ "mode": "override", "note": "dup test" }""")),
                client.PostAsync($"/api/claims/{claimId}/release", JsonBody("""{ "mode": "override", "note": "dup test" }""")));
            Assert.Equal([HttpStatusCode.OK, HttpStatusCode.Conflict], answers.Select(a => a.StatusCode).Order());
            foreach (var answer in answers)
            {
                answer.Dispose();
            }

            var view = await ClaimFlowTests.WaitForStatusAsync(client, claimId, "Submitted");
            await Task.Delay(TimeSpan.FromSeconds(2));
            view = await ClaimFlowTests.WaitForStatusAsync(client, claimId, "Submitted");

            var path = view["history"]!.AsArray().Select(h => h!["to"]!.GetValue<string>()).ToArray();
            Assert.Equal(["Received", "Evaluating", "Held", "Submitting", "Submitted"], path);
            Assert.Equal(1, view["attempts"]!.GetValue<int>());
            Assert.Equal([$"{tenant.Value}/{claimId}.json"], await OutboundAsync(storage, tenant));
            var audit = await AuditRowsAsync(storage, tenant);
            Assert.Single(audit, r => r.GetString("ClaimId") == claimId && r.GetString("Action") == PipelineAuditActions.ReleaseOverride);
            Assert.Single(audit, r => r.GetString("ClaimId") == claimId && r.GetString("Action") == PipelineAuditActions.Submit);
        }
        finally
        {
            await app.DisposeAsync();
        }
    }

    private static bool IsHeld(int i) => i % 10 == 3;

    private static async Task<string?> TryPostAsync(HttpClient client, int i)
    {
        try
        {
            using var response = await client.PostAsync("/api/fhir/Claim", FhirBody(Claim(string.Create(CultureInfo.InvariantCulture, $"KILL-{i:D4}"), IsHeld(i))));
            return response.StatusCode == HttpStatusCode.Accepted
                ? JsonNode.Parse(await response.Content.ReadAsStringAsync())!["claimId"]!.GetValue<string>()
                : null;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
        {
            // The app died under the request: not accepted; the EHR retries it.
            return null;
        }
    }

    private async Task<Dictionary<string, string>> WaitAllTerminalAsync(StorageClients storage, TenantId tenant, HashSet<string> ids, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var table = storage.Table(StorageNames.ClaimsTable);
        while (true)
        {
            // Settled = a terminal status and no admin action left for the orchestration to take up (docs/PIPELINE.md).
            var statuses = new Dictionary<string, string>();
            var unsettled = new HashSet<string>();
            await foreach (var row in table.QueryAsync<TableEntity>(TableFilter.PartitionEq(tenant.Value), select: ["RowKey", "Status", "PendingAction"]))
            {
                if (row.GetString("Status") is { } status)
                {
                    statuses[row.RowKey] = status;
                }

                if (row.GetString("PendingAction") is not null)
                {
                    unsettled.Add(row.RowKey);
                }
            }

            var pending = ids.Where(id => !statuses.TryGetValue(id, out var s) || !Terminal.Contains(s) || unsettled.Contains(id)).ToList();
            if (pending.Count == 0 || DateTime.UtcNow > deadline)
            {
                if (pending.Count > 0)
                {
                    output.WriteLine("not settled: " + string.Join(", ", pending.Take(10).Select(id => $"{id}={statuses.GetValueOrDefault(id) ?? "missing"}{(unsettled.Contains(id) ? " with outbox" : string.Empty)}")));
                }

                return statuses;
            }

            await Task.Delay(500);
        }
    }

    /// <summary>The app as its own process (dotnet Claims.LocalHost.dll) on a free port.</summary>
    /// <summary>The app as a child process (also used by NotificationTests' kill test).</summary>
    internal sealed class ChildApp : IAsyncDisposable
    {
        // Keys per tenant: the dev seeder refuses a key already registered to another tenant.
        public static string IngestKey(TenantId tenant) => "kill-test-ingest-" + tenant.Value;

        public static string AdminKey(TenantId tenant) => "kill-test-admin-" + tenant.Value;

        private readonly Process process;
        private readonly StringBuilder log = new();
        private readonly ITestOutputHelper output;

        private ChildApp(Process process, Uri baseAddress, ITestOutputHelper output)
        {
            this.process = process;
            BaseAddress = baseAddress;
            this.output = output;
            process.OutputDataReceived += (_, e) => Append(e.Data);
            process.ErrorDataReceived += (_, e) => Append(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        public Uri BaseAddress { get; }

        public static ChildApp Start(AzuriteFixture azurite, TenantId tenant, ITestOutputHelper output, IReadOnlyDictionary<string, string>? extraSettings = null)
        {
            var dll = Path.Combine(AppContext.BaseDirectory, "Claims.LocalHost.dll");
            Assert.True(File.Exists(dll), $"{dll} is missing: build tests/Claims.Functions.Tests first.");
            var port = FreePorts.Get(1)[0];
            var info = new ProcessStartInfo("dotnet")
            {
                WorkingDirectory = AzuriteFixture.FindRepoRoot(),
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            info.ArgumentList.Add(dll);
            var env = info.Environment;
            env["AzureWebJobsStorage"] = azurite.ConnectionString;
            env["urls"] = string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}");
            env["Dev__TenantId"] = tenant.Value;
            env["Dev__IngestApiKey"] = IngestKey(tenant);
            env["Dev__AdminApiKey"] = AdminKey(tenant);
            env["StuckClaimSweepSchedule"] = "*/2 * * * * *";
            env["AuthorizationSweepSchedule"] = "0 0 6 * * *";
            env["SignatureReplayPurgeSchedule"] = "0 17 * * * *";
            env["AcknowledgmentPollSchedule"] = "0 0 0 1 1 *";
            env["NotificationSweepSchedule"] = "0 */5 * * * *";
            env["NotificationLogPurgeSchedule"] = "0 41 3 * * *";
            env["TaskHubName"] = "Hub" + tenant.Value; // the same hub after a restart: its orchestrations resume
            env["Pipeline__StuckAfter"] = "00:00:03";
            env["AzureFunctionsJobHost__extensions__queues__maxPollingInterval"] = "00:00:00.200";
            env["AzureFunctionsJobHost__extensions__queues__visibilityTimeout"] = "00:00:01";

            // What the killed process had taken off the task hub's queues comes back to the restarted one this soon.
            env["AzureFunctionsJobHost__extensions__durableTask__storageProvider__controlQueueVisibilityTimeout"] = "00:00:05";
            env["AzureFunctionsJobHost__extensions__durableTask__storageProvider__workItemQueueVisibilityTimeout"] = "00:00:05";
            env["AzureFunctionsJobHost__extensions__queues__messageLease"] = "00:00:05";
            env["Logging__LogLevel__Default"] = "Warning";

            // The task hub follows the tenant, so the restarted app resumes the orchestrations the killed one started.
            env["AzureFunctionsJobHost__extensions__durableTask__storageProvider__maxQueuePollingInterval"] = "00:00:00.500";
            foreach (var (name, value) in extraSettings ?? new Dictionary<string, string>())
            {
                env[name] = value;
            }

            var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start the app.");
            return new ChildApp(process, new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}")), output);
        }

        public HttpClient Client(string key)
        {
            var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
            client.DefaultRequestHeaders.Add("x-api-key", key);
            return client;
        }

        public async Task WaitHealthyAsync()
        {
            using var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(45);
            while (DateTime.UtcNow < deadline)
            {
                Assert.False(process.HasExited, $"The app exited with {(process.HasExited ? process.ExitCode : 0)}:\n{Log()}");
                try
                {
                    using var response = await client.GetAsync("/api/health");
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        return;
                    }
                }
                catch (HttpRequestException)
                {
                    // Not listening yet.
                }

                await Task.Delay(200);
            }

            throw new Xunit.Sdk.XunitException($"The app did not become healthy:\n{Log()}");
        }

        /// <summary>SIGKILL, the whole process tree: no graceful shutdown, no drain.</summary>
        public void Kill()
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        public async ValueTask DisposeAsync()
        {
            Kill();
            await process.WaitForExitAsync();
            var errors = Log();
            if (errors.Length > 0)
            {
                output.WriteLine(errors.Length > 4000 ? errors[..4000] : errors);
            }

            process.Dispose();
        }

        private void Append(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (log)
            {
                if (log.Length < 64 * 1024)
                {
                    log.AppendLine(line);
                }
            }
        }

        private string Log()
        {
            lock (log)
            {
                return log.ToString();
            }
        }
    }
}
