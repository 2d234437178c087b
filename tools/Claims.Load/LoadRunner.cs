using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Claims.Load;

/// <summary>One post: which claim(s), when, how long the webhook took and what it answered.</summary>
public sealed record Sent(IReadOnlyList<string> Identifiers, DateTimeOffset SentAt, Answer Answer, IReadOnlyList<string> ClaimIds, bool Repeat, string Door);

/// <summary>How to drive the webhook.</summary>
public sealed record LoadOptions
{
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Workers posting back to back (fixed concurrency), or the in-flight limit at a fixed rate.</summary>
    public int Concurrency { get; init; } = 8;

    /// <summary>Claims per second; 0 = fixed concurrency.</summary>
    public double Rate { get; init; }

    /// <summary>Hard cap on claims posted, whatever the duration.</summary>
    public int MaxClaims { get; init; } = 100_000;

    /// <summary>Post every claim twice (the second time right after the first answer), as a retrying EHR would.</summary>
    public bool PostTwice { get; init; }

    /// <summary>Share of posts that are transaction Bundles of 5 claims to /api/fhir instead of single Claims.</summary>
    public double BundleShare { get; init; }
}

/// <summary>Posts generated claims at a fixed concurrency or a fixed rate for a bounded time and count.</summary>
public static class LoadRunner
{
    public static async Task<IReadOnlyList<Sent>> RunAsync(AppClient app, ClaimGenerator generator, LoadOptions options, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentNullException.ThrowIfNull(options);
        var results = new ConcurrentBag<Sent>();
        var clock = Stopwatch.StartNew();
        var posted = 0;
        var bundleDice = new Random(17);

        bool More() => clock.Elapsed < options.Duration && Volatile.Read(ref posted) < options.MaxClaims && !ct.IsCancellationRequested;

        async Task PostOneAsync()
        {
            bool bundle;
            lock (bundleDice)
            {
                bundle = bundleDice.NextDouble() < options.BundleShare;
            }

            if (bundle)
            {
                var claims = Enumerable.Range(0, 5).Select(_ => generator.Next()).ToList();
                Interlocked.Add(ref posted, claims.Count);
                var body = System.Text.Encoding.UTF8.GetBytes(ClaimGenerator.ToTransactionBundle(claims).ToJsonString());
                await SendAsync("api/fhir", body, claims.Select(c => c.Identifier).ToList(), repeat: false).ConfigureAwait(false);
                if (options.PostTwice)
                {
                    await SendAsync("api/fhir", body, claims.Select(c => c.Identifier).ToList(), repeat: true).ConfigureAwait(false);
                }

                return;
            }

            var claim = generator.Next();
            Interlocked.Increment(ref posted);
            var bytes = claim.ToUtf8();
            await SendAsync("api/fhir/Claim", bytes, [claim.Identifier], repeat: false).ConfigureAwait(false);
            if (options.PostTwice)
            {
                await SendAsync("api/fhir/Claim", bytes, [claim.Identifier], repeat: true).ConfigureAwait(false);
            }
        }

        async Task SendAsync(string path, byte[] body, IReadOnlyList<string> identifiers, bool repeat)
        {
            var at = DateTimeOffset.UtcNow;
            var answer = await app.PostAsync(path, body, "application/fhir+json", ct: CancellationToken.None).ConfigureAwait(false);
            var ids = answer.Status is 200 or 202
                ? path.EndsWith("Claim", StringComparison.Ordinal) ? AppClient.ClaimIdOf(answer.Body) is { } id ? [id] : [] : BundleClaimIds(answer.Body)
                : (IReadOnlyList<string>)[];
            results.Add(new Sent(identifiers, at, answer, ids, repeat, path.EndsWith("Claim", StringComparison.Ordinal) ? "Claim" : "Bundle"));
            if (answer.Status is 0 or 429 or 503)
            {
                // No answer, or told to come back: pause like a retrying EHR instead of spinning on a dead port.
                await Task.Delay(answer.RetryAfter is { } wait && wait < TimeSpan.FromSeconds(2) ? wait : TimeSpan.FromMilliseconds(250), ct).ConfigureAwait(false);
            }
        }

        if (options.Rate <= 0)
        {
            var workers = Enumerable.Range(0, Math.Max(1, options.Concurrency)).Select(async _ =>
            {
                while (More())
                {
                    await PostOneAsync().ConfigureAwait(false);
                }
            });
            await Task.WhenAll(workers).ConfigureAwait(false);
        }
        else
        {
            using var gate = new SemaphoreSlim(Math.Max(1, options.Concurrency));
            var running = new List<Task>();
            var interval = TimeSpan.FromSeconds(1 / options.Rate);
            for (long i = 0; More(); i++)
            {
                var due = interval * i;
                if (due > clock.Elapsed)
                {
                    await Task.Delay(due - clock.Elapsed, ct).ConfigureAwait(false);
                }

                if (!More())
                {
                    break;
                }

                await gate.WaitAsync(ct).ConfigureAwait(false);
                running.Add(Task.Run(async () =>
                {
                    try
                    {
                        await PostOneAsync().ConfigureAwait(false);
                    }
                    finally
                    {
                        gate.Release();
                    }
                }, CancellationToken.None));
            }

            await Task.WhenAll(running).ConfigureAwait(false);
        }

        return [.. results.OrderBy(r => r.SentAt)];
    }

    /// <summary>The claim ids of a batch/transaction-response Bundle's entries (their response.location …/claims/{id}).</summary>
    public static IReadOnlyList<string> BundleClaimIds(string body)
    {
        try
        {
            if (JsonNode.Parse(body)?["entry"] is not JsonArray entries)
            {
                return [];
            }

            var ids = new List<string>();
            foreach (var entry in entries.OfType<JsonObject>())
            {
                var status = entry["response"]?["status"]?.GetValue<string>() ?? string.Empty;
                var location = entry["response"]?["location"]?.GetValue<string>();
                if (status.StartsWith('2') && location is not null && location.LastIndexOf("claims/", StringComparison.Ordinal) is var at and >= 0)
                {
                    ids.Add(location[(at + "claims/".Length)..].Split('/', '?')[0]);
                }
            }

            return ids;
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidOperationException or FormatException)
        {
            return [];
        }
    }
}
