namespace Claims.Load;

/// <summary>National Provider Identifiers: 10 digits whose last is the Luhn check digit over "80840" + the first 9.</summary>
public static class Npi
{
    /// <summary>A valid NPI built from a 9-digit base (first digit 1 or 2, as CMS issues them).</summary>
    public static string FromBase(int nineDigits)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(nineDigits, 100_000_000);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(nineDigits, 299_999_999);
        var stem = nineDigits.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return stem + CheckDigit(stem);
    }

    /// <summary>True when <paramref name="npi"/> is 10 ASCII digits with a correct check digit.</summary>
    public static bool IsValid(string npi)
    {
        ArgumentNullException.ThrowIfNull(npi);
        return npi.Length == 10 && npi.All(char.IsAsciiDigit) && CheckDigit(npi[..9]) == npi[9];
    }

    private static char CheckDigit(string nineDigits)
    {
        // Luhn over the prefix 80840 and the nine digits, doubling every second digit from the right of the payload.
        var digits = "80840" + nineDigits;
        var sum = 0;
        var doubled = true;
        for (var i = digits.Length - 1; i >= 0; i--, doubled = !doubled)
        {
            var d = digits[i] - '0';
            if (doubled)
            {
                d *= 2;
                if (d > 9)
                {
                    d -= 9;
                }
            }

            sum += d;
        }

        return (char)('0' + ((10 - (sum % 10)) % 10));
    }
}
