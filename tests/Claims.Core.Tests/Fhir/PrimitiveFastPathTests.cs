using System.Globalization;
using System.Text;
using Claims.Core.Fhir;

namespace Claims.Core.Tests.Fhir;

/// <summary>
/// The walk accepts plain ids, codes, uris, full dates and short decimals on the payload's bytes and asks the
/// FhirFormats rules about everything else: both ways must judge every value alike.
/// </summary>
public sealed class PrimitiveFastPathTests
{
    private static readonly DateOnly Today = new(2026, 1, 15);

    public static TheoryData<string> DateCandidates()
    {
        var data = new TheoryData<string>();
        foreach (var year in new[] { "0000", "0001", "1900", "2000", "2023", "2024", "2100", "9999" })
        {
            for (var month = 0; month <= 13; month++)
            {
                for (var day = 0; day <= 32; day += day is > 26 or < 2 ? 1 : 9)
                {
                    data.Add(string.Create(CultureInfo.InvariantCulture, $"{year}-{month:00}-{day:00}"));
                }
            }
        }

        foreach (var odd in new[] { "2025-1-011", "2025/01/01", "2025-01-0a", "202a-01-01", "2025-01-01T", "２０２５-01-01" })
        {
            data.Add(odd);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(DateCandidates))]
    public void IsPlainFullDate_AcceptsOnlyWhatIsDateAccepts(string text)
    {
        var plain = FhirFormats.IsPlainFullDate(Encoding.UTF8.GetBytes(text));

        Assert.Equal(text.Length == 10 && FhirFormats.IsDate(text) && text[4] == '-' && text[7] == '-', plain);
    }

    // Every 5-character string over digits, letters and a few others: the shortcut accepts exactly what IsCpt does.
    [Fact]
    public void IsPlainCpt_AgreesWithIsCpt()
    {
        const string Alphabet = "09AZa .";
        var chars = new char[5];
        for (var n = 0; n < 16807; n++)
        {
            for (int i = 0, rest = n; i < 5; i++, rest /= Alphabet.Length)
            {
                chars[i] = Alphabet[rest % Alphabet.Length];
            }

            var code = new string(chars);
            Assert.True(FhirFormats.IsPlainCpt(Encoding.UTF8.GetBytes(code)) == FhirFormats.IsCpt(code), code);
        }

        Assert.False(FhirFormats.IsPlainCpt("9715"u8));
        Assert.False(FhirFormats.IsPlainCpt("971530"u8));
    }

    // Random strings of length 0-9 over the characters the ICD-10 pattern cares about (fixed seed).
    [Fact]
    public void IsPlainIcd10_AgreesWithIsIcd10()
    {
        const string Alphabet = "ATUVZ09B.a-";
        var random = new Random(20260115);
        for (var n = 0; n < 200_000; n++)
        {
            var code = new string([.. Enumerable.Range(0, random.Next(10)).Select(_ => Alphabet[random.Next(Alphabet.Length)])]);
            Assert.True(FhirFormats.IsPlainIcd10(Encoding.UTF8.GetBytes(code)) == FhirFormats.IsIcd10(code), code);
        }

        foreach (var code in new[] { "F84.0", "F84", "F840", "F84.", "M54.50", "G43.909", "Z00.00", "U07.1", "A0B.1234", "A0B.12345", "a84.0" })
        {
            Assert.True(FhirFormats.IsPlainIcd10(Encoding.UTF8.GetBytes(code)) == FhirFormats.IsIcd10(code), code);
        }
    }

    private static ClaimIntake Read(string find, string replace)
    {
        var json = ClaimFixtures.Claim().ToJsonString();
        Assert.Contains(find, json, StringComparison.Ordinal);
        return FhirIntake.ReadClaim(Encoding.UTF8.GetBytes(json.Replace(find, replace, StringComparison.Ordinal)), Today);
    }

    [Theory]
    [InlineData("\"id\":\"prof-1\"", "\"id\":\"A-b.9-0123456789012345678901234567890123456789012345678901234567\"", null)]
    [InlineData("\"id\":\"prof-1\"", "\"id\":\"A-b.9-01234567890123456789012345678901234567890123456789012345678\"", "Claim.id")]
    [InlineData("\"id\":\"prof-1\"", "\"id\":\"prof\\u002d1\"", null)]
    [InlineData("\"id\":\"prof-1\"", "\"id\":\"prof 1\"", "Claim.id")]
    [InlineData("\"code\":\"97155\"", "\"code\":\"97155  x\"", "Claim.item[1].productOrService.coding[0].code")]
    [InlineData("\"code\":\"HN\"", "\"code\":\"H N\"", null)]
    [InlineData("\"code\":\"HN\"", "\"code\":\"H  N\"", "Claim.item[1].modifier[0].coding[0].code")]
    [InlineData("\"code\":\"HN\"", "\"code\":\"H\\tN\"", "Claim.item[1].modifier[0].coding[0].code")]
    [InlineData("\"code\":\"HN\"", "\"code\":\" HN\"", "Claim.item[1].modifier[0].coding[0].code")]
    [InlineData("\"code\":\"HN\"", "\"code\":\"HÑ\"", null)]
    [InlineData("\"birthDate\":\"1980-02-29\"", "\"birthDate\":\"1981-02-29\"", "Claim.contained[0].birthDate")]
    [InlineData("\"birthDate\":\"1980-02-29\"", "\"birthDate\":\"1980-02\"", null)]
    [InlineData("\"birthDate\":\"1980-02-29\"", "\"birthDate\":\"1980\\u002d02-29\"", null)]
    [InlineData("\"birthDate\":\"1980-02-29\"", "\"birthDate\":\"0000-02-29\"", "Claim.contained[0].birthDate")]
    [InlineData("\"value\":8}", "\"value\":8.0000000000000000000000000}", null)]
    [InlineData("\"value\":8}", "\"value\":80000000000000000000000000000}", "Claim.item[0].quantity.value")]
    [InlineData("\"value\":8}", "\"value\":8e28}", "Claim.item[0].quantity.value")]
    [InlineData("\"value\":8}", "\"value\":8e2}", null)]
    public void ReadClaim_PrimitiveValue_JudgedAsTheFormatRulesDo(string find, string replace, string? badExpression)
    {
        var result = Read(find, replace);

        var lexical = result.Outcome.Issues.Where(i => i.Code == "value").Select(i => i.Expression).ToList();
        if (badExpression is null)
        {
            Assert.Empty(lexical);
        }
        else
        {
            Assert.Equal([badExpression], lexical);
        }
    }
}
