using System.Collections.Concurrent;
using System.Diagnostics;
using Azure;
using Azure.Data.Tables;
using Claims.Application.Storage;
using Claims.Storage;
using static Report;

namespace Claims.Load;

/// <summary>One clean claim of the run: when it was posted, when the 202 came, when its row said Submitted.</summary>
internal sealed record CleanClaim(string ClaimId, DateTimeOffset SentAt, DateTimeOffset AnsweredAt)
{
    public string Status { get; set; } = "Received";

    /// <summary>The row's UpdatedAt in its Submitted state (the activity's clock, the same machine).</summary>
    public DateTimeOffset? SubmittedAt { get; set; }

    /// <summary>When the tool first read Submitted (polled every 100 ms).</summary>
    public DateTimeOffset? SeenAt { get; set; }
}

/// <summary>
/// The <c>clean</c> command (docs/PERFORMANCE.md, tools/cost.sh): posts clean claims (no ABA services, so the starter
/// rules submit them without a hold) one by one at a low fixed rate, and measures each claim's latency from its 202 to
/// its Submitted row. It reads the claim rows and the task hub's History table <b>directly from storage</b> (give it
/// Azurite's own ports, not the counting proxy's), so its polling is not counted as the app's. With
/// <c>--counts-url</c> it takes the counting proxy's tallies right before the first measured post and right after the
/// last measured orchestration settled, into <c>--counts-out</c>-before.json / -after.json.
/// </summary>
internal static class CleanRun
{
    public static async Task<int> RunAsync(Dictionary<string, string> o, CancellationToken ct)
    {
        var tenant = Scenarios.Get(o, "tenant");
        var storage = StorageClients.Create(StorageConnection.FromConnectionString(Scenarios.Get(o, "storage")));
        using var app = new AppClient(new Uri(Scenarios.Get(o, "url")), Scenarios.Get(o, "ingest-key"), o.GetValueOrDefault("admin-key"), 16, TimeSpan.FromSeconds(30));
        if (!await app.WaitHealthyAsync(TimeSpan.FromSeconds(90), ct).ConfigureAwait(false))
        {
            Line("The app did not become healthy within 90 s.");
            return 3;
        }

        var claims = Scenarios.Int(o, "claims", 40);
        var warmup = Scenarios.Int(o, "warmup", 3);
        var rate = Scenarios.Double(o, "rate", 1);
        var hub = o.GetValueOrDefault("hub");
        var wait = TimeSpan.FromSeconds(Scenarios.Int(o, "wait", 120));
        var runId = Guid.NewGuid().ToString("N")[..8];
        var generator = new ClaimGenerator(Scenarios.Int(o, "seed", 1), DateOnly.FromDateTime(DateTime.UtcNow), runId) { AbaShare = 0 };
        var rows = storage.Table(StorageNames.ClaimsTable);
        var history = hub is null ? null : storage.Table(hub + "History");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };

        Line(F($"## {o.GetValueOrDefault("label", "clean claims")} — {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, run {runId}"));
        Line(Scenarios.Machine());
        var settledBefore = 0;
        if (warmup > 0)
        {
            // Warm-up claims (first-call costs: JIT, the tenant's rule set and keys cached) are not measured.
            var warm = await PostAndWaitAsync(app, rows, tenant, generator, warmup, rate, wait, ct).ConfigureAwait(false);
            settledBefore = await WaitSettledAsync(history, warm.Count, wait, ct).ConfigureAwait(false);
        }

        var countsOut = o.GetValueOrDefault("counts-out");
        if (o.TryGetValue("counts-url", out var countsUrl) && countsOut is not null)
        {
            await File.WriteAllTextAsync(countsOut + "-before.json", await http.GetStringAsync(new Uri(countsUrl), ct).ConfigureAwait(false), ct).ConfigureAwait(false);
        }

        var clock = Stopwatch.StartNew();
        var sent = await PostAndWaitAsync(app, rows, tenant, generator, claims, rate, wait, ct).ConfigureAwait(false);
        var settled = await WaitSettledAsync(history, settledBefore + sent.Count, wait, ct).ConfigureAwait(false);
        var windowSeconds = clock.Elapsed.TotalSeconds;
        if (countsUrl is not null && countsOut is not null)
        {
            await File.WriteAllTextAsync(countsOut + "-after.json", await http.GetStringAsync(new Uri(countsUrl), ct).ConfigureAwait(false), ct).ConfigureAwait(false);
        }

        var submitted = sent.Where(c => c.Status == "Submitted" && c.SubmittedAt is not null).ToList();
        Line(F($"- posted {claims} clean claims (single Claims, no ABA services) at {rate:0.##}/s after {warmup} warm-up claims; 202 answers: {sent.Count}; final: {Counts(sent.Select(c => c.Status))}"));
        Line(F($"- orchestrations settled (every activity's result in the history; a submitted claim's then waits for its acknowledgment): {(history is null ? "not checked (no --hub)" : (settled - settledBefore).ToString(System.Globalization.CultureInfo.InvariantCulture))}; window (first measured post → last orchestration settled): {windowSeconds:0.0} s"));
        Line(F($"- **202 → Submitted (the row's updatedAt) p50 / p95 / p99: {Percentiles.Summary(submitted.Select(c => (c.SubmittedAt!.Value - c.AnsweredAt).TotalMilliseconds).ToList())}**"));
        Line(F($"- post sent → Submitted (updatedAt): {Percentiles.Summary(submitted.Select(c => (c.SubmittedAt!.Value - c.SentAt).TotalMilliseconds).ToList())}; 202 → Submitted seen by a 100 ms poll: {Percentiles.Summary(submitted.Where(c => c.SeenAt is not null).Select(c => (c.SeenAt!.Value - c.AnsweredAt).TotalMilliseconds).ToList())}"));
        Line(F($"- webhook (post → 202): {Percentiles.Summary(sent.Select(c => (c.AnsweredAt - c.SentAt).TotalMilliseconds).ToList())}"));
        Line(F($"- load average after: {Scenarios.LoadAverage()}"));
        if (countsOut is not null)
        {
            await File.WriteAllTextAsync(countsOut + "-run.json", F($$"""{"claims":{{submitted.Count}},"posted":{{claims}},"windowSeconds":{{windowSeconds:0.000}}}"""), ct).ConfigureAwait(false);
        }

