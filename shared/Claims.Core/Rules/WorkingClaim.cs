using System.Collections.Immutable;
using Claims.Core.Claims;

namespace Claims.Core.Rules;

/// <summary>The mutable per-item part of the working copy; only writable item fields are copied.</summary>
internal struct WorkingItem
{
    public ClaimItemFacts Source;
    public ImmutableArray<string> Modifiers;
    public ImmutableArray<string> PlaceOfService;
    public bool Changed;
}

/// <summary>
/// The working copy one evaluation reads and writes: writable fields copied from the claim, derived fields
/// (age, total, authorization, risk) computed once, and the slots where compiled conditions and outcomes record
/// what happened so the trace can be built afterwards without allocating on the hot path.
/// </summary>
internal sealed class WorkingClaim
{
    public WorkingClaim(ClaimFacts claim, AuthorizationFacts? authorization, int riskScore, int slotCount)
    {
        Source = claim;
        Priority = claim.Priority;
        PayerId = claim.PayerId;
        PayerName = claim.PayerName;
        ProviderNpi = claim.ProviderNpi;
        RenderingNpi = claim.RenderingNpi;
        Tags = claim.Tags.IsDefault ? [] : claim.Tags;

        var items = claim.Items.IsDefault ? [] : claim.Items;
        Items = items.Length == 0 ? [] : new WorkingItem[items.Length];
        decimal chargeSum = 0;
        var anyCharge = false;
        for (var i = 0; i < items.Length; i++)
        {
            var item = items[i];
            Items[i] = new WorkingItem
            {
                Source = item,
                Modifiers = item.Modifiers.IsDefault ? [] : item.Modifiers,
                PlaceOfService = item.PlaceOfService.IsDefault ? [] : item.PlaceOfService,
            };
            if (item.Charge is { } charge)
            {
                chargeSum += charge;
                anyCharge = true;
            }
        }

        Total = claim.Total ?? (anyCharge ? chargeSum : null);
        Age = AgeAt(claim.PatientBirthDate, claim.ServiceDate);
        PrincipalDiagnosis = FindPrincipal(claim);

        AuthorizationNumber = claim.PreAuthRefs.IsDefaultOrEmpty ? authorization?.Number : claim.PreAuthRefs[0];
        AuthorizationStatus = authorization?.Status ?? AuthorizationStatuses.None;
        UnitsRemaining = authorization?.UnitsRemaining;
        DaysToExpiry = authorization is not null && claim.ServiceDate is { } service
            ? authorization.ExpirationDate.DayNumber - service.DayNumber
            : null;
        RiskScore = riskScore;
        Slots = slotCount == 0 ? [] : new short[slotCount];
    }

    public ClaimFacts Source { get; }

    public string? Priority;
    public string? PayerId;
    public string? PayerName;
    public string? ProviderNpi;
    public string? RenderingNpi;
    public ImmutableArray<string> Tags;
    public readonly WorkingItem[] Items;

    public decimal? Total { get; }

    public decimal? Age { get; }

    public string? PrincipalDiagnosis { get; }

    public string? AuthorizationNumber { get; }

    public string AuthorizationStatus { get; }

    public decimal? UnitsRemaining { get; }

    public decimal? DaysToExpiry { get; }

    public decimal RiskScore { get; }

    /// <summary>Per condition / outcome / rule slot state, see <see cref="CompiledRuleSet"/>.</summary>
    public readonly short[] Slots;

    public List<RuleChange>? Changes;
    public bool Held;
    public bool RegexTimedOut;
    public string? HoldReason;
    public bool Changed;

    public void Record(RuleChange change)
    {
        Changed = true;
        (Changes ??= []).Add(change);
    }

    /// <summary>The claim with the working copy's writable fields; the source itself when nothing changed.</summary>
    public ClaimFacts ToClaimFacts()
    {
        if (!Changed)
        {
            return Source;
        }

        var items = Source.Items.IsDefault ? [] : Source.Items;
        var anyItemChanged = false;
        foreach (var item in Items)
        {
            anyItemChanged |= item.Changed;
        }

        if (anyItemChanged)
        {
            var builder = ImmutableArray.CreateBuilder<ClaimItemFacts>(Items.Length);
            foreach (var item in Items)
            {
                builder.Add(item.Changed
                    ? item.Source with { Modifiers = item.Modifiers, PlaceOfService = item.PlaceOfService }
                    : item.Source);
            }

            items = builder.MoveToImmutable();
        }

        return Source with
        {
            Priority = Priority,
            PayerId = PayerId,
            PayerName = PayerName,
            ProviderNpi = ProviderNpi,
            RenderingNpi = RenderingNpi,
            Tags = Tags,
            Items = items,
        };
    }

    internal static decimal? AgeAt(DateOnly? birthDate, DateOnly? at)
    {
        if (birthDate is not { } birth || at is not { } date)
        {
            return null;
        }

        var age = date.Year - birth.Year;
        if (date.Month < birth.Month || (date.Month == birth.Month && date.Day < birth.Day))
        {
            age--;
        }

        return age < 0 ? null : age;
    }

    internal static string? FindPrincipal(ClaimFacts claim)
    {
        if (claim.Diagnoses.IsDefault)
        {
            return null;
        }

        foreach (var diagnosis in claim.Diagnoses)
        {
            if (diagnosis.Sequence == 1 && !diagnosis.Codes.IsDefaultOrEmpty && !string.IsNullOrWhiteSpace(diagnosis.Codes[0]))
            {
                return diagnosis.Codes[0];
            }
        }

        return null;
    }
}
