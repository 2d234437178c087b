using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace Claims.Storage.Rest;

/// <summary>Entity (de)serialization in the Table service's JSON with odata.type annotations.</summary>
internal static class TableJson
{
    private const int MaxKeyChars = 512; // keys are at most 1 KiB of UTF-16
    private const int MaxStringChars = 32 * 1024; // string properties are at most 64 KiB of UTF-16
    private const int MaxBinaryBytes = 64 * 1024;
    private const int MaxProperties = 252; // 255 including PartitionKey, RowKey and Timestamp
    private const int MaxEntityBytes = 1024 * 1024;

    /// <summary>Refuses what the service would refuse, before any request (Azurite is more lenient).</summary>
    public static void Validate(TableEntity entity)
    {
        ArgumentNullException.ThrowIfNull(entity);
        ValidateKey(entity.PartitionKey, "PartitionKey");
        ValidateKey(entity.RowKey, "RowKey");
        if (entity.Properties.Count > MaxProperties)
        {
            throw new ArgumentException($"An entity has at most {MaxProperties} properties besides the keys.", nameof(entity));
        }

        // Size as the service counts it ("Understanding the Table service data model": UTF-16 strings, 8 bytes per property name overhead).
        long size = 4 + (entity.PartitionKey.Length * 2L) + (entity.RowKey.Length * 2L);
        foreach (var (name, value) in entity.Properties)
        {
            if (name.Length > 255 || !IsIdentifier(name))
            {
                throw new ArgumentException($"Property names are C#-style identifiers of at most 255 characters; '{(name.Length > 40 ? name[..40] : name)}' is not.", nameof(entity));
            }

            size += 8 + (name.Length * 2L) + value switch
            {
                string text => 4 + (text.Length * 2L),
                byte[] bytes => 4 + bytes.Length,
                bool => 1,
                int => 4,
                Guid => 16,
                _ => 8,
            };

            if (value is string s && s.Length > MaxStringChars)
            {
                throw new ArgumentException($"Property '{name}' is longer than 64 KiB; store it in a blob.", nameof(entity));
            }

            if (value is byte[] b && b.Length > MaxBinaryBytes)
            {
                throw new ArgumentException($"Property '{name}' is larger than 64 KiB; store it in a blob.", nameof(entity));
            }
        }

        if (size > MaxEntityBytes)
        {
            throw new ArgumentException("The entity is larger than 1 MiB; store large values in a blob.", nameof(entity));
        }
    }

    private static bool IsIdentifier(string name) =>
        name.Length > 0
        && (char.IsLetter(name[0]) || name[0] == '_')
        && name.All(c => char.IsLetterOrDigit(c) || c == '_');

    public static void ValidateKey(string key, string which)
    {
        ArgumentNullException.ThrowIfNull(key, which);
        if (key.Length > MaxKeyChars)
        {
            throw new ArgumentException($"{which} is longer than 1 KiB.", which);
        }

        foreach (var c in key)
        {
            if (c is '/' or '\\' or '#' or '?' || char.IsControl(c))
            {
                throw new ArgumentException($"{which} contains a character the Table service forbids (/ \\ # ? or a control character).", which);
            }
        }
    }

