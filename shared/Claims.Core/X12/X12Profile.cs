namespace Claims.Core.X12;

/// <summary>
/// A tenant's submitter profile for outbound X12: who sends (ISA/GS sender, 1000A submitter), who receives (ISA/GS
/// receiver, 1000B), whether the interchange is a test (ISA15 <c>T</c>) or production (<c>P</c>) one, and the billing
/// provider data used when the Claim lacks it. Values are written as given (upper-cased where X12 names are).
/// </summary>
public sealed record SubmitterProfile
{
    /// <summary>ISA05: interchange id qualifier of the sender (ZZ mutually defined, 30 federal TIN, ...).</summary>
    public string SenderQualifier { get; init; } = "ZZ";

    /// <summary>ISA06: interchange sender id (1–15 characters, padded by the writer).</summary>
    public required string SenderId { get; init; }

    /// <summary>ISA07: interchange id qualifier of the receiver.</summary>
    public string ReceiverQualifier { get; init; } = "ZZ";

    /// <summary>ISA08: interchange receiver id (1–15 characters).</summary>
    public required string ReceiverId { get; init; }

    /// <summary>GS02: application sender code; <see cref="SenderId"/> when null.</summary>
    public string? ApplicationSenderCode { get; init; }

    /// <summary>GS03: application receiver code; <see cref="ReceiverId"/> when null.</summary>
    public string? ApplicationReceiverCode { get; init; }

    /// <summary>ISA15: true writes <c>T</c> (test), false <c>P</c> (production).</summary>
    public bool TestIndicator { get; init; } = true;

    /// <summary>ISA14: ask the receiver for a TA1 interchange acknowledgment.</summary>
    public bool RequestInterchangeAcknowledgment { get; init; }

    /// <summary>1000A NM103: the submitter's organization name.</summary>
    public required string SubmitterName { get; init; }

    /// <summary>1000A NM109 (qualifier 46, ETIN): the submitter id the receiver assigned.</summary>
    public required string SubmitterId { get; init; }

    /// <summary>1000A PER02: contact name.</summary>
    public required string ContactName { get; init; }

    /// <summary>1000A PER04 with PER03 <c>TE</c>: contact phone (digits only are written).</summary>
    public string? ContactPhone { get; init; }

    /// <summary>1000A PER with <c>EM</c>: contact e-mail; at least a phone or an e-mail is needed.</summary>
    public string? ContactEmail { get; init; }

    /// <summary>1000B NM103: receiver (clearinghouse) name.</summary>
    public required string ReceiverName { get; init; }

    /// <summary>1000B NM109 (qualifier 46): receiver primary identifier; <see cref="ReceiverId"/> when null.</summary>
    public string? ReceiverEtin { get; init; }

    /// <summary>2010AA REF*EI: billing provider TIN (EIN, 9 digits) when the billing provider resource has none.</summary>
    public string? BillingProviderTin { get; init; }

    /// <summary>2010AA N3/N4: billing provider street address when the Claim's billing provider has no complete one.</summary>
    public X12Address? BillingProviderAddress { get; init; }

    /// <summary>2000A PRV*BI*PXC: billing provider taxonomy when the Claim's provider has none (optional).</summary>
    public string? BillingProviderTaxonomy { get; init; }

    /// <summary>SBR09 claim filing indicator when Coverage.type carries none of the X12 codes (CI commercial, MB, MC, ...).</summary>
    public string DefaultClaimFilingIndicator { get; init; } = "CI";
}

/// <summary>A postal address as X12 N3/N4 carry it.</summary>
public sealed record X12Address(string Line1, string? Line2, string City, string State, string PostalCode);

/// <summary>The control numbers of one interchange, allocated by the caller (unique per tenant, never reused).</summary>
/// <param name="InterchangeControlNumber">ISA13 / IEA02, 1–999,999,999 (written as 9 digits).</param>
/// <param name="GroupControlNumber">GS06 / GE02, 1–999,999,999.</param>
/// <param name="CreatedAt">ISA09/ISA10, GS04/GS05, BHT04/BHT05: the caller's clock (the domain has none).</param>
public sealed record X12Envelope(long InterchangeControlNumber, long GroupControlNumber, DateTimeOffset CreatedAt);

/// <summary>CLM05-3: original (1), replacement of a prior claim (7), void of a prior claim (8).</summary>
public enum ClaimFrequency
{
    Original = 1,
    Replacement = 7,
    Void = 8,
}
