namespace Claims.Application.Storage;

/// <summary>Every table, queue and container the app uses. The Bicep and the start-up initializer read this list.</summary>
public static class StorageNames
{
    public const string TenantsTable = "tenants";
    public const string ApiKeysTable = "apikeys";
    public const string ClaimsTable = "claims";
    public const string RuleSetsTable = "rulesets";
    public const string AuditTable = "audit";
    public const string AlertsTable = "alerts";
    public const string AuthorizationsTable = "authorizations";

    /// <summary>Webhook signatures seen in the last hours (replay protection; purged by a timer).</summary>
    public const string WebhookSignaturesTable = "webhooksignatures";

    /// <summary>Per tenant (partition) and billing code (row): how many per-unit charges were seen and their sum.</summary>
    public const string ChargeStatsTable = "chargestats";

    /// <summary>837P interchanges written (partition = tenant, row = ISA13 as 9 digits): claims, GS06, ST02s, blob.</summary>
    public const string X12InterchangesTable = "x12interchanges";

    /// <summary>Per tenant (partition) one counter row: the last ISA13, GS06 and ST02 allocated.</summary>
    public const string X12ControlNumbersTable = "x12controlnumbers";

    /// <summary>Claim status notification subscriptions (partition = tenant, row = subscription id; docs/NOTIFICATIONS.md).</summary>
    public const string SubscriptionsTable = "subscriptions";

    /// <summary>Notifications to deliver and the delivery log (partition = tenant_subscription, row = claim-version-event-status).</summary>
    public const string NotificationsTable = "notifications";

    public const string IntakeQueue = "claims-intake";

    /// <summary>Delivery work: one message per (tenant, subscription, claim) with something pending.</summary>
    public const string NotificationsQueue = "claims-notifications";
    public const string AuthorizationSweepQueue = "authorizations-sweep";

    /// <summary>Raw payloads exactly as received (immutable).</summary>
    public const string RawContainer = "raw";

    /// <summary>Each claim's working document: the Claim and the resources it references, as a FHIR collection Bundle.</summary>
    public const string DocumentsContainer = "documents";

    /// <summary>Submissions handed to the clearinghouse (the default submitter writes them here).</summary>
    public const string OutboundContainer = "outbound";

    /// <summary>Rule-set documents too large for a table property (immutable, one per saved version).</summary>
    public const string RuleSetsContainer = "rulesets";

    /// <summary>Poison messages kept by the poison-queue functions in Azure (custom-handler mode), as blob
    /// <c>{queue}/{messageId}.json</c> (docs/RELIABILITY.md, "Poison messages").</summary>
    public const string PoisonMessagesContainer = "poison-messages";

    /// <summary>Acknowledgment files (TA1, 999, 277CA) dropped by the clearinghouse connector as <c>{tenant}/{name}</c>.</summary>
    public const string X12InboundContainer = "x12-inbound";

    /// <summary>Acknowledgment files once every record in them was delivered.</summary>
    public const string X12InboundProcessedContainer = "x12-inbound-processed";

    /// <summary>Acknowledgment files that did not parse, or had a record that matched no claim (kept, never deleted).</summary>
    public const string X12InboundRejectedContainer = "x12-inbound-rejected";

    public static IReadOnlyList<string> Tables { get; } = [TenantsTable, ApiKeysTable, ClaimsTable, RuleSetsTable, AuditTable, AlertsTable, AuthorizationsTable, WebhookSignaturesTable, ChargeStatsTable, X12InterchangesTable, X12ControlNumbersTable, SubscriptionsTable, NotificationsTable];

    public static IReadOnlyList<string> Queues { get; } =
        [IntakeQueue, IntakeQueue + "-poison", AuthorizationSweepQueue, AuthorizationSweepQueue + "-poison", NotificationsQueue, NotificationsQueue + "-poison"];

    /// <summary>837P interchanges, one file each: <c>{tenant}/{ISA13 9 digits}.x12</c> (written once, If-None-Match: *).</summary>
    public const string X12OutboundContainer = "x12-outbound";

    public static IReadOnlyList<string> Containers { get; } =
        [RawContainer, DocumentsContainer, OutboundContainer, RuleSetsContainer, PoisonMessagesContainer];

    /// <summary>The clearinghouse exchange's containers (<c>ExchangeStorage</c>): on the app's account,
    /// or with the Bicep's SFTP option on the exchange account.</summary>
    public static IReadOnlyList<string> ExchangeContainers { get; } =
        [X12OutboundContainer, X12InboundContainer, X12InboundProcessedContainer, X12InboundRejectedContainer];

    /// <summary>Where the queue trigger moves a message of <paramref name="queue"/> that failed maxDequeueCount times.</summary>
    public static string PoisonQueue(string queue) => queue + "-poison";
}
