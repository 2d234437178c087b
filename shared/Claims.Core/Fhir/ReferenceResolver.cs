using Hl7.Fhir.Model;

namespace Claims.Core.Fhir;

/// <summary>How a Reference resolved against the resources of one payload.</summary>
internal enum ResolutionKind
{
    /// <summary>Found in the payload.</summary>
    Resolved,

    /// <summary>Points outside the payload (relative, absolute, conditional or logical): allowed.</summary>
    External,

    /// <summary>Display only: nothing to resolve.</summary>
    NoTarget,

    /// <summary>A local (#id) or urn:uuid/urn:oid reference with no target in the payload: an error.</summary>
    Broken,

    /// <summary>A conditional reference matching more than one resource: an error.</summary>
    Ambiguous,
}

internal readonly record struct Resolution(ResolutionKind Kind, ResourceNode? Target);

/// <summary>
/// Resolves References inside one payload (a posted Claim with its contained resources, or a Bundle), following
/// http://hl7.org/fhir/R4/references.html and bundle.html#references: contained (#id), fullUrl (urn:uuid, absolute),
/// relative Type/id (also against fullUrls ending in it), conditional Type?identifier=system|value, and logical
/// references by Reference.identifier.
/// </summary>
internal sealed class ReferenceResolver(IReadOnlyList<ResourceNode> resources)
{
    public IReadOnlyList<ResourceNode> Resources { get; } = resources;

    /// <summary>Resolves <paramref name="reference"/> found inside <paramref name="owner"/> (a top-level resource).</summary>
    public Resolution Resolve(ResourceReference reference, ResourceNode owner)
    {
        var text = reference.Reference;
        if (text is null)
        {
            return reference.Identifier is { } identifier
                ? ResolveLogical(identifier, reference.Type, owner)
                : new Resolution(ResolutionKind.NoTarget, null);
        }

        if (text.StartsWith('#'))
        {
            var id = text[1..];
            if (id.Length == 0)
            {
                return new Resolution(ResolutionKind.Resolved, owner);
            }

            var hit = owner.Contained.FirstOrDefault(c => c.Id == id);
            return hit is null ? new Resolution(ResolutionKind.Broken, null) : new Resolution(ResolutionKind.Resolved, hit);
        }

        var exact = Resources.FirstOrDefault(r => r.FullUrl == text);
        if (exact is not null)
        {
            return new Resolution(ResolutionKind.Resolved, exact);
        }

        if (text.StartsWith("urn:uuid:", StringComparison.Ordinal) || text.StartsWith("urn:oid:", StringComparison.Ordinal))
        {
            return new Resolution(ResolutionKind.Broken, null);
        }

        var question = text.IndexOf('?', StringComparison.Ordinal);
        if (question > 0)
        {
            return ResolveConditional(text[..question], text[(question + 1)..]);
        }

        if (text.Contains("://", StringComparison.Ordinal))
        {
            return new Resolution(ResolutionKind.External, null);
        }

        return ResolveRelative(text);
    }

    private Resolution ResolveRelative(string text)
    {
        var history = text.IndexOf("/_history/", StringComparison.Ordinal);
        var plain = history > 0 ? text[..history] : text;
        var slash = plain.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == plain.Length - 1)
        {
            return new Resolution(ResolutionKind.External, null);
        }

        var type = plain[..slash];
        var id = plain[(slash + 1)..];
        var suffix = "/" + plain;
        var hit = Resources.FirstOrDefault(r => r.FullUrl is { } url && url.EndsWith(suffix, StringComparison.Ordinal))
                  ?? Resources.FirstOrDefault(r => r.Type == type && r.Id == id);
        return hit is null ? new Resolution(ResolutionKind.External, null) : new Resolution(ResolutionKind.Resolved, hit);
    }

    private Resolution ResolveConditional(string type, string query)
    {
        string? identifier = null;
        foreach (var part in query.Split('&'))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0 && part[..eq] == "identifier")
            {
                identifier = Uri.UnescapeDataString(part[(eq + 1)..]);
            }
            else
            {
                // Only identifier searches can be evaluated against the payload.
                return new Resolution(ResolutionKind.External, null);
            }
        }

        if (identifier is null)
        {
            return new Resolution(ResolutionKind.External, null);
        }

        var bar = identifier.IndexOf('|', StringComparison.Ordinal);
        string? system = bar >= 0 ? identifier[..bar] : null;
        var value = bar >= 0 ? identifier[(bar + 1)..] : identifier;
        var hits = Resources.Where(r => r.Type == type && HasIdentifier(r.Resource, system, value, bar >= 0)).Take(2).ToList();
        return hits.Count switch
        {
            0 => new Resolution(ResolutionKind.External, null),
            1 => new Resolution(ResolutionKind.Resolved, hits[0]),
            _ => new Resolution(ResolutionKind.Ambiguous, null),
        };
    }

    private Resolution ResolveLogical(Identifier identifier, string? type, ResourceNode owner)
    {
        var value = identifier.Value;
        if (value is null)
        {
            return new Resolution(ResolutionKind.NoTarget, null);
        }

        var system = identifier.System;
        var candidates = owner.Contained.Concat(Resources);
        var hits = candidates.Where(r => (type is null || r.Type == type || type.EndsWith("/" + r.Type, StringComparison.Ordinal))
                                        && HasIdentifier(r.Resource, system, value, system is not null)).Take(2).ToList();
        return hits.Count == 1 ? new Resolution(ResolutionKind.Resolved, hits[0]) : new Resolution(ResolutionKind.External, null);
    }

    // token search semantics: "system|value" matches both, "|value" matches no system, "value" matches any system
    private static bool HasIdentifier(Resource resource, string? system, string value, bool systemGiven)
    {
        foreach (var identifier in Identifiers(resource))
        {
            if (identifier?.Value != value)
            {
                continue;
            }

            var actual = identifier.System;
            if (!systemGiven || (string.IsNullOrEmpty(system) ? actual is null : actual == system))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Resource.identifier of any resource type that has one (a list or, as in Bundle, a single one).</summary>
    internal static IEnumerable<Identifier> Identifiers(Resource resource) =>
        resource.TryGetValue("identifier", out var value)
            ? value switch
            {
                IEnumerable<Identifier> list => list,
                Identifier single => [single],
                _ => [],
            }
            : [];
}