        return submitted.Count == claims ? 0 : 1;
    }

    /// <summary>Posts at the fixed rate while a poller reads each posted claim's row every 100 ms until it is final.</summary>
    private static async Task<List<CleanClaim>> PostAndWaitAsync(
        AppClient app, TableClient rows, string tenant, ClaimGenerator generator, int count, double rate, TimeSpan limit, CancellationToken ct)
    {
        var posted = new ConcurrentQueue<CleanClaim>();
        var postingDone = false;
        var poller = Task.Run(() => PollAsync(rows, tenant, posted, () => Volatile.Read(ref postingDone), limit, ct), ct);
        var clock = Stopwatch.StartNew();
        var interval = TimeSpan.FromSeconds(1 / Math.Max(0.01, rate));
        var running = new List<Task>();
        for (var i = 0; i < count; i++)
        {
            var due = interval * i;
            if (due > clock.Elapsed)
            {
                await Task.Delay(due - clock.Elapsed, ct).ConfigureAwait(false);
            }

            var claim = generator.Next();
            running.Add(Task.Run(async () =>
            {
                var at = DateTimeOffset.UtcNow;
                var answer = await app.PostAsync("api/fhir/Claim", claim.ToUtf8(), "application/fhir+json", ct: ct).ConfigureAwait(false);
                var answered = DateTimeOffset.UtcNow;
                if (answer.Status == 202 && AppClient.ClaimIdOf(answer.Body) is { } id)
                {
                    posted.Enqueue(new CleanClaim(id, at, answered));
                }
                else
                {
                    Line(F($"- post answered {answer.Key}: {answer.Body[..Math.Min(200, answer.Body.Length)]}"));
                }
            }, ct));
        }

        await Task.WhenAll(running).ConfigureAwait(false);
        Volatile.Write(ref postingDone, true);
        await poller.ConfigureAwait(false);
        return [.. posted.OrderBy(c => c.SentAt)];
    }

    private static async Task PollAsync(TableClient rows, string tenant, ConcurrentQueue<CleanClaim> posted, Func<bool> postingDone, TimeSpan limit, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + limit;
        var pending = new List<CleanClaim>();
        var taken = 0;
        while (DateTime.UtcNow < deadline)
        {
            var done = postingDone();
            var snapshot = posted.ToArray();
            pending.AddRange(snapshot.Skip(taken));
            taken = snapshot.Length;
            foreach (var claim in pending)
            {
                try
                {
                    var row = await rows.GetEntityAsync<TableEntity>(tenant, claim.ClaimId, ["Status", "UpdatedAt"], ct).ConfigureAwait(false);
                    claim.Status = row.Value.GetString("Status") ?? "?";
                    if (Tracker.Final.Contains(claim.Status))
                    {
                        claim.SeenAt = DateTimeOffset.UtcNow;
                        claim.SubmittedAt = row.Value.GetDateTimeOffset("UpdatedAt");
                    }
                }
                catch (RequestFailedException ex) when (ex.Status == 404)
                {
                    claim.Status = "NotFound";
                }
            }

            pending = pending.Where(c => !Tracker.Final.Contains(c.Status)).ToList();
            if (done && pending.Count == 0 && taken == posted.Count)
            {
                return;
            }

            await Task.Delay(100, ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Waits until the task hub holds at least <paramref name="expected"/> settled orchestrations and returns how many
    /// it holds. Settled: every activity the orchestration scheduled has its result in the history (TaskCompleted or
    /// TaskFailed), so the orchestrator has replayed it and now waits — for the claim's acknowledgment (with its timer)
    /// or nothing at all. Since issue 16 a submitted claim's orchestration waits for its acknowledgment and does not
    /// complete, so completion is no longer the end of a clean claim's work. The history is read with one query per
    /// poll, directly from storage (not counted).
    /// </summary>
    private static async Task<int> WaitSettledAsync(TableClient? history, int expected, TimeSpan limit, CancellationToken ct)
    {
        if (history is null)
        {
            return 0;
        }

        var deadline = DateTime.UtcNow + limit;
        var settled = 0;
        while (DateTime.UtcNow < deadline)
        {
            var open = new Dictionary<string, int>(StringComparer.Ordinal);
            await foreach (var e in history.QueryAsync<TableEntity>(
                "EventType eq 'TaskScheduled' or EventType eq 'TaskCompleted' or EventType eq 'TaskFailed'",
                select: ["PartitionKey", "EventType"], cancellationToken: ct).ConfigureAwait(false))
            {
                open[e.PartitionKey] = open.GetValueOrDefault(e.PartitionKey) + (e.GetString("EventType") == "TaskScheduled" ? 1 : -1);
            }

            settled = open.Values.Count(n => n == 0);
            if (settled >= expected)
            {
                break;
            }

            await Task.Delay(100, ct).ConfigureAwait(false);
        }

        return settled;
    }
}
