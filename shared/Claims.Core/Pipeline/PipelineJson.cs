using System.Text.Json;
using System.Text.Json.Serialization;
using Claims.Core.Claims;

namespace Claims.Core.Pipeline;

/// <summary>
/// JSON of the pipeline state the claim row stores (a table string property, kept well under 64 KiB by
/// <see cref="PipelinePolicy.MaxHistoryEntries"/>).
/// Enums are written as names, times as ISO 8601 with offset. Fields added later must be optional so stored states keep
/// reading.
/// </summary>
public static class PipelineJson
{
    public static string Serialize(PipelineState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return JsonSerializer.Serialize(state, PipelineJsonContext.Default.PipelineState);
    }

    /// <summary>Reads a stored state. Throws <see cref="JsonException"/> when it is not one (corrupt storage is a bug, not an expected failure).</summary>
    public static PipelineState DeserializeState(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        var state = JsonSerializer.Deserialize(json, PipelineJsonContext.Default.PipelineState)
            ?? throw new JsonException("The stored pipeline state is null.");
        if (state.Claim.Value is null)
        {
            throw new JsonException("The stored pipeline state has no claim id.");
        }

        return state;
    }
}

/// <summary>Writes a <see cref="ClaimId"/> as its 32 hex digits and refuses anything else on read.</summary>
public sealed class ClaimIdJsonConverter : JsonConverter<ClaimId>
{
    public override ClaimId Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        ClaimId.TryParse(reader.GetString(), out var id) ? id : throw new JsonException("Not a claim id.");

    public override void Write(Utf8JsonWriter writer, ClaimId value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStringValue(value.Value);
    }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UseStringEnumConverter = true,
    RespectRequiredConstructorParameters = true,
    AllowOutOfOrderMetadataProperties = true,
    Converters = [typeof(ClaimIdJsonConverter)])]
[JsonSerializable(typeof(PipelineState))]
internal sealed partial class PipelineJsonContext : JsonSerializerContext;
