using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace Claims.Core.Claims;

/// <summary>A tenant (a practice or billing company). Safe as an Azure Table key: [A-Za-z0-9-]{1,64}.</summary>
public readonly partial record struct TenantId
{
    public string Value { get; }

    private TenantId(string value) => Value = value;

    public static TenantId Parse(string value) =>
        TryParse(value, out var id) ? id : throw new FormatException("A tenant id is 1-64 letters, digits or '-'.");

    public static bool TryParse([NotNullWhen(true)] string? value, out TenantId id)
    {
        id = default;
        if (value is null || !Pattern().IsMatch(value))
        {
            return false;
        }

        id = new TenantId(value);
        return true;
    }

    public override string ToString() => Value;

    [GeneratedRegex("^[A-Za-z0-9-]{1,64}$")]
    private static partial Regex Pattern();
}

/// <summary>A claim's id in this system: 32 lowercase hex digits (a GUID without dashes), also a valid FHIR id.</summary>
public readonly partial record struct ClaimId
{
    public string Value { get; }

    private ClaimId(string value) => Value = value;

    /// <summary>Makes an id from a GUID the caller chose (the domain never calls Guid.NewGuid itself).</summary>
    public static ClaimId From(Guid guid) => new(guid.ToString("N"));

    public static ClaimId Parse(string value) =>
        TryParse(value, out var id) ? id : throw new FormatException("A claim id is 32 lowercase hex digits.");

    public static bool TryParse([NotNullWhen(true)] string? value, out ClaimId id)
    {
        id = default;
        if (value is null || !Pattern().IsMatch(value))
        {
            return false;
        }

        id = new ClaimId(value);
        return true;
    }

    public override string ToString() => Value;

    [GeneratedRegex("^[0-9a-f]{32}$")]
    private static partial Regex Pattern();
}
