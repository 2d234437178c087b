using System.Text.Json;
using System.Text.Json.Nodes;
using Claims.Core.Claims;
using Claims.Core.Pipeline;

namespace Claims.Application.Processing;

/// <summary>
/// The message on claims-pipeline: one event for one claim's pipeline, or (with no event) a request from the
/// stuck-claim sweep to resume a claim whose last step may have been cut short.
/// </summary>
public sealed record PipelineMessage(TenantId Tenant, ClaimId Claim, PipelineEvent? Event)
{
    public string ToJson() => new JsonObject
    {
        ["tenant"] = Tenant.Value,
        ["claimId"] = Claim.Value,
        ["event"] = Event is null ? null : JsonNode.Parse(PipelineJson.Serialize(Event)),
        ["resume"] = Event is null,
    }.ToJsonString();

    /// <summary>Reads a message; null when it is not one (the invocation then fails and the message ends in poison).</summary>
    public static PipelineMessage? TryParse(string text)
    {
        try
        {
            if (JsonNode.Parse(text) is not JsonObject node
                || !TenantId.TryParse(node["tenant"]?.GetValue<string>(), out var tenant)
                || !ClaimId.TryParse(node["claimId"]?.GetValue<string>(), out var claim))
            {
                return null;
            }

            if (node["resume"]?.GetValue<bool>() == true)
            {
                return new PipelineMessage(tenant, claim, null);
            }

            return node["event"] is JsonObject eventNode && PipelineJson.TryDeserializeEvent(eventNode.ToJsonString()) is { } @event
                ? new PipelineMessage(tenant, claim, @event)
                : null;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }
}
