using System.ComponentModel.DataAnnotations;

namespace Claims.Application.Audit;

/// <summary>Execution-log settings (section "Audit").</summary>
public sealed class AuditOptions
{
    public const string Section = "Audit";

    /// <summary>
    /// Partitions per tenant per day. Each partition is one hash chain whose appends are serialized, so shards are
    /// what lets a busy tenant write in parallel (docs/SECURITY.md). Only ever raise it: readers scan shards
    /// 0..Shards-1, so lowering it would hide the rows in the dropped shards.
    /// </summary>
    [Range(1, 64)]
    public int Shards { get; set; } = 4;

    /// <summary>Most entries one GET /audit page returns (the default page size is the smaller of 50 and this).</summary>
    [Range(1, 1000)]
    public int MaxPageSize { get; set; } = 200;

    /// <summary>Days GET /audit and /audit/verify look back when the caller gives no <c>from</c>.</summary>
    [Range(1, 3660)]
    public int DefaultDays { get; set; } = 30;

    /// <summary>Widest <c>from</c>..<c>to</c> window one request may ask for, in days.</summary>
    [Range(1, 3660)]
    public int MaxDays { get; set; } = 366;
}
