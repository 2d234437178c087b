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
/// The storage-bound limit: per claim, the storage operations the app and Durable's Azure Storage backend perform for a
/// clean claim (one that passes the rules and is submitted), as the counting proxy counted them (tools/cost.sh,
/// docs/PERFORMANCE.md "Cost per claim"), issued directly with the Azure SDK clients the app uses (StorageClients, with
/// the same options), sequentially per claim, at the given concurrency, on tables/queues/containers of its own, with
/// request sizes like the counted ones. Intake and control-queue receives are batched by 16 and shared by the workers
/// (the app's queue listener and Durable's control-queue poller fetch batches); work-item receives fetch one message,
/// as Durable's work-item poller does. 28 operations per claim plus the shared receives. Empty polls are not part of
/// the mix: the limit is what Azurite carries of the claim's work with nothing else.
/// </summary>
public static class StorageBaseline
{
    /// <summary>The per-claim operation mix, as documented.</summary>
    public static readonly IReadOnlyList<(string Step, string Operations)> Mix =
    [
        ("intake (webhook)", "blob put raw, table batch (claim row + idempotency key), queue put claims-intake = 3"),
        ("RulesEngine (queue) + Durable start", "queue receive (1/16), instances insert (Pending), control put (ExecutionStarted), queue delete = 3 + receive"),
        ("2 orchestration episodes (start, after EvaluateClaim)", "each: control receive (1/16), history query, instances query, history batch (5 events), instances merge, control delete = 2 × (5 + receive)"),
        ("1 activity dispatch", "work-item put, work-item receive (1 message), work-item delete, control put (TaskCompleted) = 4"),
        ("EvaluateClaim and its first submit attempt", "claim get, raw get, authorizations query, audit batch, claim replace, outbound put, audit batch, claim replace = 8"),
    ];

    // About the sizes the counting proxy saw: the intake message, a history event, an instance row, a Durable message.
    private static readonly string RowSnapshot = new('s', 1900);
    private static readonly string HistoryPayload = new('h', 700);
    private static readonly string InstanceInput = new('i', 450);
    private static readonly string DurableMessage = new('m', 800);

    private static readonly (string Suffix, string Action)[] AuditRows =
        [("-0", "pipeline.evaluation-started"), ("-1", "rules.evaluated"), ("-2", "pipeline.pass"), ("-3", "pipeline.submit")];

    public static async Task<BaselineResult> RunAsync(StorageClients storage, byte[] document, int concurrency, TimeSpan duration, int maxClaims, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(storage);
        ArgumentNullException.ThrowIfNull(document);
        var suffix = Guid.NewGuid().ToString("N")[..12];
        var claimsTable = storage.Table("loadbaseclaims" + suffix);
        var auditTable = storage.Table("loadbaseaudit" + suffix);
        var historyTable = storage.Table("loadbasehistory" + suffix);
        var instancesTable = storage.Table("loadbaseinstances" + suffix);
        var raw = storage.Container("loadbase-raw-" + suffix);
        var outbound = storage.Container("loadbase-out-" + suffix);
        var intakeQueue = storage.Queue("loadbase-intake-" + suffix);
        var controlQueue = storage.Queue("loadbase-control-" + suffix);
        var workItems = storage.Queue("loadbase-workitems-" + suffix);
        await Task.WhenAll(
            claimsTable.CreateIfNotExistsAsync(ct), auditTable.CreateIfNotExistsAsync(ct), historyTable.CreateIfNotExistsAsync(ct),
            instancesTable.CreateIfNotExistsAsync(ct), raw.CreateIfNotExistsAsync(cancellationToken: ct), outbound.CreateIfNotExistsAsync(cancellationToken: ct),
            intakeQueue.CreateIfNotExistsAsync(cancellationToken: ct), controlQueue.CreateIfNotExistsAsync(cancellationToken: ct),
            workItems.CreateIfNotExistsAsync(cancellationToken: ct)).ConfigureAwait(false);

        var pipelineJson = new string('p', 1800);
        var resultJson = new string('r', 2200);
        var operations = 0;
        var started = 0;
        var completed = 0;
        var errors = 0;
        var content = new BinaryData(document);
        var clock = Stopwatch.StartNew();
        var intakeBuffer = new MessageBuffer(intakeQueue);
        var controlBuffer = new MessageBuffer(controlQueue);

        async Task<QueueMessage?> NextAsync(MessageBuffer buffer)
        {
            var (message, receives) = await buffer.NextAsync(ct).ConfigureAwait(false);
            Interlocked.Add(ref operations, receives);
            return message;
        }

        async Task DeleteAsync(QueueClient queue, QueueMessage? message)
        {
            if (message is not null)
            {
                await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, ct).ConfigureAwait(false);
                Interlocked.Increment(ref operations);
            }
        }

