using System.Text.Json;

namespace Claims.Core.Fhir;

/// <summary>A reference element found while walking a resource: where it is and its JSON object.</summary>
internal sealed record ReferenceSite(string Path, JsonElement Reference);

/// <summary>
/// One resource of a payload: a top-level resource (the posted Claim or a Bundle entry) or a contained resource.
/// Path is its FHIRPath location (e.g. "Bundle.entry[3].resource", "Claim.contained[0]").
/// </summary>
internal sealed class ResourceNode(JsonElement json, string type, string? id, string? fullUrl, string path, int entryIndex, ResourceNode? container)
{
    public JsonElement Json { get; } = json;

    public string Type { get; } = type;

    public string? Id { get; } = id;

    public string? FullUrl { get; } = fullUrl;

    public string Path { get; } = path;

    /// <summary>Bundle entry index, or -1 for a posted resource and contained resources.</summary>
    public int EntryIndex { get; } = entryIndex;

    /// <summary>The resource that contains this one, null for top-level resources.</summary>
    public ResourceNode? Container { get; } = container;

    public List<ResourceNode> Contained { get; } = [];

    /// <summary>Every Reference in this resource and its contained resources (top-level resources only).</summary>
    public List<ReferenceSite> References { get; } = [];

    /// <summary>Structural problems found in this resource and its contained resources.</summary>
    public List<OutcomeIssue> Issues { get; } = [];

    /// <summary>
    /// NPI check-digit issues the structural walk found in this resource and its contained resources (top-level
    /// resources only), in document order. Complete only when <see cref="Issues"/> is empty: the walk does not descend
    /// into elements it rejects.
    /// </summary>
    public List<OutcomeIssue> NpiIssues { get; } = [];

    public ResourceNode TopLevel => Container?.TopLevel ?? this;
}
