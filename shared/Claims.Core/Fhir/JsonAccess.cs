using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace Claims.Core.Fhir;

/// <summary>Small read helpers over already-validated FHIR JSON.</summary>
internal static class JsonAccess
{
    /// <summary>The stack buffer for <see cref="NameChars"/>: longer names are read as strings.</summary>
    public const int NameBufferLength = 64;

    /// <summary>The stack buffer for <see cref="ValueChars"/>: longer values are read as strings.</summary>
    public const int ValueBufferLength = 128;

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

    /// <summary>
    /// The first property of an object with the (unescaped) name, searched from the front: for the properties that come
    /// first (resourceType, id), where a lookup by name, which searches from the back, reads every other name first.
    /// Only used where the properties are known to be unique (or a repeat refuses the body anyway).
    /// </summary>
    public static bool TryGetFirst(this JsonElement element, ReadOnlySpan<byte> utf8Name, out JsonElement value)
    {
        foreach (var property in element.EnumerateObject())
        {
            if (property.NameEquals(utf8Name))
            {
                value = property.Value;
                return true;
            }
        }

        value = default;
        return false;
    }

    /// <summary>As <see cref="Prop(JsonElement, string)"/>, the name given as UTF-8 (no transcoding per lookup).</summary>
    public static JsonElement? Prop(this JsonElement element, ReadOnlySpan<byte> utf8Name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(utf8Name, out var value) && value.ValueKind != JsonValueKind.Null
            ? value
            : null;

    public static JsonElement? Prop(this JsonElement? element, ReadOnlySpan<byte> utf8Name) => element is { } e ? e.Prop(utf8Name) : null;

    public static decimal? Dec(this JsonElement? element, ReadOnlySpan<byte> utf8Name) => element is { } e ? e.Dec(utf8Name) : null;

    public static decimal? Dec(this JsonElement element, ReadOnlySpan<byte> utf8Name) =>
        element.Prop(utf8Name) is { ValueKind: JsonValueKind.Number } value && value.TryGetDecimal(out var d) ? d : null;

    public static int? Int(this JsonElement element, ReadOnlySpan<byte> utf8Name) =>
        element.Prop(utf8Name) is { ValueKind: JsonValueKind.Number } value && value.TryGetInt32(out var i) ? i : null;

    public static bool? Bool(this JsonElement element, ReadOnlySpan<byte> utf8Name) =>
        element.Prop(utf8Name) is { ValueKind: JsonValueKind.True or JsonValueKind.False } value ? value.GetBoolean() : null;

    /// <summary>The items of an array element (an empty sequence when absent or not an array).</summary>
    public static IEnumerable<JsonElement> Arr(this JsonElement element, string name) =>
        element.Prop(name) is { ValueKind: JsonValueKind.Array } value ? value.EnumerateArray() : [];

    public static IEnumerable<JsonElement> Arr(this JsonElement? element, string name) =>
        element is { } e ? e.Arr(name) : [];

    /// <summary>The codes of a CodeableConcept's codings.</summary>
    public static IEnumerable<string> Codes(this JsonElement? codeableConcept) =>
        codeableConcept.Arr("coding").Select(c => c.Str("code")).OfType<string>();

    /// <summary>A string value as chars in buffer when its raw UTF-8 is short, unescaped ASCII; otherwise the reader's string.</summary>
    public static ReadOnlySpan<char> ValueChars(JsonElement value, Span<char> buffer)
    {
        var raw = JsonMarshal.GetRawUtf8Value(value);
        raw = raw[1..^1]; // the quotes
        if (raw.Length > buffer.Length || !Ascii.IsValid(raw) || raw.Contains((byte)'\\'))
        {
            return value.GetString();
        }

        var chars = buffer[..raw.Length];
        Ascii.ToUtf16(raw, chars, out _);
        return chars;
    }

    /// <summary>
    /// The property name as chars in buffer when its raw UTF-8 is short, unescaped ASCII (one byte per char);
    /// otherwise the unescaped string the reader builds.
    /// </summary>
    public static ReadOnlySpan<char> NameChars(JsonProperty property, Span<char> buffer)
    {
        var raw = JsonMarshal.GetRawUtf8PropertyName(property);
        if (raw.Length > buffer.Length || !Ascii.IsValid(raw) || raw.Contains((byte)'\\'))
        {
            return property.Name;
        }

        var chars = buffer[..raw.Length];
        Ascii.ToUtf16(raw, chars, out _);
        return chars;
    }
}
