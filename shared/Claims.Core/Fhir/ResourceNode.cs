using Hl7.Fhir.Model;

namespace Claims.Core.Fhir;

/// <summary>A Reference met in a resource: where it is (FHIRPath) and the Firely element.</summary>
internal sealed record ReferenceSite(string Path, ResourceReference Reference);

/// <summary>
/// One resource of a payload — a top-level resource (the posted Claim or a Bundle entry) or a contained resource — as
/// the Firely POCO, with where it sits: <see cref="Path"/> is its FHIRPath location ("Bundle.entry[3].resource",
/// "Claim.contained[0]"), <see cref="FullUrl"/> the Bundle entry's fullUrl that references resolve against.
/// </summary>
internal sealed class ResourceNode
{
    private List<ReferenceSite>? references;

    private ResourceNode(Resource resource, string? fullUrl, string path, int entryIndex, ResourceNode? container)
    {
        Resource = resource;
        FullUrl = fullUrl;
        Path = path;
        EntryIndex = entryIndex;
        Container = container;
    }

    public Resource Resource { get; }

    public string Type => Resource.TypeName;

    public string? Id => Resource.Id;

    public string? FullUrl { get; }

    public string Path { get; }

    /// <summary>Bundle entry index, or -1 for a posted resource and contained resources.</summary>
    public int EntryIndex { get; }

    /// <summary>The resource that contains this one, null for top-level resources.</summary>
    public ResourceNode? Container { get; }

    public List<ResourceNode> Contained { get; } = [];

    /// <summary>Problems found in this resource and its contained resources (top-level resources only).</summary>
    public List<OutcomeIssue> Issues { get; } = [];

    /// <summary>Every Reference in this resource and its contained resources (top-level resources only), in document order.</summary>
    public IReadOnlyList<ReferenceSite> References => references ??= ResourceWalk.References(Resource, Path);

    /// <summary>
    /// Adds what Firely's reader does not check (NPI check digits, lexical uri/code rules, contained ids) to
    /// <see cref="Issues"/>, collecting the references on the same walk.
    /// </summary>
    /// <param name="lexical">False when <see cref="FirelyCheck"/> proved the resource clean: its uris and codes passed the same rules.</param>
    public void Inspect(bool lexical = true)
    {
        var found = new List<OutcomeIssue>();
        references = ResourceWalk.Inspect(Resource, Path, found, lexical);
        foreach (var contained in Contained)
        {
            if (string.IsNullOrEmpty(contained.Id))
            {
                found.Add(OutcomeIssue.Error("required", "A contained resource must have an id.", contained.Path));
            }
        }

        // One issue per problem: Firely may have said it already.
        foreach (var issue in found)
        {
            if (!Issues.Exists(i => i.Code == issue.Code && i.Expression == issue.Expression))
            {
                Issues.Add(issue);
            }
        }
    }

    public ResourceNode TopLevel => Container?.TopLevel ?? this;

    /// <summary>A top-level resource with a node for each of its contained resources.</summary>
    public static ResourceNode Of(Resource resource, string? fullUrl, string path, int entryIndex)
    {
        var node = new ResourceNode(resource, fullUrl, path, entryIndex, null);
        if (resource is DomainResource domain)
        {
            for (var i = 0; i < domain.Contained.Count; i++)
            {
                if (domain.Contained[i] is { } contained)
                {
                    node.Contained.Add(new ResourceNode(contained, null, $"{path}.contained[{i}]", -1, node));
                }
            }
        }

        return node;
    }
}
