using System.Collections.Immutable;

namespace Claims.Core.Claims;

/// <summary>
/// The billing view of one claim: the values the rule field catalog (docs/RULES.md) reads and writes, extracted
/// from a FHIR R4 Claim and the resources it references. The rules engine works on this record only; the FHIR
/// layer maps a Claim to it and writes the writable fields back. It holds PHI (birth date, member id, patient
/// identifier): never log it.
/// </summary>
public sealed record ClaimFacts
{
    /// <summary>Claim.type.coding.code (professional, institutional, oral, pharmacy, vision).</summary>
    public string? Type { get; init; }

    /// <summary>Claim.use (claim, preauthorization, predetermination).</summary>
    public string? Use { get; init; }

    /// <summary>Claim.priority.coding.code. Writable.</summary>
    public string? Priority { get; init; }

    /// <summary>Claim.total.value when given (the catalog falls back to the sum of item charges).</summary>
    public decimal? Total { get; init; }

    public DateOnly? Created { get; init; }

    /// <summary>Claim.billablePeriod.start, else the earliest item servicedDate / servicedPeriod.start.</summary>
    public DateOnly? ServiceDate { get; init; }

    /// <summary>How it arrived: ehr_webhook, api, batch_import.</summary>
    public string SubmittedVia { get; init; } = "ehr_webhook";

    public ImmutableArray<string> Tags { get; init; } = [];

    public string? PatientGender { get; init; }

    public DateOnly? PatientBirthDate { get; init; }

    /// <summary>Patient.address[0].state.</summary>
    public string? PatientState { get; init; }

    /// <summary>The patient's identifier (system|value or value, e.g. the MRN) used to match authorizations. PHI.</summary>
    public string? PatientIdentifier { get; init; }

    /// <summary>The focal insurance's payer: Organization.identifier.value or the reference's identifier. Writable.</summary>
    public string? PayerId { get; init; }

    /// <summary>The payer Organization's name, or the reference's display. Writable.</summary>
    public string? PayerName { get; init; }

    /// <summary>Coverage.subscriberId, else Coverage.identifier.value. PHI.</summary>
    public string? MemberId { get; init; }

    /// <summary>Billing provider NPI (system http://hl7.org/fhir/sid/us-npi). Writable.</summary>
    public string? ProviderNpi { get; init; }

    /// <summary>careTeam member with role primary (else the first) NPI. Writable.</summary>
    public string? RenderingNpi { get; init; }

    /// <summary>Claim.insurance[focal].preAuthRef values.</summary>
    public ImmutableArray<string> PreAuthRefs { get; init; } = [];

    public ImmutableArray<ClaimItemFacts> Items { get; init; } = [];

    public ImmutableArray<DiagnosisFacts> Diagnoses { get; init; } = [];
}

/// <summary>One Claim.item.</summary>
public sealed record ClaimItemFacts
{
    public int Sequence { get; init; }

    /// <summary>Claim.item.productOrService.coding.code (CPT/HCPCS).</summary>
    public ImmutableArray<string> Codes { get; init; } = [];

    /// <summary>Claim.item.modifier.coding.code. Rules add to it.</summary>
    public ImmutableArray<string> Modifiers { get; init; } = [];

    /// <summary>Claim.item.quantity.value.</summary>
    public decimal? Units { get; init; }

    /// <summary>Claim.item.net.value, else unitPrice × quantity.</summary>
    public decimal? Charge { get; init; }

    /// <summary>Claim.item.locationCodeableConcept.coding.code. Writable.</summary>
    public ImmutableArray<string> PlaceOfService { get; init; } = [];

    public DateOnly? ServiceDate { get; init; }
}

/// <summary>One Claim.diagnosis with its codes.</summary>
public sealed record DiagnosisFacts(int Sequence, ImmutableArray<string> Codes);
