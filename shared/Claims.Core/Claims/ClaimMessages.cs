using System.Text.Json;
using System.Text.Json.Serialization;

namespace Claims.Core.Claims;

/// <summary>The message on claims-intake: run the rules for this claim. Delivery is at least once; the
/// RulesEngine must treat a repeat as a no-op. <paramref name="Round"/> is the pipeline's evaluation round (1 from
/// intake, one more per reevaluate release); the verdict echoes it so a stale verdict is recognised.
/// <paramref name="Row"/>: intake's snapshot of the claim row it just wrote, ETag included (opaque here; see
/// ClaimRepository.Snapshot), so the engine can start from it instead of reading the row; the ETag makes a stale
/// snapshot harmless.</summary>
public sealed record EvaluateClaim(TenantId Tenant, ClaimId Claim, int Round = 1, string? Row = null)
{
    public string ToJson() => JsonSerializer.Serialize(new Wire(Tenant.Value, Claim.Value, Round, Row), MessageJson.Default.Wire);

    /// <summary>Reads a message; null when it is not one (the caller fails the invocation so it ends in poison).</summary>
    public static EvaluateClaim? TryParse(string text)
    {
        try
        {
            var wire = JsonSerializer.Deserialize(text, MessageJson.Default.Wire);
            return wire is not null && TenantId.TryParse(wire.Tenant, out var tenant) && ClaimId.TryParse(wire.ClaimId, out var claim)
                ? new EvaluateClaim(tenant, claim, wire.Round < 1 ? 1 : wire.Round, wire.Row)
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    internal sealed record Wire(
        string Tenant,
        string ClaimId,
        int Round = 1,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Row = null);
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(EvaluateClaim.Wire))]
internal sealed partial class MessageJson : JsonSerializerContext;
