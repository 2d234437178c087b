using System.Globalization;
using System.Text.RegularExpressions;

namespace Claims.Core.Fhir;

/// <summary>
/// Lexical rules of the FHIR R4 primitive types (http://hl7.org/fhir/R4/datatypes.html) and the billing code
/// formats the intake checks. Every method is a pure predicate.
/// </summary>
public static partial class FhirFormats
{
    public const string NpiSystem = "http://hl7.org/fhir/sid/us-npi";
    public const string CptSystem = "http://www.ama-assn.org/go/cpt";
    public const string Icd10CmSystem = "http://hl7.org/fhir/sid/icd-10-cm";
    public const string Icd10System = "http://hl7.org/fhir/sid/icd-10";

    /// <summary>HCPCS Level II code systems seen in practice (CMS and the terminology.hl7.org/THO URIs).</summary>
    public static readonly IReadOnlySet<string> HcpcsSystems = new HashSet<string>(StringComparer.Ordinal)
    {
        "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets",
        "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets",
        "urn:oid:2.16.840.1.113883.6.285",
        "http://terminology.hl7.org/CodeSystem/HCPCS",
        "https://hcpcs.codes",
    };

    /// <summary>R4 id: [A-Za-z0-9\-\.]{1,64}.</summary>
    public static bool IsId(string value) => IsId(value.AsSpan());

    internal static bool IsId(ReadOnlySpan<char> value) => value.Length is >= 1 and <= 64 && IdPattern().IsMatch(value);

    /// <summary>R4 date: YYYY, YYYY-MM or YYYY-MM-DD, a real calendar date.</summary>
    public static bool IsDate(string value) => IsDate(value.AsSpan());

    internal static bool IsDate(ReadOnlySpan<char> value) => DatePattern().IsMatch(value) && CalendarValid(value);

    /// <summary>R4 dateTime: a partial or full date, or a date and time with seconds and a time zone.</summary>
    public static bool IsDateTime(string value) => IsDateTime(value.AsSpan());

    internal static bool IsDateTime(ReadOnlySpan<char> value) => DateTimePattern().IsMatch(value) && CalendarValid(value);

    /// <summary>R4 instant: a full date and time with seconds and a time zone.</summary>
    public static bool IsInstant(string value) => IsInstant(value.AsSpan());

    internal static bool IsInstant(ReadOnlySpan<char> value) => InstantPattern().IsMatch(value) && CalendarValid(value);

    public static bool IsTime(string value) => IsTime(value.AsSpan());

    internal static bool IsTime(ReadOnlySpan<char> value) => TimePattern().IsMatch(value);

    /// <summary>R4 code: no leading or trailing whitespace, only single spaces inside.</summary>
    public static bool IsCode(string value) => IsCode(value.AsSpan());

    internal static bool IsCode(ReadOnlySpan<char> value)
    {
        if (value.Length == 0 || char.IsWhiteSpace(value[0]) || char.IsWhiteSpace(value[^1]))
        {
            return false;
        }

        for (var i = 1; i < value.Length; i++)
        {
            if (char.IsWhiteSpace(value[i]) && (value[i] != ' ' || value[i - 1] == ' '))
            {
                return false;
            }
        }

        return true;
    }

    public static bool IsUri(string value) => IsUri(value.AsSpan());

    internal static bool IsUri(ReadOnlySpan<char> value)
    {
        if (value.Length == 0)
        {
            return false;
        }

        // Printable ASCII other than the space holds no white space (a vectorised scan); anything else is checked
        // character by character.
        if (value.IndexOfAnyExceptInRange('!', '~') < 0)
        {
            return true;
        }

        foreach (var c in value)
        {
            if (char.IsWhiteSpace(c))
            {
                return false;
            }
        }

        return true;
    }

    public static bool IsOid(string value) => IsOid(value.AsSpan());

    internal static bool IsOid(ReadOnlySpan<char> value) => OidPattern().IsMatch(value);

    public static bool IsUuid(string value) => IsUuid(value.AsSpan());

    internal static bool IsUuid(ReadOnlySpan<char> value) => UuidPattern().IsMatch(value);

    public static bool IsBase64(string value)
    {
        var buffer = new byte[(value.Length * 3 / 4) + 3];
        return Convert.TryFromBase64String(value, buffer, out _);
    }

