using System.Diagnostics.CodeAnalysis;
using Claims.Core.Claims;

namespace Claims.Core.X12;

/// <summary>
/// CLM01, the patient control number: what the payer echoes back in the 277CA (TRN02 of loop 2200D) and on the 835,
/// so it must lead back to our claim. The 837P allows at most 20 characters, our <see cref="ClaimId"/> has 32 hex
/// digits: the patient control number is the first 20 of them, upper-cased (X12's basic character set). That is
/// 80 bits of a random GUID (76 after the version nibble): two claims of a tenant share a prefix with a probability
/// of about n²/2⁷⁷ (10⁻¹¹ at a million claims). Mapping back needs no extra index: the claim ids starting with
/// <see cref="ClaimIdPrefix"/> are one range of any store keyed by claim id; more than one match is an ambiguity to
/// treat like an unmatched acknowledgment.
/// </summary>
public readonly record struct PatientControlNumber
{
    /// <summary>The most characters CLM01 may carry in 005010X222A1.</summary>
    public const int MaxLength = 20;

    public string Value { get; }

    private PatientControlNumber(string value) => Value = value;

    /// <summary>The patient control number of a claim: its id's first 20 hex digits, upper-case.</summary>
    public static PatientControlNumber For(ClaimId claim) => new(claim.Value[..MaxLength].ToUpperInvariant());

    /// <summary>Reads one back from an acknowledgment (payers may change the case); false when it is not ours.</summary>
    public static bool TryParse([NotNullWhen(true)] string? value, out PatientControlNumber number)
    {
        number = default;
        var trimmed = value?.Trim();
        if (trimmed is not { Length: MaxLength } || !trimmed.All(char.IsAsciiHexDigit))
        {
            return false;
        }

        number = new PatientControlNumber(trimmed.ToUpperInvariant());
        return true;
    }

    /// <summary>The lower-case prefix every claim id with this patient control number starts with.</summary>
    public string ClaimIdPrefix => Value.ToLowerInvariant();

    /// <summary>True when <paramref name="claim"/> carries this patient control number.</summary>
    public bool Matches(ClaimId claim) => claim.Value.StartsWith(ClaimIdPrefix, StringComparison.Ordinal);

    public override string ToString() => Value;
}
