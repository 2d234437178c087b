using System.Diagnostics;
using System.Text;
using Azure;
using Claims.Application.Processing;
using Claims.Application.Storage;
using Claims.Core.Claims;
using Claims.Core.Pipeline;
using Claims.Storage;
using static Report;

namespace Claims.Load;

/// <summary>The two commands: load (with baseline, duplicates and poison options) and hostile.</summary>
internal static class Scenarios
{
    public static async Task<int> LoadAsync(Dictionary<string, string> o, CancellationToken ct)
    {
        var tenant = Get(o, "tenant");
        var storage = StorageClients.Create(StorageConnection.FromConnectionString(Get(o, "storage")));
        var concurrency = Int(o, "concurrency", 8);
        var load = new LoadOptions
        {
            Duration = TimeSpan.FromSeconds(Int(o, "duration", 30)),
            Concurrency = concurrency,
            Rate = Double(o, "rate", 0),
            MaxClaims = Int(o, "max-claims", 100_000),
            PostTwice = o.ContainsKey("post-twice"),
            BundleShare = Double(o, "bundle-share", 0),
        };
        using var app = new AppClient(new Uri(Get(o, "url")), Get(o, "ingest-key"), o.GetValueOrDefault("admin-key"), concurrency * 2 + 8, TimeSpan.FromSeconds(30));
        if (!await app.WaitHealthyAsync(TimeSpan.FromSeconds(90), ct).ConfigureAwait(false))
        {
            Line("The app did not become healthy within 90 s.");
            return 3;
        }

        var runId = Guid.NewGuid().ToString("N")[..8];
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var generator = new ClaimGenerator(Int(o, "seed", 1), today, runId) { AbaShare = Double(o, "aba-share", 0.6) };
        Line(F($"## {o.GetValueOrDefault("label", "load")} — {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, run {runId}"));
        Line(Machine());
        Line(F($"- load: {(load.Rate > 0 ? F($"{load.Rate}/s, ≤ {concurrency} in flight") : F($"{concurrency} concurrent"))} for {load.Duration.TotalSeconds} s (≤ {load.MaxClaims} claims){(load.PostTwice ? ", every post sent twice" : string.Empty)}{(load.BundleShare > 0 ? F($", {load.BundleShare:P0} of posts as 5-claim transaction Bundles") : string.Empty)}"));

        var poison = Int(o, "poison", 0);
        if (poison > 0)
        {
            await PutPoisonAsync(storage, poison, ct).ConfigureAwait(false);
            Line(F($"- poison: {poison} garbage messages put on {StorageNames.IntakeQueue}"));
        }

        var clock = Stopwatch.StartNew();
        var sent = await LoadRunner.RunAsync(app, generator, load, ct).ConfigureAwait(false);
        var loadElapsed = clock.Elapsed;
        var firstIds = sent.Where(s => !s.Repeat).SelectMany(s => s.ClaimIds).Distinct(StringComparer.Ordinal).ToList();
        var allIds = sent.SelectMany(s => s.ClaimIds).Distinct(StringComparer.Ordinal).ToList();
        var sentAt = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        foreach (var s in sent.OrderBy(s => s.SentAt))
        {
            foreach (var id in s.ClaimIds)
            {
                sentAt.TryAdd(id, s.SentAt);
            }
        }

        var states = await Tracker.WaitFinalAsync(app, allIds, TimeSpan.FromSeconds(Int(o, "wait", 180)), 8, ct).ConfigureAwait(false);

        // The Synthea Bundles go in after the generated claims are final, so they do not skew the figures above.
        var synthea = new List<Sent>();
        if (o.TryGetValue("synthea", out var dir) && Directory.Exists(dir))
        {
            foreach (var file in Directory.GetFiles(dir, "*.json").Order(StringComparer.Ordinal))
            {
                var at = DateTimeOffset.UtcNow;
                var answer = await app.PostAsync("api/fhir", await File.ReadAllBytesAsync(file, ct).ConfigureAwait(false), "application/fhir+json", ct: ct).ConfigureAwait(false);
                synthea.Add(new Sent([Path.GetFileName(file)], at, answer, answer.Status is 200 or 202 ? LoadRunner.BundleClaimIds(answer.Body) : [], false, "Synthea"));
            }
        }

        var syntheaIds = synthea.SelectMany(s => s.ClaimIds).Distinct(StringComparer.Ordinal).ToList();
        var syntheaStates = await Tracker.WaitFinalAsync(app, syntheaIds, TimeSpan.FromSeconds(Int(o, "wait", 180)), 8, ct).ConfigureAwait(false);
        var outbound = await Tracker.ReadOutboundAsync(storage, tenant, ct).ConfigureAwait(false);

        var posts = sent.Count(s => !s.Repeat);
        var claimsPosted = sent.Where(s => !s.Repeat).Sum(s => s.Identifiers.Count);
        Line(F($"- posted {claimsPosted} claims in {posts} requests ({sent.Count(s => s.Repeat)} repeats) in {loadElapsed.TotalSeconds:0.0} s; answers: {Counts(sent.Select(s => s.Answer.Key))}"));
        Line(F($"- **accepted: {firstIds.Count} claims, {firstIds.Count / loadElapsed.TotalSeconds:0.0} claims/s**"));
        var accepted = sent.Where(s => s.Answer.Status is 200 or 202).Select(s => s.Answer.Elapsed.TotalMilliseconds).ToList();
        Line(F($"- webhook latency (2xx answers) p50 / p95 / p99: {Percentiles.Summary(accepted)}; all answers: {Percentiles.Summary(sent.Select(s => s.Answer.Elapsed.TotalMilliseconds).ToList())}"));
        var finals = states.Values.Where(s => Tracker.Final.Contains(s.Status) && s.UpdatedAt is not null && sentAt.ContainsKey(s.ClaimId)).ToList();
        var e2e = finals.Select(s => (s.UpdatedAt!.Value - sentAt[s.ClaimId]).TotalMilliseconds).ToList();
        Line(F($"- end-to-end latency (post → final state) p50 / p95 / p99: {Percentiles.Summary(e2e)}"));
        double processedPerSecond = 0;
        if (finals.Count > 0)
        {
            var span = finals.Max(s => s.UpdatedAt!.Value) - sent.Min(s => s.SentAt);
            processedPerSecond = finals.Count / Math.Max(0.001, span.TotalSeconds);
            Line(F($"- **processed: {finals.Count} claims to a final state in {span.TotalSeconds:0.0} s = {processedPerSecond:0.0} claims/s**"));
        }

        Line(F($"- final states: {Counts(states.Values.Select(s => s.Status))}"));
        if (synthea.Count > 0)
        {
            Line(F($"- Synthea Bundles (posted after the load, one at a time): {synthea.Count} posted to /api/fhir, answers {Counts(synthea.Select(s => s.Answer.Key))}, {syntheaIds.Count} claims accepted, final states: {Counts(syntheaStates.Values.Select(s => s.Status))}"));
        }

        var everyState = states.Concat(syntheaStates).GroupBy(p => p.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().Value, StringComparer.Ordinal);
        var (lost, twice) = Verify([.. allIds, .. syntheaIds], everyState, outbound);
        var reenqueueFailed = false;
        if (o.ContainsKey("reenqueue"))
        {
            reenqueueFailed = !await ReenqueueAsync(app, storage, tenant, everyState, outbound, ct).ConfigureAwait(false);
        }

        if (poison > 0)
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
            int intakePoison;
            do
            {
                intakePoison = await CountAsync(storage, StorageNames.IntakeQueue + "-poison", ct).ConfigureAwait(false);
                if (intakePoison >= poison)
                {
                    break;
                }

                await Task.Delay(1000, ct).ConfigureAwait(false);
            }
            while (DateTime.UtcNow < deadline);

            Line(F($"- poison: {intakePoison} of {poison} in {StorageNames.IntakeQueue}-poison; app up afterwards: {await app.IsUpAsync(ct).ConfigureAwait(false)}"));
            if (intakePoison < poison)
            {
                reenqueueFailed = true;
            }
        }