    public static byte[] Serialize(TableEntity entity)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            WriteEntity(writer, entity);
        }

        return buffer.WrittenSpan.ToArray();
    }

    public static void WriteEntity(Utf8JsonWriter writer, TableEntity entity)
    {
        writer.WriteStartObject();
        writer.WriteString("PartitionKey", entity.PartitionKey);
        writer.WriteString("RowKey", entity.RowKey);
        foreach (var (name, value) in entity.Properties)
        {
            switch (value)
            {
                case string s:
                    writer.WriteString(name, s);
                    break;
                case int i:
                    writer.WriteNumber(name, i);
                    break;
                case long l:
                    writer.WriteString(name + "@odata.type", "Edm.Int64");
                    writer.WriteString(name, l.ToString(CultureInfo.InvariantCulture));
                    break;
                case double d:
                    writer.WriteString(name + "@odata.type", "Edm.Double");
                    if (double.IsNaN(d))
                    {
                        writer.WriteString(name, "NaN");
                    }
                    else if (double.IsInfinity(d))
                    {
                        writer.WriteString(name, d > 0 ? "Infinity" : "-Infinity");
                    }
                    else
                    {
                        writer.WriteNumber(name, d);
                    }

                    break;
                case bool b:
                    writer.WriteBoolean(name, b);
                    break;
                case DateTimeOffset dto:
                    writer.WriteString(name + "@odata.type", "Edm.DateTime");
                    writer.WriteString(name, FormatDate(dto));
                    break;
                case Guid g:
                    writer.WriteString(name + "@odata.type", "Edm.Guid");
                    writer.WriteString(name, g.ToString("D"));
                    break;
                case byte[] bytes:
                    writer.WriteString(name + "@odata.type", "Edm.Binary");
                    writer.WriteString(name, Convert.ToBase64String(bytes));
                    break;
                default:
                    throw new ArgumentException($"Property '{name}' has an unsupported type.", nameof(entity));
            }
        }

        writer.WriteEndObject();
    }

    public static string FormatDate(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    public static TableEntity ReadEntity(JsonElement element)
    {
        string? pk = null, rk = null, etag = null;
        DateTimeOffset? timestamp = null;
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var prop in element.EnumerateObject())
        {
            if (prop.Name.EndsWith("@odata.type", StringComparison.Ordinal) && prop.Value.ValueKind == JsonValueKind.String)
            {
                types[prop.Name[..^"@odata.type".Length]] = prop.Value.GetString()!;
            }
        }

        var values = new List<(string Name, object Value)>();
        foreach (var prop in element.EnumerateObject())
        {
            var name = prop.Name;
            if (name.Contains('@', StringComparison.Ordinal))
            {
                continue;
            }

            switch (name)
            {
                case "odata.etag":
                    etag = prop.Value.GetString();
                    continue;
                case "PartitionKey":
                    pk = prop.Value.GetString();
                    continue;
                case "RowKey":
                    rk = prop.Value.GetString();
                    continue;
                case "Timestamp":
                    timestamp = ParseDate(prop.Value.GetString()!);
                    continue;
            }

            if (name.StartsWith("odata.", StringComparison.Ordinal) || prop.Value.ValueKind == JsonValueKind.Null)
            {
                continue;
            }

            values.Add((name, ReadValue(prop.Value, types.GetValueOrDefault(name))));
        }

        if (pk is null || rk is null)
        {
            throw new StorageRequestException(200, null, "Table response entity has no PartitionKey or RowKey.");
        }

        var entity = new TableEntity(pk, rk) { ETag = etag, Timestamp = timestamp };
        foreach (var (name, value) in values)
        {
            entity[name] = value;
        }

        return entity;
    }

    private static object ReadValue(JsonElement value, string? type)
    {
        switch (type)
        {
            case "Edm.Int64":
                return value.ValueKind == JsonValueKind.String
                    ? long.Parse(value.GetString()!, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture)
                    : value.GetInt64();
            case "Edm.Int32":
                return value.GetInt32();
            case "Edm.Double":
                return value.ValueKind == JsonValueKind.String
                    ? value.GetString() switch
                    {
                        "NaN" => double.NaN,
                        "Infinity" => double.PositiveInfinity,
                        "-Infinity" => double.NegativeInfinity,
                        var s => double.Parse(s!, NumberStyles.Float, CultureInfo.InvariantCulture),
                    }
                    : value.GetDouble();
            case "Edm.DateTime":
                return ParseDate(value.GetString()!);
            case "Edm.Guid":
                return Guid.Parse(value.GetString()!, CultureInfo.InvariantCulture);
            case "Edm.Binary":
                return Convert.FromBase64String(value.GetString()!);
            case "Edm.Boolean":
                return value.GetBoolean();
            case "Edm.String":
                return value.GetString()!;
        }

        return value.ValueKind switch
        {
            JsonValueKind.String => value.GetString()!,
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.Number when value.TryGetInt32(out var i) => i,
            JsonValueKind.Number => value.GetDouble(),
            _ => throw new StorageRequestException(200, null, "Table response has a property of an unsupported JSON kind."),
        };
    }

    private static DateTimeOffset ParseDate(string text) =>
        DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
}
