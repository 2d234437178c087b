using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Serialization;
using Claims.Core.Claims;

namespace Claims.Core.Pipeline;

/// <summary>
/// JSON for what the runner stores and sends: the state (a table string property, kept well under 64 KiB by
/// <see cref="PipelinePolicy.MaxHistoryEntries"/>), the outbox of commands, and events on <c>claims-pipeline</c>.
/// Enums are written as names, times as ISO 8601 with offset, events and commands with a <c>$event</c> /
/// <c>$command</c> discriminator. Fields added later must be optional so stored states keep reading.
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

    public static string Serialize(PipelineEvent @event)
    {
        ArgumentNullException.ThrowIfNull(@event);
        return JsonSerializer.Serialize(@event, PipelineJsonContext.Default.PipelineEvent);
    }

    /// <summary>Reads a queue message; null when it is not a pipeline event (the runner sends those to poison).</summary>
    public static PipelineEvent? TryDeserializeEvent(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            return JsonSerializer.Deserialize(json, PipelineJsonContext.Default.PipelineEvent);
        }
        catch (JsonException)
        {
            return null;
        }
        catch (NotSupportedException)
        {
            // System.Text.Json raises this for a missing or unknown $event discriminator.
            return null;
        }
    }

    public static string Serialize(ImmutableArray<PipelineCommand> commands) =>
        JsonSerializer.Serialize(commands, PipelineJsonContext.Default.ImmutableArrayPipelineCommand);

    /// <summary>Reads a stored outbox. Throws <see cref="JsonException"/> when it is not one.</summary>
    public static ImmutableArray<PipelineCommand> DeserializeCommands(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        var commands = JsonSerializer.Deserialize(json, PipelineJsonContext.Default.ImmutableArrayPipelineCommand);
        return commands.IsDefault ? throw new JsonException("The stored outbox is null.") : commands;
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
[JsonSerializable(typeof(PipelineEvent))]
[JsonSerializable(typeof(ImmutableArray<PipelineCommand>))]
internal sealed partial class PipelineJsonContext : JsonSerializerContext;
