using Hl7.Fhir.Model;

namespace Claims.Core.X12;

/// <summary>
/// A Claim as Firely POCOs plus the way to reach the resources it references (Patient, Coverage, payer Organization,
/// billing provider Organization/Practitioner/PractitionerRole, rendering Practitioner, Location, RelatedPerson).
/// Contained references (<c>#id</c>) are resolved against the referencing resource first; every other reference goes
/// to <see cref="Resolve"/>, which answers null for what it does not hold.
/// </summary>
public sealed record X12ClaimSource(Claim Claim, Func<ResourceReference, Resource?> Resolve)
{
    /// <summary>A source over a Bundle (the stored claim document): fullUrl, <c>Type/id</c> and
    /// <c>Type?identifier=system|value</c> references, and identifier-only logical references.</summary>
    public static X12ClaimSource FromBundle(Bundle bundle)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        var claim = bundle.Entry.Select(e => e.Resource).OfType<Claim>().FirstOrDefault()
            ?? throw new ArgumentException("The Bundle holds no Claim.", nameof(bundle));
        var entries = bundle.Entry.Where(e => e.Resource is not null).Select(e => new Entry(e.FullUrl, e.Resource!)).ToList();
        return new X12ClaimSource(claim, reference => ResolveIn(entries, reference));
    }

    /// <summary>A source over a Claim and a list of resources with ids (no Bundle at hand, e.g. tests).</summary>
    public static X12ClaimSource FromResources(Claim claim, IEnumerable<Resource> resources)
    {
        var entries = resources.Select(r => new Entry($"urn:x12:{r.TypeName}/{r.Id}", r)).ToList();
        return new X12ClaimSource(claim, reference => ResolveIn(entries, reference));
    }

    /// <summary>Resolves a reference held by <paramref name="holder"/> (contained first), typed; null when absent.</summary>
    internal T? Find<T>(ResourceReference? reference, DomainResource? holder = null)
        where T : Resource
    {
        if (reference is null)
        {
            return null;
        }

        var text = reference.Reference;
        if (text is { Length: > 1 } && text[0] == '#')
        {
            var id = text[1..];
            var contained = (holder?.Contained ?? []).Concat(Claim.Contained).FirstOrDefault(r => r.Id == id);
            return contained as T;
        }

        return Resolve(reference) as T;
    }

    private static Resource? ResolveIn(List<Entry> entries, ResourceReference reference)
    {
        var text = reference.Reference;
        if (string.IsNullOrEmpty(text))
        {
            return reference.Identifier is { } logical ? ByIdentifier(entries, reference.Type, logical.System, logical.Value) : null;
        }

        var exact = entries.FirstOrDefault(e => e.FullUrl == text);
        if (exact is not null)
        {
            return exact.Resource;
        }

        var query = text.IndexOf('?', StringComparison.Ordinal);
        if (query > 0)
        {
            const string Key = "identifier=";
            var search = text[(query + 1)..];
            if (!search.StartsWith(Key, StringComparison.Ordinal))
            {
                return null;
            }

            var token = Uri.UnescapeDataString(search[Key.Length..]);
            var bar = token.IndexOf('|', StringComparison.Ordinal);
            return bar < 0
                ? ByIdentifier(entries, text[..query], null, token, anySystem: true)
                : ByIdentifier(entries, text[..query], token[..bar], token[(bar + 1)..]);
        }

        var history = text.IndexOf("/_history/", StringComparison.Ordinal);
        var path = history > 0 ? text[..history] : text;
        var parts = path.Split('/');
        if (parts.Length < 2)
        {
            return null;
        }

        var (type, id) = (parts[^2], parts[^1]);
        return entries.FirstOrDefault(e => e.FullUrl is { } url && url.EndsWith("/" + type + "/" + id, StringComparison.Ordinal))?.Resource
            ?? entries.FirstOrDefault(e => e.Resource.TypeName == type && e.Resource.Id == id)?.Resource;
    }

    private static Resource? ByIdentifier(List<Entry> entries, string? type, string? system, string? value, bool anySystem = false)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        var matches = entries
            .Where(e => type is null || e.Resource.TypeName == type)
            .Where(e => Identifiers(e.Resource).Any(i => i.Value == value && (anySystem || (i.System ?? "") == (system ?? ""))))
            .Take(2)
            .ToList();
        return matches.Count == 1 ? matches[0].Resource : null;
    }

    private sealed record Entry(string? FullUrl, Resource Resource);

    private static IEnumerable<Identifier> Identifiers(Resource resource) => resource switch
    {
        Patient p => p.Identifier,
        Organization o => o.Identifier,
        Practitioner p => p.Identifier,
        PractitionerRole r => r.Identifier,
        Coverage c => c.Identifier,
        Location l => l.Identifier,
        RelatedPerson r => r.Identifier,
        _ => [],
    };
}

/// <summary>One claim to put into an 837P, with what the pipeline knows beyond the FHIR resources.</summary>
/// <param name="Source">The Claim and its referenced resources.</param>
/// <param name="ControlNumber">CLM01 (see <see cref="PatientControlNumber"/>).</param>
/// <param name="PriorAuthorization">REF*G1: the authorization number the rules matched; null falls back to the focal
/// insurance's preAuthRef.</param>
/// <param name="Frequency">CLM05-3; a replacement or void needs <paramref name="PayerClaimControlNumber"/>.</param>
/// <param name="PayerClaimControlNumber">REF*F8: the payer's claim number of the claim being replaced or voided (the
/// 277CA REF*1K of the original).</param>
public sealed record ProfessionalClaim(
    X12ClaimSource Source,
    PatientControlNumber ControlNumber,
    string? PriorAuthorization = null,
    ClaimFrequency Frequency = ClaimFrequency.Original,
    string? PayerClaimControlNumber = null);

/// <summary>One ST/SE transaction set of an interchange: its ST02 (from the caller's allocator) and its claims.</summary>
public sealed record ProfessionalTransaction(long TransactionControlNumber, IReadOnlyList<ProfessionalClaim> Claims);