        if (o.ContainsKey("baseline"))
        {
            var document = Encoding.UTF8.GetBytes(ClaimGenerator.ToTransactionBundle([generator.Next()]).ToJsonString());
            // The limit is what Azurite carries at its best: the mix at the load's concurrency and at twice that (the app
            // keeps more in flight than the posting workers), half the load's duration each; the better one is the
            // baseline. (At 4x Azurite on 2 cores collapsed: 32 workers carried a third of what 16 did.)
            BaselineResult? baseline = null;
            foreach (var level in new[] { concurrency, concurrency * 2 })
            {
                var run = await StorageBaseline.RunAsync(storage, document, level, load.Duration / 2, 100_000, ct).ConfigureAwait(false);
                Line(F($"- storage baseline (same op mix, {level} concurrent, {run.Elapsed.TotalSeconds:0.0} s): {run.Claims} claims, {run.Operations} operations ({(double)run.Operations / Math.Max(1, run.Claims):0.0}/claim), **{run.ClaimsPerSecond:0.0} claims/s**, {run.OperationsPerSecond:0} ops/s, {run.Errors} errors"));
                if (baseline is null || run.ClaimsPerSecond > baseline.ClaimsPerSecond)
                {
                    baseline = run;
                }
            }

            var notSubmitted = states.Values.Count(s => s.Status != "Submitted");
            Line(F($"- baseline mix: a clean claim, Durable's own operations included ({StorageBaseline.Mix.Count} steps, 28 operations + shared receives; docs/PERFORMANCE.md); {notSubmitted} of {states.Count} claims of this run did not end Submitted (a held claim costs fewer operations, so with holds in the mix the ratio flatters the app: use --aba-share 0 for the same mix)"));
            if (baseline!.ClaimsPerSecond > 0)
            {
                Line(F($"- **pipeline / storage limit: processed {processedPerSecond / baseline.ClaimsPerSecond:P0}, accepted {firstIds.Count / loadElapsed.TotalSeconds / baseline.ClaimsPerSecond:P0}**"));
            }
        }