    /// <summary>NPI check digit: Luhn over "80840" followed by the first nine digits (CMS NPI standard).</summary>
    public static bool IsNpi(string value)
    {
        if (value.Length != 10 || !value.All(char.IsAsciiDigit))
        {
            return false;
        }

        // Luhn from the right over "80840" + 9 digits; the check digit is the tenth.
        var digits = "80840" + value[..9];
        var sum = 0;
        for (var i = digits.Length - 1; i >= 0; i--)
        {
            var d = digits[i] - '0';
            if ((digits.Length - 1 - i) % 2 == 0)
            {
                d *= 2;
                if (d > 9)
                {
                    d -= 9;
                }
            }

            sum += d;
        }

        var check = (10 - (sum % 10)) % 10;
        return check == value[9] - '0';
    }

    /// <summary>CPT: four digits then a digit or letter (category II/III codes end in F/T).</summary>
    public static bool IsCpt(string code) => IsCpt(code.AsSpan());

    internal static bool IsCpt(ReadOnlySpan<char> code) => CptPattern().IsMatch(code);

    /// <summary>HCPCS Level II: a letter A-V then four digits.</summary>
    public static bool IsHcpcs(string code) => IsHcpcs(code.AsSpan());

    internal static bool IsHcpcs(ReadOnlySpan<char> code) => HcpcsPattern().IsMatch(code);

    /// <summary>ICD-10(-CM): [A-TV-Z][0-9][0-9AB] then an optional dot and up to four characters.</summary>
    public static bool IsIcd10(string code) => IsIcd10(code.AsSpan());

    internal static bool IsIcd10(ReadOnlySpan<char> code) => Icd10Pattern().IsMatch(code);

    /// <summary>The date part of a FHIR date or dateTime when it is a full date; null for partial dates.</summary>
    public static DateOnly? DatePart(string? value) => value is null ? null : DatePart(value.AsSpan());

    internal static DateOnly? DatePart(ReadOnlySpan<char> value) =>
        value.Length >= 10 && TryParseDate(value[..10], out var date)
            ? date
            : null;

    private static bool CalendarValid(ReadOnlySpan<char> value) =>
        value.Length < 10 || TryParseDate(value[..10], out _);

    // "yyyy-MM-dd" as DateOnly.TryParseExact reads it (invariant culture); the common all-digit shape is read
    // directly, anything else goes to the framework parser.
    private static bool TryParseDate(ReadOnlySpan<char> text, out DateOnly date)
    {
        date = default;
        if (text.Length == 10 && text[4] == '-' && text[7] == '-'
            && char.IsAsciiDigit(text[0]) && char.IsAsciiDigit(text[1]) && char.IsAsciiDigit(text[2]) && char.IsAsciiDigit(text[3])
            && char.IsAsciiDigit(text[5]) && char.IsAsciiDigit(text[6]) && char.IsAsciiDigit(text[8]) && char.IsAsciiDigit(text[9]))
        {
            var year = ((text[0] - '0') * 1000) + ((text[1] - '0') * 100) + ((text[2] - '0') * 10) + (text[3] - '0');
            var month = ((text[5] - '0') * 10) + (text[6] - '0');
            var day = ((text[8] - '0') * 10) + (text[9] - '0');
            if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month))
            {
                return false;
            }

            date = new DateOnly(year, month, day);
            return true;
        }

        return DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out date);
    }

    [GeneratedRegex(@"^[A-Za-z0-9\-\.]{1,64}$")]
    private static partial Regex IdPattern();

    [GeneratedRegex(@"^([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1]))?)?$")]
    private static partial Regex DatePattern();

    [GeneratedRegex(@"^([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1])(T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00)))?)?)?$")]
    private static partial Regex DateTimePattern();

    [GeneratedRegex(@"^([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)-(0[1-9]|1[0-2])-(0[1-9]|[1-2][0-9]|3[0-1])T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))$")]
    private static partial Regex InstantPattern();

    [GeneratedRegex(@"^([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?$")]
    private static partial Regex TimePattern();

    [GeneratedRegex(@"^urn:oid:[0-2](\.(0|[1-9][0-9]*))+$")]
    private static partial Regex OidPattern();

    [GeneratedRegex(@"^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")]
    private static partial Regex UuidPattern();

    [GeneratedRegex(@"^[0-9]{4}[0-9A-Z]$")]
    private static partial Regex CptPattern();

    [GeneratedRegex(@"^[A-V][0-9]{4}$")]
    private static partial Regex HcpcsPattern();

    [GeneratedRegex(@"^[A-TV-Z][0-9][0-9AB](\.?[0-9A-TV-Z]{1,4})?$")]
    private static partial Regex Icd10Pattern();
}
