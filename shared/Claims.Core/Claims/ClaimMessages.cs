using System.Text.Json;
using System.Text.Json.Serialization;

namespace Claims.Core.Claims;

/// <summary>The message on claims-intake: run the rules for this claim. Delivery is at least once; the
/// RulesEngine must treat a repeat as a no-op. <paramref name="Round"/> is the pipeline's evaluation round (1 from
/// intake, one more per reevaluate release); the verdict echoes it so a stale verdict is recognised.</summary>
public sealed record EvaluateClaim(TenantId Tenant, ClaimId Claim, int Round = 1)
{
    public string ToJson() => JsonSerializer.Serialize(new Wire(Tenant.Value, Claim.Value, Round), MessageJson.Default.Wire);

    /// <summary>Reads a message; null when it is not one (the caller fails the invocation so it ends in poison).</summary>
    public static EvaluateClaim? TryParse(string text)
    {
        try
        {
            var wire = JsonSerializer.Deserialize(text, MessageJson.Default.Wire);
            return wire is not null && TenantId.TryParse(wire.Tenant, out var tenant) && ClaimId.TryParse(wire.ClaimId, out var claim)
                ? new EvaluateClaim(tenant, claim, wire.Round < 1 ? 1 : wire.Round)
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    internal sealed record Wire(string Tenant, string ClaimId, int Round = 1);
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(EvaluateClaim.Wire))]
internal sealed partial class MessageJson : JsonSerializerContext;
