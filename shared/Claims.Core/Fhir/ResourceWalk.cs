using System.Collections;
using System.Globalization;
using System.Text;
using Hl7.Fhir.Introspection;
using Hl7.Fhir.Model;

namespace Claims.Core.Fhir;

/// <summary>
/// One walk over a Firely POCO, element by element with the FHIRPath location of each (choice elements named with
/// their type: "servicedDate", "valueIdentifier"), for what Firely's reader does not check or collect: the References
/// of a resource for the resolution step, the NPI check digit of every us-npi identifier, and the lexical rules of R4
/// that Firely's reader lets through (a uri holds no white space, a code no leading, trailing or double white space;
/// http://hl7.org/fhir/R4/datatypes.html). Contained resources are walked as part of their container; Bundle entries
/// are not.
/// </summary>
internal static class ResourceWalk
{
    /// <summary>Every ResourceReference in <paramref name="resource"/> and its contained resources, in document order.</summary>
    public static List<ReferenceSite> References(Resource resource, string path)
    {
        var references = new List<ReferenceSite>();
        Walk(resource, new StringBuilder(path, 128), references, null, lexical: false);
        return references;
    }

    /// <summary>The references (as <see cref="References"/>) and an issue for each bad NPI or lexically invalid uri/code.</summary>
    public static List<ReferenceSite> Inspect(Resource resource, string path, List<OutcomeIssue> issues, bool lexical = true)
    {
        var references = new List<ReferenceSite>();
        Walk(resource, new StringBuilder(path, 128), references, issues, lexical);
        return references;
    }

    /// <summary>The JSON name of a POCO element: a choice element gets its value's type ("serviced" + Date).</summary>
    public static string ElementName(Base parent, string name, object? value)
    {
        if (value is not Base child || !IsChoice(parent, name))
        {
            return name;
        }

        var type = child.TypeName;
        return string.Concat(name, char.ToUpperInvariant(type[0]).ToString(), type.AsSpan(1));
    }

    public static bool IsChoice(Base parent, string name) =>
        ModelInfo.ModelInspector.FindOrImportClassMapping(parent.GetType())?.FindMappedElementByName(name) is { Choice: ChoiceType.DatatypeChoice };

    private static void Walk(Base element, StringBuilder path, List<ReferenceSite> references, List<OutcomeIssue>? issues, bool lexical)
    {
        switch (element)
        {
            case PrimitiveType primitive:
                if (lexical && issues is not null)
                {
                    CheckLexical(primitive, path, issues);
                }

                if (primitive.Extension.Count == 0)
                {
                    return;
                }

                break;
            case ResourceReference reference:
                references.Add(new ReferenceSite(path.ToString(), reference));
                break;
            case Identifier { System: FhirFormats.NpiSystem, Value: { } npi } when issues is not null && !FhirFormats.IsNpi(npi):
                issues.Add(OutcomeIssue.Error("value", "The NPI is not 10 digits with a valid check digit.", path + ".value"));
                break;
        }

        var mark = path.Length;
        foreach (var (name, value) in element.EnumerateElements())
        {
            if (element is Bundle.EntryComponent && name == "resource")
            {
                continue;
            }

            if (value is IList list)
            {
                for (var i = 0; i < list.Count; i++)
                {
                    if (list[i] is Base item)
                    {
                        path.Append('.').Append(name).Append('[').Append(i.ToString(CultureInfo.InvariantCulture)).Append(']');
                        Walk(item, path, references, issues, lexical);
                        path.Length = mark;
                    }
                }
            }
            else if (value is Base child)
            {
                path.Append('.').Append(child is PrimitiveType ? name : ElementName(element, name, child));
                Walk(child, path, references, issues, lexical);
                path.Length = mark;
            }
        }
    }

    private static void CheckLexical(PrimitiveType primitive, StringBuilder path, List<OutcomeIssue> issues)
    {
        if (primitive.JsonValue is not string text)
        {
            return;
        }

        var problem = primitive.TypeName switch
        {
            "uri" or "url" or "canonical" or "oid" or "uuid" when !FhirFormats.IsUri(text) => "A uri must not contain white space.",
            "code" when !FhirFormats.IsCode(text) => "A code must not have leading, trailing or repeated white space.",
            _ => null,
        };
        if (problem is not null)
        {
            issues.Add(OutcomeIssue.Error("value", problem, path.ToString()));
        }
    }
}
