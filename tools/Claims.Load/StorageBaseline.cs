using System.Diagnostics;
using System.Globalization;
using Azure;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Claims.Storage;

namespace Claims.Load;

/// <summary>Result of the storage-only run.</summary>
public sealed record BaselineResult(int Claims, int Operations, TimeSpan Elapsed, int Errors)
{
    public double ClaimsPerSecond => Claims / Elapsed.TotalSeconds;

    public double OperationsPerSecond => Operations / Elapsed.TotalSeconds;
}

/// <summary>
/// The storage-bound limit: per claim, the same storage operations the app performs for a claim that passes the
/// rules and is submitted (counted from Claims.Application: intake, RulesEngineHandler, PipelineRunner,
/// OutboundBlobSubmitter, AuditLog.AppendAsync; docs/PERFORMANCE.md lists them), issued directly with the
/// Azure SDK clients the app uses (StorageClients, with the same options), sequentially per claim, at the given concurrency, on tables/queues/containers of its own.
/// Queue receives are batched by 16 as the app's listener does. 11 operations per claim plus the receive
/// (docs/PIPELINE.md "Cost" counts 12 with one receive).
/// </summary>
public static class StorageBaseline
{
    /// <summary>The per-claim operation mix, as documented.</summary>
    public static readonly IReadOnlyList<(string Step, string Operations)> Mix =
    [
        ("intake (webhook)", "blob put raw (a Claim posted alone is its own document), table batch (claim row + idempotency key), queue put claims-intake"),
        ("RulesEngine (one hop, submits too)", "queue receive (1/16), blob get raw payload (the document; the message carries the claim row and its ETag), table query (the patient's authorizations), table update claim (Submitting with result and outbox), blob put outbound, table update claim (Submitted with outbox), audit: one batch (the claim's rows + chain head; the head is cached), table update (clear outbox), queue delete"),
    ];

    // About the size of ClaimRepository.Snapshot of a fresh row (the intake message carries it).
    private static readonly string RowSnapshot = new('s', 900);

    private static readonly (string Suffix, string Action)[] AuditRows =
        [("-0", "pipeline.evaluation-started"), ("-1", "rules.evaluated"), ("-2", "pipeline.pass"), ("-3", "pipeline.submit")];

