using System.Collections.Immutable;

namespace Claims.Core.X12;

/// <summary>One segment as read: its id and its elements (element 1 is <c>this[1]</c>), never null.</summary>
public sealed class X12Segment(string id, string[] elements, char componentSeparator, int index)
{
    public string Id { get; } = id;

    /// <summary>The elements after the id (index 0 = element 01).</summary>
    public IReadOnlyList<string> Elements { get; } = elements;

    /// <summary>Position of the segment in the interchange, 0 = ISA.</summary>
    public int Index { get; } = index;

    /// <summary>Element <paramref name="position"/> (1-based, as X12 numbers them), "" when absent.</summary>
    public string this[int position] => position >= 1 && position <= Elements.Count ? Elements[position - 1] : "";

    /// <summary>Component <paramref name="component"/> (1-based) of element <paramref name="position"/>, "" when absent.</summary>
    public string Component(int position, int component)
    {
        var parts = this[position].Split(componentSeparator);
        return component >= 1 && component <= parts.Length ? parts[component - 1] : "";
    }

    public override string ToString() => Elements.Count == 0 ? Id : Id + "*" + string.Join('*', Elements);
}

/// <summary>What <see cref="X12Reader.Read"/> found: the segments, and the reason the text is not a sound X12
/// interchange (then the segments are empty when it could not be tokenized, present when only the envelope is wrong).</summary>
public sealed record X12ReadResult(ImmutableArray<X12Segment> Segments, string? Error)
{
    public bool IsSuccess => Error is null;
}

/// <summary>
/// A small X12 tokenizer: the delimiters come from the ISA segment (element separator = 4th character,
/// component separator = ISA16, segment terminator = the character after it), whitespace and line
/// breaks between segments are ignored. It checks the envelope counts (SE01, GE01, IEA01) and control numbers; it
/// knows no transaction set. Never throws on input: a text it cannot read is an error result.
/// </summary>
public static class X12Reader
{
    /// <summary>Fixed length of the ISA segment, terminator excluded.</summary>
    private const int IsaLength = 105;

    public static X12ReadResult Read(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return Fail("empty input: an X12 interchange starts with ISA");
        }

        var start = 0;
        while (start < text.Length && (char.IsWhiteSpace(text[start]) || text[start] == '\uFEFF'))
        {
            start++;
        }

        if (text.Length - start < IsaLength + 1 || string.CompareOrdinal(text, start, "ISA", 0, 3) != 0)
        {
            return Fail("not an X12 interchange: it must start with a complete ISA segment (106 characters)");
        }

        var element = text[start + 3];
        var component = text[start + IsaLength - 1];
        var terminator = text[start + IsaLength];
        if (char.IsLetterOrDigit(element) || char.IsLetterOrDigit(component) || char.IsLetterOrDigit(terminator)
            || element == component || element == terminator || component == terminator)
        {
            return Fail("ISA delimiters are invalid (element separator, ISA16 component separator and segment terminator must be distinct non-alphanumeric characters)");
        }

        var isa = text.Substring(start, IsaLength).Split(element);
        if (isa.Length != 17)
        {
            return Fail($"ISA has {isa.Length - 1} elements, 16 expected");
        }

        var segments = ImmutableArray.CreateBuilder<X12Segment>();
        foreach (var raw in text[start..].Split(terminator))
        {
            var segment = raw.Trim();
            if (segment.Length == 0)
            {
                continue;
            }

            var parts = segment.Split(element);
            var id = parts[0];
            if (id.Length is < 2 or > 3 || !id.All(char.IsAsciiLetterOrDigit))
            {
                return Fail($"segment {segments.Count + 1}: '{Truncate(id)}' is not a segment id");
            }

            segments.Add(new X12Segment(id, parts[1..], component, segments.Count));
        }

        // An envelope error still gives the segments: a reader of someone else's file may want to look inside it.
        return new X12ReadResult(segments.ToImmutable(), CheckEnvelope(segments));
    }

    /// <summary>The first envelope error (ISA/IEA, GS/GE, ST/SE nesting, counts, control numbers), null when none.</summary>
    public static string? CheckEnvelope(IReadOnlyList<X12Segment> segments)
    {
        X12Segment? isa = null, gs = null, st = null;
        int groups = 0, sets = 0, stIndex = 0;
        foreach (var s in segments)
        {
            switch (s.Id)
            {
                case "ISA":
                    if (isa is not null)
                    {
                        return $"segment {s.Index + 1}: ISA inside an interchange (IEA missing)";
                    }

                    isa = s;
                    groups = 0;
                    break;
                case "IEA":
                    if (isa is null || gs is not null)
                    {
                        return $"segment {s.Index + 1}: IEA without its ISA, or GE missing";
                    }

                    if (Trailer(s, groups, "functional groups", isa, 13, "ISA13") is { } ieaError)
                    {
                        return ieaError;
                    }

                    isa = null;
                    break;
                case "GS":
                    if (isa is null || gs is not null)
                    {
                        return $"segment {s.Index + 1}: GS outside an interchange or GE missing";
                    }

                    gs = s;
                    sets = 0;
                    groups++;
                    break;
                case "GE":
                    if (gs is null || st is not null)
                    {
                        return $"segment {s.Index + 1}: GE without its GS, or SE missing";
                    }

                    if (Trailer(s, sets, "transaction sets", gs, 6, "GS06") is { } geError)
                    {
                        return geError;
                    }

                    gs = null;
                    break;
                case "ST":
                    if (gs is null || st is not null)
                    {
                        return $"segment {s.Index + 1}: ST outside a functional group or SE missing";
                    }

                    st = s;
                    stIndex = s.Index;
                    sets++;
                    break;
                case "SE":
                    if (st is null)
                    {
                        return $"segment {s.Index + 1}: SE without its ST";
                    }

                    if (Trailer(s, s.Index - stIndex + 1, "segments", st, 2, "ST02") is { } seError)
                    {
                        return seError;
                    }

                    st = null;
                    break;
                default:
                    if (isa is null)
                    {
                        return $"segment {s.Index + 1}: {s.Id} outside an interchange";
                    }

                    if (st is null && s.Id != "TA1")
                    {
                        return $"segment {s.Index + 1}: {s.Id} outside a transaction set";
                    }

                    break;
            }
        }

        return st is not null ? $"SE missing: transaction set {st[2]} is cut short"
            : gs is not null ? $"GE missing: functional group {gs[6]} is cut short"
            : isa is not null ? "IEA missing: the interchange is cut short"
            : null;
    }

    /// <summary>A trailer's count (element 01) and control number (element 02) against what it closes.</summary>
    private static string? Trailer(X12Segment trailer, int count, string counted, X12Segment header, int control, string controlName)
    {
        var actual = count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return trailer[1] != actual ? $"{trailer.Id}01 says {trailer[1]} {counted}, {header.Id} {header[control]} has {actual}"
            : trailer[2] != header[control] ? $"{trailer.Id}02 {trailer[2]} does not match {controlName} {header[control]}"
            : null;
    }

    private static X12ReadResult Fail(string error) => new([], error);

    private static string Truncate(string value) => value.Length <= 10 ? value : value[..10] + "…";
}