        Line(F($"- **lost: {lost}, submitted twice: {twice}**"));
        Line(F($"- load average after the run: {LoadAverage()}"));
        Line();
        return lost == 0 && twice == 0 && !reenqueueFailed ? 0 : 1;
    }

    public static async Task<int> HostileAsync(Dictionary<string, string> o, CancellationToken ct)
    {
        var tenant = Get(o, "tenant");
        var storage = StorageClients.Create(StorageConnection.FromConnectionString(Get(o, "storage")));
        using var app = new AppClient(new Uri(Get(o, "url")), Get(o, "ingest-key"), o.GetValueOrDefault("admin-key"), 4, TimeSpan.FromSeconds(60));
        if (!await app.WaitHealthyAsync(TimeSpan.FromSeconds(90), ct).ConfigureAwait(false))
        {
            Line("The app did not become healthy within 90 s.");
            return 3;
        }

        var cases = HostileCorpus.Build(Int(o, "seed", 1), DateOnly.FromDateTime(DateTime.UtcNow)).ToList();
        if (o.TryGetValue("corpus", out var dir) && Directory.Exists(dir))
        {
            foreach (var file in Directory.GetFiles(dir, "*.json").Order(StringComparer.Ordinal))
            {
                var bytes = await File.ReadAllBytesAsync(file, ct).ConfigureAwait(false);
                cases.Add(new HostileCase("corpus-claim-" + Path.GetFileName(file), "api/fhir/Claim", "application/fhir+json", bytes));
                cases.Add(new HostileCase("corpus-bundle-" + Path.GetFileName(file), "api/fhir", "application/fhir+json", bytes));
            }
        }

        Line(F($"## hostile input — {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC"));
        Line(Machine());
        var results = new List<(HostileCase Case, Answer Answer, bool Outcome)>();
        var crashes = new List<string>();
        var throttled = 0;
        var runId = Guid.NewGuid().ToString("N")[..8];
        foreach (var c in cases)
        {
            // A key of its own per case: a mutation that is still a valid claim is a new claim, not a 409 repeat.
            var key = "hostile-" + runId + "-" + results.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var answer = await app.PostAsync(c.Path, c.Body, c.ContentType, ct: ct, idempotencyKey: key).ConfigureAwait(false);
            for (var retry = 0; answer.Status == 429 && retry < 10; retry++)
            {
                throttled++;
                await Task.Delay(answer.RetryAfter is { } wait && wait < TimeSpan.FromSeconds(5) ? wait : TimeSpan.FromSeconds(1), ct).ConfigureAwait(false);
                answer = await app.PostAsync(c.Path, c.Body, c.ContentType, ct: ct, idempotencyKey: key).ConfigureAwait(false);
            }

            results.Add((c, answer, answer.Status is >= 400 and < 500 && AppClient.IsOperationOutcome(answer.Body)));
            if (answer.Status == 0 && !await app.IsUpAsync(ct).ConfigureAwait(false))
            {
                crashes.Add(c.Name);
                Line(F($"- app not answering after case {c.Name}; waiting for it"));
                if (!await app.WaitHealthyAsync(TimeSpan.FromSeconds(60), ct).ConfigureAwait(false))
                {
                    break;
                }
            }
        }

        var serverErrors = results.Where(r => r.Answer.Status >= 500).ToList();
        var fourxx = results.Count(r => r.Answer.Status is >= 400 and < 500);
        var outcome = results.Count(r => r.Outcome);
        Line(F($"- cases: {results.Count} (of {cases.Count}); answers: {Counts(results.Select(r => r.Answer.Key))}; 429s retried after Retry-After: {throttled}"));
        Line(F($"- **5xx: {serverErrors.Count}; no answer: {results.Count(r => r.Answer.Status == 0)}; process crashes: {crashes.Count}**"));
        Line(F($"- **refused with a 4xx OperationOutcome: {outcome} of {results.Count} ({(double)outcome / results.Count:P1}); 4xx without an OperationOutcome body: {fourxx - outcome}; accepted (2xx): {results.Count(r => r.Answer.Status is >= 200 and < 300)}**"));
        foreach (var r in serverErrors.Take(20))
        {
            Line(F($"  - 5xx {r.Answer.Status} on {r.Case.Name} ({r.Case.Path}, {r.Case.Body.Length} bytes): {Truncate(r.Answer.Body, 300)}"));
        }

        foreach (var r in results.Where(r => r.Answer.Status is >= 400 and < 500 && !r.Outcome).Take(10))
        {
            Line(F($"  - {r.Answer.Status} without OperationOutcome on {r.Case.Name}: {Truncate(r.Answer.Body, 120)}"));
        }

        // The same corpus through $validate (Claim and system level): it answers 200 for content it finds invalid, so
        // only 5xx and dead connections count here.
        var validateErrors = await ValidateCorpusAsync(app, cases, ct).ConfigureAwait(false);

        // Whatever was accepted must still flow through the pipeline without poisoning it.
        var acceptedIds = results.Where(r => r.Answer.Status is 200 or 202)
            .SelectMany(r => r.Case.Path.EndsWith("Claim", StringComparison.Ordinal) ? AppClient.ClaimIdOf(r.Answer.Body) is { } id ? [id] : [] : LoadRunner.BundleClaimIds(r.Answer.Body))
            .Distinct(StringComparer.Ordinal).ToList();
        var states = await Tracker.WaitFinalAsync(app, acceptedIds, TimeSpan.FromSeconds(Int(o, "wait", 120)), 4, ct).ConfigureAwait(false);
        var poisonIntake = await CountAsync(storage, StorageNames.IntakeQueue + "-poison", ct).ConfigureAwait(false);
        Line(F($"- accepted hostile claims: {acceptedIds.Count}, final states: {Counts(states.Values.Select(s => s.Status))}; poison messages: {poisonIntake}"));
        var up = await app.IsUpAsync(ct).ConfigureAwait(false);
        Line(F($"- app up at the end: {up}; load average: {LoadAverage()}"));
        Line();
        var stuck = states.Values.Count(s => !Tracker.Final.Contains(s.Status));
        return serverErrors.Count == 0 && validateErrors == 0 && crashes.Count == 0 && up && stuck == 0 && poisonIntake == 0 ? 0 : 1;
    }

    private static async Task<int> ValidateCorpusAsync(AppClient app, IReadOnlyList<HostileCase> cases, CancellationToken ct)
    {
        var answers = new List<(HostileCase Case, Answer Answer)>();
        foreach (var c in cases.Where(c => c.Path is "api/fhir/Claim" or "api/fhir"))
        {
            var answer = await app.PostAsync(c.Path + "/$validate", c.Body, c.ContentType, ct: ct).ConfigureAwait(false);
            for (var retry = 0; answer.Status == 429 && retry < 10; retry++)
            {
                await Task.Delay(answer.RetryAfter is { } wait && wait < TimeSpan.FromSeconds(5) ? wait : TimeSpan.FromSeconds(1), ct).ConfigureAwait(false);
                answer = await app.PostAsync(c.Path + "/$validate", c.Body, c.ContentType, ct: ct).ConfigureAwait(false);
            }

            answers.Add((c, answer));
        }

        var failed = answers.Where(a => a.Answer.Status >= 500 || a.Answer.Status == 0).ToList();
        Line(F($"- $validate over the same corpus: {answers.Count} cases; answers: {Counts(answers.Select(a => a.Answer.Key))}; **5xx or no answer: {failed.Count}**"));
        foreach (var (c, answer) in failed.Take(20))
        {
            Line(F($"  - {answer.Status} on $validate {c.Name} ({c.Path}, {c.Body.Length} bytes): {Truncate(answer.Body, 300)}"));
        }

        return failed.Count;
    }

    private static (int Lost, int Twice) Verify(IReadOnlyList<string> ids, IReadOnlyDictionary<string, FinalState> states, OutboundCheck outbound)
    {
        var notFinal = ids.Where(id => !states.TryGetValue(id, out var s) || !Tracker.Final.Contains(s.Status)).ToList();
        var noBlob = ids.Where(id => states.TryGetValue(id, out var s) && s.Status == "Submitted" && !outbound.PerClaimId.ContainsKey(id)).ToList();
        var twicePerId = outbound.PerClaimId.Count(p => p.Value > 1);
        var twicePerIdentifier = outbound.PerIdentifier.Where(p => p.Key != "(none)" && p.Value > 1).ToList();
        Line(F($"- outbound: {outbound.Blobs} blobs; accepted but not final: {notFinal.Count}; Submitted without an outbound blob: {noBlob.Count}; claim ids with > 1 blob: {twicePerId}; Claim.identifiers with > 1 blob: {twicePerIdentifier.Count}"));
        foreach (var id in notFinal.Take(5))
        {
            Line(F($"  - not final: {id} ({(states.TryGetValue(id, out var s) ? s.Status : "never seen")})"));
        }

        foreach (var (identifier, count) in twicePerIdentifier.Take(5))
        {
            Line(F($"  - submitted {count}×: {identifier}"));
        }

        return (notFinal.Count + noBlob.Count, twicePerId + twicePerIdentifier.Count);
    }

    /// <summary>Delivers every claim's intake message again (its orchestration exists, so nothing starts), waits for the
    /// queue to drain, and checks that no state changed and no outbound blob was added.</summary>
    private static async Task<bool> ReenqueueAsync(AppClient app, StorageClients storage, string tenantName, IReadOnlyDictionary<string, FinalState> states, OutboundCheck before, CancellationToken ct)
    {
        var tenant = TenantId.Parse(tenantName);
        var intake = storage.Queue(StorageNames.IntakeQueue);
        var finals = states.Values.Where(s => s.Status is "Submitted" or "Held").ToList();
        await Parallel.ForEachAsync(finals, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (s, token) =>
        {
            var claim = ClaimId.Parse(s.ClaimId);
            await intake.SendMessageAsync(new EvaluateClaim(tenant, claim).ToJson(), token).ConfigureAwait(false);
        }).ConfigureAwait(false);

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(180);
        while (DateTime.UtcNow < deadline
               && (await intake.GetPropertiesAsync(ct).ConfigureAwait(false)).Value.ApproximateMessagesCount > 0)
        {
            await Task.Delay(500, ct).ConfigureAwait(false);
        }

        await Task.Delay(3000, ct).ConfigureAwait(false);
        var after = await Tracker.WaitFinalAsync(app, finals.Select(f => f.ClaimId), TimeSpan.FromSeconds(60), 8, ct).ConfigureAwait(false);
        var changed = finals.Count(f => after.TryGetValue(f.ClaimId, out var a) && a.Status != f.Status);
        var outbound = await Tracker.ReadOutboundAsync(storage, tenantName, ct).ConfigureAwait(false);
        var twice = outbound.PerIdentifier.Count(p => p.Key != "(none)" && p.Value > 1);
        Line(F($"- re-enqueued {finals.Count} intake messages (duplicate deliveries): states changed {changed}; outbound blobs {before.Blobs} → {outbound.Blobs}; Claim.identifiers with > 1 blob: {twice}"));
        return changed == 0 && outbound.Blobs == before.Blobs && twice == 0;
    }

    private static async Task PutPoisonAsync(StorageClients storage, int count, CancellationToken ct)
    {
        string[] garbage =
        [
            "not json at all", "{", "{\"tenant\":", "[]", "null", "{\"tenant\":\"\",\"claimId\":\"\"}", "{\"tenant\":\"../x\",\"claimId\":\"..\"}",
            "{\"tenant\":1,\"claimId\":2}", "\u0000\u0001\u0002", "{\"event\":{\"type\":\"Nope\"}}", new string('{', 5000),
        ];
        foreach (var queue in new[] { StorageNames.IntakeQueue })
        {
            var client = storage.Queue(queue);
            await client.CreateIfNotExistsAsync(cancellationToken: ct).ConfigureAwait(false);
            for (var i = 0; i < count; i++)
            {
                await client.SendMessageAsync(garbage[i % garbage.Length], ct).ConfigureAwait(false);
            }
        }
    }

    private static async Task<int> CountAsync(StorageClients storage, string queue, CancellationToken ct)
    {
        try
        {
            return (await storage.Queue(queue).GetPropertiesAsync(ct).ConfigureAwait(false)).Value.ApproximateMessagesCount;
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return 0;
        }
    }

    internal static string Machine()
    {
        var memory = File.Exists("/proc/meminfo")
            ? File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal", StringComparison.Ordinal))?.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1] ?? "?"
            : "?";
        var gib = long.TryParse(memory, out var kb) ? F($"{kb / 1024.0 / 1024.0:0.0} GiB") : "?";
        return F($"- machine: {Environment.ProcessorCount} cores, {gib} memory, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}; load average before: {LoadAverage()}");
    }

    internal static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";

    private static string Truncate(string text, int max) => text.Length <= max ? text : text[..max] + "…";

    internal static string Get(Dictionary<string, string> o, string name) =>
        o.TryGetValue(name, out var value) ? value : throw new ArgumentException("--" + name + " is required");

    internal static int Int(Dictionary<string, string> o, string name, int fallback) =>
        o.TryGetValue(name, out var v) ? int.Parse(v, System.Globalization.CultureInfo.InvariantCulture) : fallback;

    internal static double Double(Dictionary<string, string> o, string name, double fallback) =>
        o.TryGetValue(name, out var v) ? double.Parse(v, System.Globalization.CultureInfo.InvariantCulture) : fallback;
}