    public static async Task<BaselineResult> RunAsync(StorageClients storage, byte[] document, int concurrency, TimeSpan duration, int maxClaims, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(storage);
        ArgumentNullException.ThrowIfNull(document);
        var suffix = Guid.NewGuid().ToString("N")[..12];
        var claimsTable = storage.Table("loadbaseclaims" + suffix);
        var auditTable = storage.Table("loadbaseaudit" + suffix);
        var raw = storage.Container("loadbase-raw-" + suffix);
        var outbound = storage.Container("loadbase-out-" + suffix);
        var intakeQueue = storage.Queue("loadbase-intake-" + suffix);
        await Task.WhenAll(
            claimsTable.CreateIfNotExistsAsync(ct), auditTable.CreateIfNotExistsAsync(ct), raw.CreateIfNotExistsAsync(cancellationToken: ct),
            outbound.CreateIfNotExistsAsync(cancellationToken: ct), intakeQueue.CreateIfNotExistsAsync(cancellationToken: ct)).ConfigureAwait(false);

        var pipelineJson = new string('p', 1800);
        var resultJson = new string('r', 2200);
        var outboxJson = new string('o', 300);
        var operations = 0;
        var started = 0;
        var completed = 0;
        var errors = 0;
        var content = new BinaryData(document);
        var clock = Stopwatch.StartNew();
        var intakeBuffer = new MessageBuffer(intakeQueue);

        async Task<QueueMessage?> NextAsync(QueueClient queue, MessageBuffer buffer)
        {
            var (message, receives) = await buffer.NextAsync(ct).ConfigureAwait(false);
            Interlocked.Add(ref operations, receives);
            return message;
        }

        async Task WorkerAsync(int worker)
        {
            var auditPartition = string.Create(CultureInfo.InvariantCulture, $"w{worker:D3}");
            var seq = 0L;

            ETag? headETag = null;

            // The claim's audit rows in one transaction with the chain head, whose ETag is remembered (as AuditLog caches it).
            async Task AuditAsync(string claim)
            {
                var actions = new List<TableTransactionAction>();
                foreach (var (suffix, action) in AuditRows)
                {
                    actions.Add(new(TableTransactionActionType.Add, new TableEntity(auditPartition, claim + suffix) { ["Action"] = action, ["Details"] = "Pass; risk 12; 0 changes; round 1", ["Seq"] = ++seq, ["Hash"] = new string('h', 64) }));
                }

                var newHead = new TableEntity(auditPartition, "~head") { ["Seq"] = seq, ["Hash"] = new string('h', 64) };
                actions.Add(headETag is null ? new(TableTransactionActionType.Add, newHead) : new(TableTransactionActionType.UpdateReplace, newHead, headETag.Value));
                var responses = await auditTable.SubmitTransactionAsync(actions, ct).ConfigureAwait(false);
                headETag = responses.Value[^1].Headers.ETag;
                Interlocked.Increment(ref operations);
            }

            TableEntity Row(string id, string status, string? outbox)
            {
                var row = new TableEntity("tenant", id)
                {
                    ["Status"] = status, ["ReceivedAt"] = DateTimeOffset.UtcNow, ["UpdatedAt"] = DateTimeOffset.UtcNow, ["SubmittedVia"] = "Claim",
                    ["RawBlob"] = "tenant/" + id + ".json", ["DocumentBlob"] = "tenant/" + id + ".json", ["PipelineJson"] = pipelineJson,
                    ["ContentHash"] = new string('c', 64),
                };
                if (status != "Received")
                {
                    row["RuleResultJson"] = resultJson;
                }

                if (outbox is not null)
                {
                    row["OutboxJson"] = outbox;
                }

                return row;
            }

            while (clock.Elapsed < duration && Interlocked.Increment(ref started) <= maxClaims && !ct.IsCancellationRequested)
            {
                try
                {
                    var id = Guid.NewGuid().ToString("N");
                    var blob = "tenant/" + id + ".json";

                    // Intake: 3 operations.
                    await raw.UploadIfNotExistsAsync(blob, content, "application/fhir+json", ct).ConfigureAwait(false);
                    var created = (await claimsTable.SubmitTransactionAsync(
                    [
                        new(TableTransactionActionType.Add, Row(id, "Received", null)),
                        new(TableTransactionActionType.Add, new TableEntity("tenant", "key-" + id) { ["ClaimId"] = id, ["ContentHash"] = new string('c', 64) }),
                    ], ct).ConfigureAwait(false)).Value[0].Headers.ETag!.Value;
                    await intakeQueue.SendMessageAsync($$"""{"tenant":"tenant","claimId":"{{id}}","round":1,"row":"{{RowSnapshot}}"}""", ct).ConfigureAwait(false);
                    Interlocked.Add(ref operations, 3);

                    // RulesEngine (one hop, submits too): receive (batched), 8 operations; the row's ETag comes with the message.
                    var evaluate = await NextAsync(intakeQueue, intakeBuffer).ConfigureAwait(false);
                    _ = await raw.DownloadOrDefaultAsync(blob, ct).ConfigureAwait(false);
                    _ = await auditTable.QueryPageAsync(TableFilter.And(TableFilter.PartitionEq("auth"), TableFilter.Eq("Patient", id)), null, 100, null, ct).ConfigureAwait(false);
                    var etag = (await claimsTable.UpdateEntityAsync(Row(id, "Submitting", outboxJson), created, TableUpdateMode.Replace, ct).ConfigureAwait(false)).Headers.ETag!.Value;
                    await outbound.UploadIfNotExistsAsync(blob, content, "application/fhir+json", ct).ConfigureAwait(false);
                    etag = (await claimsTable.UpdateEntityAsync(Row(id, "Submitted", outboxJson), etag, TableUpdateMode.Replace, ct).ConfigureAwait(false)).Headers.ETag!.Value;
                    await AuditAsync(id).ConfigureAwait(false);
                    await claimsTable.UpdateEntityAsync(Row(id, "Submitted", null), etag, TableUpdateMode.Replace, ct).ConfigureAwait(false);
                    Interlocked.Add(ref operations, 6);
                    if (evaluate is not null)
                    {
                        await intakeQueue.DeleteMessageAsync(evaluate.MessageId, evaluate.PopReceipt, ct).ConfigureAwait(false);
                        Interlocked.Increment(ref operations);
                    }

                    Interlocked.Increment(ref completed);
                }
                catch (Exception ex) when (ex is RequestFailedException or StorageUnavailableException or TableTransactionFailedException)
                {
                    Interlocked.Increment(ref errors);
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, Math.Max(1, concurrency)).Select(WorkerAsync)).ConfigureAwait(false);
        var elapsed = clock.Elapsed;
        return new BaselineResult(completed, operations, elapsed, errors);
    }

    /// <summary>Messages fetched 16 at a time and shared by all workers, as the app's queue listener fetches them.</summary>
    private sealed class MessageBuffer(QueueClient queue)
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<QueueMessage> messages = new();
        private readonly SemaphoreSlim refill = new(1, 1);

        public async Task<(QueueMessage? Message, int Receives)> NextAsync(CancellationToken ct)
        {
            var receives = 0;
            for (var attempt = 0; attempt < 20; attempt++)
            {
                if (messages.TryDequeue(out var message))
                {
                    return (message, receives);
                }

                await refill.WaitAsync(ct).ConfigureAwait(false);
                try
                {
                    if (messages.IsEmpty)
                    {
                        receives++;
                        QueueMessage[] received = await queue.ReceiveMessagesAsync(16, TimeSpan.FromMinutes(5), ct).ConfigureAwait(false);
                        foreach (var m in received)
                        {
                            messages.Enqueue(m);
                        }
                    }
                }
                finally
                {
                    refill.Release();
                }
            }

            return (null, receives);
        }
    }
}
