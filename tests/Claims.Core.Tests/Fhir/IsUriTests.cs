using Claims.Core.Fhir;

namespace Claims.Core.Tests.Fhir;

/// <summary>FhirFormats.IsUri: not empty and no white space of any kind (ASCII or Unicode).</summary>
public sealed class IsUriTests
{
    [Theory]
    [InlineData("http://hl7.org/fhir/sid/us-npi", true)]
    [InlineData("urn:oid:2.16.840.1.113883.4.4", true)]
    [InlineData("http://example.org/ü", true)]
    [InlineData("", false)]
    [InlineData("http://example.org/a b", false)]
    [InlineData("http://example.org/\t", false)]
    [InlineData("http://example.org/\u00A0", false)]
    [InlineData("http://example.org/\u2003x", false)]
    [InlineData("\nhttp://example.org", false)]
    public void IsUri_Values_NoWhiteSpace(string value, bool expected) => Assert.Equal(expected, FhirFormats.IsUri(value));
}
