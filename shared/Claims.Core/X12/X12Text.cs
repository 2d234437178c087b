using System.Globalization;
using System.Text;

namespace Claims.Core.X12;

/// <summary>The delimiters this service writes, and how values are made safe for them.</summary>
public static class X12Delimiters
{
    public const char Segment = '~';
    public const char Element = '*';
    public const char Component = ':';
    public const char Repetition = '^';
}

/// <summary>Writes segments: the id, each element after <c>*</c>, trailing empty elements dropped (X12 forbids
/// trailing delimiters), <c>~</c> at the end; counts them for SE01.</summary>
internal sealed class SegmentWriter(StringBuilder text)
{
    public StringBuilder Text { get; } = text;

    public int Count { get; set; }

    public void Write(string id, params ReadOnlySpan<string?> elements)
    {
        var last = elements.Length - 1;
        while (last >= 0 && string.IsNullOrEmpty(elements[last]))
        {
            last--;
        }

        Text.Append(id);
        for (var i = 0; i <= last; i++)
        {
            Text.Append(X12Delimiters.Element).Append(elements[i]);
        }

        Text.Append(X12Delimiters.Segment);
        Count++;
    }

    /// <summary>A composite element: components joined by <c>:</c>, trailing empty ones dropped.</summary>
    public static string Composite(params ReadOnlySpan<string?> components)
    {
        var last = components.Length - 1;
        while (last >= 0 && string.IsNullOrEmpty(components[last]))
        {
            last--;
        }

        var builder = new StringBuilder();
        for (var i = 0; i <= last; i++)
        {
            if (i > 0)
            {
                builder.Append(X12Delimiters.Component);
            }

            builder.Append(components[i]);
        }

        return builder.ToString();
    }
}

/// <summary>Text and number formatting for X12 element values.</summary>
internal static class X12Text
{
    /// <summary>
    /// Free text (names, addresses): upper case, only the X12 basic/extended characters that are not our delimiters
    /// (anything else becomes a space), runs of spaces collapsed, trimmed, cut to <paramref name="max"/>. Null when
    /// nothing is left.
    /// </summary>
    public static string? Clean(string? value, int max)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        var builder = new StringBuilder(Math.Min(value.Length, max + 8));
        var space = false;
        foreach (var raw in value)
        {
            var c = char.ToUpperInvariant(Fold(raw));
            if (!Allowed(c))
            {
                c = ' ';
            }

            if (c == ' ')
            {
                space = builder.Length > 0;
                continue;
            }

            if (space)
            {
                builder.Append(' ');
                space = false;
            }

            builder.Append(c);
        }

        if (builder.Length == 0)
        {
            return null;
        }

        var text = builder.ToString();
        return text.Length <= max ? text : text[..max].TrimEnd();
    }

    /// <summary>An identifier or code: trimmed, delimiter and control characters removed; null when empty.</summary>
    public static string? Id(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        var builder = new StringBuilder(value.Length);
        foreach (var c in value.Trim())
        {
            if (c is >= ' ' and < '\u007f' and not (X12Delimiters.Element or X12Delimiters.Component or X12Delimiters.Segment or X12Delimiters.Repetition))
            {
                builder.Append(c);
            }
        }

        var text = builder.ToString().Trim();
        return text.Length == 0 ? null : text;
    }

    /// <summary>Digits only (phone numbers, TIN, ZIP).</summary>
    public static string Digits(string? value) => value is null ? "" : new string(value.Where(char.IsAsciiDigit).ToArray());

    /// <summary>An X12 R (decimal) value: no exponent, no trailing zeros, no trailing point (12.5, 100, 0.25).</summary>
    public static string Decimal(decimal value) => value.ToString("0.####", CultureInfo.InvariantCulture);

    /// <summary>CCYYMMDD.</summary>
    public static string Date(DateOnly date) => date.ToString("yyyyMMdd", CultureInfo.InvariantCulture);

    private static bool Allowed(char c) =>
        c is (>= 'A' and <= 'Z') or (>= '0' and <= '9') or ' '
        || "!\"&'()+,-./;?=%@[]_{}\\|<>#$".Contains(c, StringComparison.Ordinal);

    // Latin letters with diacritics become their base letter, so "Peña" is written PENA rather than PE A.
    private static char Fold(char c) => c switch
    {
        >= 'À' and <= 'Å' => 'A',
        >= 'à' and <= 'å' => 'a',
        'Ç' => 'C',
        'ç' => 'c',
        >= 'È' and <= 'Ë' => 'E',
        >= 'è' and <= 'ë' => 'e',
        >= 'Ì' and <= 'Ï' => 'I',
        >= 'ì' and <= 'ï' => 'i',
        'Ñ' => 'N',
        'ñ' => 'n',
        >= 'Ò' and <= 'Ö' => 'O',
        >= 'ò' and <= 'ö' => 'o',
        >= 'Ù' and <= 'Ü' => 'U',
        >= 'ù' and <= 'ü' => 'u',
        'Ý' or 'ý' or 'ÿ' => 'Y',
        _ => c,
    };
}

/// <summary>
/// One thing the 837P needs and the claim (or the submitter profile) lacks, as a person fixing the claim reads it:
/// <c>Claim.provider: billing provider NPI missing (837P 2010AA NM1*85 NM109)</c>.
/// </summary>
/// <param name="Element">The FHIR element (FHIRPath) or profile setting to fix.</param>
/// <param name="Problem">What is missing or wrong.</param>
/// <param name="X12">Where the 837P carries it (loop, segment, element).</param>
public sealed record X12Problem(string Element, string Problem, string X12)
{
    public string Reason => $"{Element}: {Problem} (837P {X12})";

    public override string ToString() => Reason;
}
