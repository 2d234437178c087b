using System.Text.Json;

namespace Claims.Core.Fhir;

/// <summary>Small read helpers over already-validated FHIR JSON.</summary>
internal static class JsonAccess
{
    public static JsonElement? Prop(this JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null
            ? value
            : null;

    public static string? Str(this JsonElement element, string name) =>
        element.Prop(name) is { ValueKind: JsonValueKind.String } value ? value.GetString() : null;

    public static string? Str(this JsonElement? element, string name) => element?.Str(name);

    public static decimal? Dec(this JsonElement element, string name) =>
        element.Prop(name) is { ValueKind: JsonValueKind.Number } value && value.TryGetDecimal(out var d) ? d : null;

    public static int? Int(this JsonElement element, string name) =>
        element.Prop(name) is { ValueKind: JsonValueKind.Number } value && value.TryGetInt32(out var i) ? i : null;

    public static bool? Bool(this JsonElement element, string name) =>
        element.Prop(name) is { ValueKind: JsonValueKind.True or JsonValueKind.False } value ? value.GetBoolean() : null;

    /// <summary>The items of an array element (an empty sequence when absent or not an array).</summary>
    public static IEnumerable<JsonElement> Arr(this JsonElement element, string name) =>
        element.Prop(name) is { ValueKind: JsonValueKind.Array } value ? value.EnumerateArray() : [];

    public static IEnumerable<JsonElement> Arr(this JsonElement? element, string name) =>
        element is { } e ? e.Arr(name) : [];

    /// <summary>The codes of a CodeableConcept's codings.</summary>
    public static IEnumerable<string> Codes(this JsonElement? codeableConcept) =>
        codeableConcept.Arr("coding").Select(c => c.Str("code")).OfType<string>();
}
