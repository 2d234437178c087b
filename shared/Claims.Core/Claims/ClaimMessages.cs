using System.Text.Json;
using System.Text.Json.Serialization;

namespace Claims.Core.Claims;

/// <summary>The message on claims-intake: run the rules for this claim. Delivery is at least once; the
/// RulesEngine must treat a repeat as a no-op.</summary>
public sealed record EvaluateClaim(TenantId Tenant, ClaimId Claim)
{
    public string ToJson() => JsonSerializer.Serialize(new Wire(Tenant.Value, Claim.Value), MessageJson.Default.Wire);

    /// <summary>Reads a message; null when it is not one (the caller fails the invocation so it ends in poison).</summary>
    public static EvaluateClaim? TryParse(string text)
    {
        try
        {
            var wire = JsonSerializer.Deserialize(text, MessageJson.Default.Wire);
            return wire is not null && TenantId.TryParse(wire.Tenant, out var tenant) && ClaimId.TryParse(wire.ClaimId, out var claim)
                ? new EvaluateClaim(tenant, claim)
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    internal sealed record Wire(string Tenant, string ClaimId);
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(EvaluateClaim.Wire))]
internal sealed partial class MessageJson : JsonSerializerContext;