        async Task WorkerAsync(int worker)
        {
            var auditPartition = string.Create(CultureInfo.InvariantCulture, $"w{worker:D3}");
            var seq = 0L;

            ETag? headETag = null;

            // The claim's audit rows in one transaction with the chain head, whose ETag is remembered (as AuditLog caches it).
            async Task AuditAsync(string claim, int from, int count)
            {
                var actions = new List<TableTransactionAction>();
                foreach (var (suffix, action) in AuditRows.Skip(from).Take(count))
                {
                    actions.Add(new(TableTransactionActionType.Add, new TableEntity(auditPartition, claim + suffix) { ["Action"] = action, ["Details"] = "Pass; risk 12; 0 changes; round 1", ["Seq"] = ++seq, ["Hash"] = new string('h', 64) }));
                }

                var newHead = new TableEntity(auditPartition, "~head") { ["Seq"] = seq, ["Hash"] = new string('h', 64) };
                actions.Add(headETag is null ? new(TableTransactionActionType.Add, newHead) : new(TableTransactionActionType.UpdateReplace, newHead, headETag.Value));
                var responses = await auditTable.SubmitTransactionAsync(actions, ct).ConfigureAwait(false);
                headETag = responses.Value[^1].Headers.ETag;
                Interlocked.Increment(ref operations);
            }

            TableEntity Row(string id, string status)
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

                return row;
            }

            // One orchestration episode: fetch its message, load the history, check the instance, append the new
            // events, update the instance, settle the message.
            async Task EpisodeAsync(string instance, int episode)
            {
                var message = await NextAsync(controlBuffer).ConfigureAwait(false);
                await foreach (var _ in historyTable.QueryAsync<TableEntity>(TableFilter.PartitionEq(instance), cancellationToken: ct).ConfigureAwait(false))
                {
                }

                await foreach (var _ in instancesTable.QueryAsync<TableEntity>(TableFilter.PartitionEq(instance), cancellationToken: ct).ConfigureAwait(false))
                {
                }

                var events = Enumerable.Range(0, 5).Select(e => new TableTransactionAction(TableTransactionActionType.UpsertReplace, new TableEntity(instance, string.Create(CultureInfo.InvariantCulture, $"{episode * 5 + e:X16}"))
                {
                    ["EventType"] = "TaskScheduled", ["Name"] = "EvaluateClaim", ["Input"] = HistoryPayload,
                })).ToList();
                await historyTable.SubmitTransactionAsync(events, ct).ConfigureAwait(false);
                await instancesTable.UpsertEntityAsync(new TableEntity(instance, string.Empty) { ["RuntimeStatus"] = "Running", ["LastUpdatedTime"] = DateTimeOffset.UtcNow }, TableUpdateMode.Merge, ct).ConfigureAwait(false);
                Interlocked.Add(ref operations, 4);
                await DeleteAsync(controlQueue, message).ConfigureAwait(false);
            }

