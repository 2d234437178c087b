using System.Globalization;
using System.Text.Json;

namespace Claims.Functions.Hosting;

/// <summary>
/// Reads the Functions host's custom-handler request payload (<c>{ "Data": ..., "Metadata": ... }</c>). The host
/// encodes trigger values loosely: a queue message arrives as a JSON string, sometimes JSON-encoded twice
/// (the host serializes the string value before it serializes the payload), or as the JSON object itself; metadata
/// values such as DequeueCount arrive as numbers or as strings. Every form reads to the same message text.
/// </summary>
internal static class InvocationPayload
{
    /// <summary>The queue message and its metadata; null when <c>Data.&lt;binding&gt;</c> is missing.</summary>
    public static QueueInvocation? ReadQueue(JsonElement payload, string bindingName)
    {
        if (Property(payload, "Data") is not { } data || Property(data, bindingName) is not { } value)
        {
            return null;
        }

        var metadata = Property(payload, "Metadata");
        var id = metadata is { } m ? Text(Property(m, "Id")) : null;
        var dequeueCount = metadata is { } m2 && long.TryParse(Text(Property(m2, "DequeueCount")), NumberStyles.Integer, CultureInfo.InvariantCulture, out var count)
            ? count
            : 1;
        var inserted = metadata is { } m3 ? Time(Text(Property(m3, "InsertionTime"))) : null;
        return new QueueInvocation(string.IsNullOrEmpty(id) ? "(no id)" : id, Text(value) ?? string.Empty, dequeueCount, inserted);
    }

    /// <summary>The timer occurrence: ScheduleStatus.Next is the occurrence being run (the host advances it after the
    /// run); without a schedule status (the host keeps none yet) the invocation time stands in.</summary>
    public static TimerInvocation ReadTimer(JsonElement payload, string bindingName, DateTimeOffset now)
    {
        var timer = Property(payload, "Data") is { } data ? Property(data, bindingName) : null;
        if (timer is { ValueKind: JsonValueKind.String } encoded && Text(encoded) is { } json)
        {
            try
            {
                using var doc = JsonDocument.Parse(json);
                return ReadTimerInfo(doc.RootElement.Clone(), now);
            }
            catch (JsonException)
            {
                return new TimerInvocation(now, false);
            }
        }

        return timer is { ValueKind: JsonValueKind.Object } info ? ReadTimerInfo(info, now) : new TimerInvocation(now, false);
    }

    private static TimerInvocation ReadTimerInfo(JsonElement info, DateTimeOffset now)
    {
        var pastDue = Property(info, "IsPastDue") is { } flag
            && (flag.ValueKind == JsonValueKind.True || string.Equals(Text(flag), "true", StringComparison.OrdinalIgnoreCase));
        var next = Property(info, "ScheduleStatus") is { ValueKind: JsonValueKind.Object } status ? Time(Text(Property(status, "Next"))) : null;

        // A default (year 1) or future "Next" is not an occurrence that is due now.
        var scheduledAt = next is { } n && n.Year > 1 && n <= now.AddMinutes(1) ? n : now;
        return new TimerInvocation(scheduledAt, pastDue);
    }

    /// <summary>A property by name, ignoring case (the host writes PascalCase; a hand-made payload may not).</summary>
    private static JsonElement? Property(JsonElement element, string name)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        foreach (var property in element.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return property.Value.ValueKind == JsonValueKind.Null ? null : property.Value;
            }
        }

        return null;
    }

    /// <summary>The value as text: strings are unwrapped as long as they hold a JSON string literal; objects, arrays and
    /// numbers are their JSON text.</summary>
    private static string? Text(JsonElement? element)
    {
        if (element is not { } value)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            return value.GetRawText();
        }

        var text = value.GetString()!;
        for (var depth = 0; depth < 4 && text.Length >= 2 && text[0] == '"' && text[^1] == '"'; depth++)
        {
            try
            {
                text = JsonSerializer.Deserialize(text, InvocationPayloadJson.Default.String) ?? text;
            }
            catch (JsonException)
            {
                break;
            }
        }

        return text;
    }

    private static DateTimeOffset? Time(string? text) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time)
            ? time
            : null;
}

[System.Text.Json.Serialization.JsonSerializable(typeof(string))]
internal sealed partial class InvocationPayloadJson : System.Text.Json.Serialization.JsonSerializerContext;
