using System.ComponentModel.DataAnnotations;
using Claims.Core.Notifications;

namespace Claims.Application.Notifications;

/// <summary>Settings "Notifications": claim status notifications to the EHR (docs/NOTIFICATIONS.md).</summary>
public sealed class NotificationOptions
{
    public const string Section = "Notifications";

    /// <summary>
    /// Local development only: callback URLs on loopback (127.0.0.0/8, ::1, localhost) are allowed, over http too.
    /// Ignored in Azure (when <c>WEBSITE_INSTANCE_ID</c> is set): there callbacks must be https to public addresses.
    /// </summary>
    public bool AllowLoopbackCallbacks { get; set; }

    /// <summary>How long one attempt may take (connect, send, answer) before it counts as a timeout.</summary>
    public TimeSpan DeliveryTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Delays after failed attempts 1, 2, …, comma-separated (the last repeats); see <see cref="DeliveryPolicy.DefaultSchedule"/>.</summary>
    public string RetrySchedule { get; set; } = DeliveryPolicy.DefaultSchedule;

    /// <summary>No attempt starts more than this after a notification's first attempt.</summary>
    public TimeSpan RetryWindow { get; set; } = TimeSpan.FromHours(24);

    /// <summary>A subscription whose deliveries have failed (with no success) for this long is switched off, with one alert.</summary>
    public TimeSpan DisableAfter { get; set; } = TimeSpan.FromHours(24);

    /// <summary>After a secret rotation, how long the previous secret still signs (a second signature), unless the request says otherwise.</summary>
    public TimeSpan SecretOverlap { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How long a tenant's subscription list is cached by the pipeline's recorder (other instances see a change within this).</summary>
    [Range(0, 3600)]
    public int CacheSeconds { get; set; } = 30;

    /// <summary>How long a recorded notification waits for its claim transition to be saved before it is dropped as never committed.</summary>
    public TimeSpan UncommittedGrace { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>At most this many notifications of one (subscription, claim) are sent per queue message.</summary>
    [Range(1, 1000)]
    public int MaxPerMessage { get; set; } = 50;

    /// <summary>Subscriptions per tenant.</summary>
    [Range(1, 1000)]
    public int MaxSubscriptions { get; set; } = 20;

    /// <summary>The sweep queues a claim's oldest pending notification again when it has been due (its first attempt or
    /// its retry) for this long with no sender on it: its queue message was lost (moved to poison).</summary>
    public TimeSpan StrandedAfter { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Delivery-log rows created and last attempted longer ago than this are purged (pending rows of existing
    /// subscriptions are kept).</summary>
    public TimeSpan LogRetention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>With Key Vault: how long a signing secret's value, once read, is kept in memory (0 = read every time).</summary>
    public TimeSpan SecretCacheDuration { get; set; } = TimeSpan.FromMinutes(5);

    public DeliveryPolicy ToPolicy() => new(DeliveryPolicy.ParseSchedule(RetrySchedule) ?? DeliveryPolicy.Default.Delays, RetryWindow);

    /// <summary>Whether loopback callbacks are allowed here: the setting, and not running in Azure.</summary>
    public bool LoopbackAllowed => AllowLoopbackCallbacks && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("WEBSITE_INSTANCE_ID"));

    /// <summary>The lease a sender takes on the notification it is sending: the attempt's timeout and some slack.</summary>
    public TimeSpan Lease => DeliveryTimeout + TimeSpan.FromSeconds(15);

    public bool IsUsable() =>
        DeliveryPolicy.ParseSchedule(RetrySchedule) is not null
        && DeliveryTimeout > TimeSpan.Zero && DeliveryTimeout <= TimeSpan.FromMinutes(2)
        && RetryWindow > TimeSpan.Zero && RetryWindow <= TimeSpan.FromDays(6)
        && DisableAfter > TimeSpan.Zero
        && SecretOverlap >= TimeSpan.Zero && SecretOverlap <= TimeSpan.FromDays(7)
        && UncommittedGrace > TimeSpan.Zero
        && StrandedAfter > TimeSpan.Zero
        && LogRetention > TimeSpan.Zero
        && SecretCacheDuration >= TimeSpan.Zero && SecretCacheDuration <= TimeSpan.FromHours(1);
}