            // An activity's dispatch: the orchestrator's work item, fetched alone; its result back on the control queue.
            async Task ActivityAsync(Func<Task> body)
            {
                await workItems.SendMessageAsync(DurableMessage, ct).ConfigureAwait(false);
                var item = (await workItems.ReceiveMessageAsync(TimeSpan.FromMinutes(5), ct).ConfigureAwait(false)).Value;
                Interlocked.Add(ref operations, 2);
                await body().ConfigureAwait(false);
                await DeleteAsync(workItems, item).ConfigureAwait(false);
                await controlQueue.SendMessageAsync(DurableMessage, ct).ConfigureAwait(false);
                Interlocked.Increment(ref operations);
            }

            while (clock.Elapsed < duration && Interlocked.Increment(ref started) <= maxClaims && !ct.IsCancellationRequested)
            {
                try
                {
                    var id = Guid.NewGuid().ToString("N");
                    var blob = "tenant/" + id + ".json";

                    // Intake: 3 operations.
                    await raw.UploadIfNotExistsAsync(blob, content, "application/fhir+json", ct).ConfigureAwait(false);
                    await claimsTable.SubmitTransactionAsync(
                    [
                        new(TableTransactionActionType.Add, Row(id, "Received")),
                        new(TableTransactionActionType.Add, new TableEntity("tenant", "key-" + id) { ["ClaimId"] = id, ["ContentHash"] = new string('c', 64) }),
                    ], ct).ConfigureAwait(false);
                    await intakeQueue.SendMessageAsync($$"""{"tenant":"tenant","claimId":"{{id}}","row":"{{RowSnapshot}}"}""", ct).ConfigureAwait(false);
                    Interlocked.Add(ref operations, 3);

                    // RulesEngine: the intake message starts the orchestration (instance row, ExecutionStarted message).
                    var evaluate = await NextAsync(intakeBuffer).ConfigureAwait(false);
                    var instance = "tenant|" + id;
                    await instancesTable.AddEntityAsync(new TableEntity(instance, string.Empty) { ["RuntimeStatus"] = "Pending", ["Name"] = "ClaimPipeline", ["Input"] = InstanceInput }, ct).ConfigureAwait(false);
                    await controlQueue.SendMessageAsync(DurableMessage, ct).ConfigureAwait(false);
                    Interlocked.Add(ref operations, 2);
                    await DeleteAsync(intakeQueue, evaluate).ConfigureAwait(false);

                    await EpisodeAsync(instance, 0).ConfigureAwait(false);
                    await ActivityAsync(async () =>
                    {
                        // EvaluateClaim (5 operations) and its first submit attempt (3: the row and document are in hand).
                        var row = await claimsTable.GetEntityAsync<TableEntity>("tenant", id, cancellationToken: ct).ConfigureAwait(false);
                        _ = await raw.DownloadOrDefaultAsync(blob, ct).ConfigureAwait(false);
                        _ = await auditTable.QueryPageAsync(TableFilter.And(TableFilter.PartitionEq("auth"), TableFilter.Eq("Patient", id)), null, 100, null, ct).ConfigureAwait(false);
                        await AuditAsync(id, 0, 2).ConfigureAwait(false);
                        var passed = await claimsTable.UpdateEntityAsync(Row(id, "Submitting"), row.Value.ETag, TableUpdateMode.Replace, ct).ConfigureAwait(false);
                        await outbound.UploadIfNotExistsAsync(blob, content, "application/fhir+json", ct).ConfigureAwait(false);
                        await AuditAsync(id, 2, 2).ConfigureAwait(false);
                        await claimsTable.UpdateEntityAsync(Row(id, "Submitted"), passed.Headers.ETag!.Value, TableUpdateMode.Replace, ct).ConfigureAwait(false);
                        Interlocked.Add(ref operations, 6);
                    }).ConfigureAwait(false);

                    await EpisodeAsync(instance, 1).ConfigureAwait(false);
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
