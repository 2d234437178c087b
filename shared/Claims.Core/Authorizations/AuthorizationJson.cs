using System.Buffers;
using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Claims.Core.Fhir;
using Claims.Core.Rules;

namespace Claims.Core.Authorizations;

/// <summary>The result of reading an authorization: the value, or every problem with its JSON path.</summary>
public sealed record AuthorizationReadResult(Authorization? Value, IReadOnlyList<OutcomeIssue> Issues)
{
    public bool IsValid => Value is not null;
}

/// <summary>
/// Reads and writes the authorization resource of docs/API.md. Reading validates everything at once and names
/// each problem's JSON path (<c>cptCodes[1]</c>, <c>expirationDate</c>): required fields, dates in order, units ≥ 0
/// and used ≤ authorized, a well-formed CPT/HCPCS list without duplicates, known statuses, no unknown properties.
/// Diagnostics never quote the values (the patient identifier is PHI).
/// </summary>
public static partial class AuthorizationJson
{
    private const int MaxTextLength = 256;

    private static readonly string[] Statuses =
        [AuthorizationStatuses.Active, AuthorizationStatuses.ExpiringSoon, AuthorizationStatuses.Expired, AuthorizationStatuses.Renewed];

    private static readonly HashSet<string> ApiProperties = new(StringComparer.Ordinal)
    {
        "authNumber", "patientIdentifier", "payer", "serviceType", "cptCodes", "startDate", "expirationDate",
        "unitsAuthorized", "unitsUsed", "unitsRemaining", "status", "reauthLeadTimeDays", "autoReauthEnabled", "lastAlertSent",
    };

    /// <summary>Reads a client's JSON. <c>lastAlertSent</c> and <c>unitsRemaining</c> are read-only and ignored.</summary>
    public static AuthorizationReadResult Read(ReadOnlySpan<byte> json) => Read(json, stored: false);

    /// <summary>Reads what <see cref="WriteStored"/> wrote (also the consumption history).</summary>
    public static Authorization ReadStored(string json)
    {
        var result = Read(System.Text.Encoding.UTF8.GetBytes(json), stored: true);
        return result.Value ?? throw new InvalidOperationException("A stored authorization could not be read: " + string.Join("; ", result.Issues.Select(i => i.Expression + " " + i.Diagnostics)));
    }

    /// <summary>The API representation (docs/API.md) plus the derived unitsRemaining.</summary>
    public static byte[] Write(Authorization authorization) => WriteCore(authorization, stored: false);

    /// <summary>The storage representation: the API fields and the consumption history.</summary>
    public static string WriteStored(Authorization authorization) => System.Text.Encoding.UTF8.GetString(WriteCore(authorization, stored: true));

    /// <summary>Writes one authorization object to <paramref name="writer"/> (for list bodies).</summary>
    public static void WriteTo(Utf8JsonWriter writer, Authorization authorization) => WriteObject(writer, authorization, stored: false);

    private static byte[] WriteCore(Authorization authorization, bool stored)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            WriteObject(writer, authorization, stored);
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteObject(Utf8JsonWriter writer, Authorization a, bool stored)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(a);
        writer.WriteStartObject();
        writer.WriteString("authNumber", a.AuthNumber);
        writer.WriteString("patientIdentifier", a.PatientIdentifier);
        writer.WriteString("payer", a.Payer);
        if (a.ServiceType is null)
        {
            writer.WriteNull("serviceType");
        }
        else
        {
            writer.WriteString("serviceType", a.ServiceType);
        }

        writer.WriteStartArray("cptCodes");
        foreach (var code in a.CptCodes)
        {
            writer.WriteStringValue(code);
        }

        writer.WriteEndArray();
        writer.WriteString("startDate", Date(a.StartDate));
        writer.WriteString("expirationDate", Date(a.ExpirationDate));
        writer.WriteNumber("unitsAuthorized", a.UnitsAuthorized);
        writer.WriteNumber("unitsUsed", a.UnitsUsed);
        if (!stored)
        {
            writer.WriteNumber("unitsRemaining", a.UnitsRemaining);
        }

        writer.WriteString("status", a.Status);
        writer.WriteNumber("reauthLeadTimeDays", a.ReauthLeadTimeDays);
        writer.WriteBoolean("autoReauthEnabled", a.AutoReauthEnabled);
        if (a.LastAlertSent is { } sent)
        {
            writer.WriteString("lastAlertSent", sent.ToString("O", CultureInfo.InvariantCulture));
        }
        else
        {
            writer.WriteNull("lastAlertSent");
        }

        if (stored)
        {
            writer.WriteStartArray("usage");
            foreach (var u in a.Usage)
            {
                writer.WriteStartObject();
                writer.WriteString("date", Date(u.Date));
                writer.WriteNumber("units", u.Units);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        writer.WriteEndObject();
    }

    /// <summary>yyyy-MM-dd.</summary>
    public static string Date(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static AuthorizationReadResult Read(ReadOnlySpan<byte> json, bool stored)
    {
        JsonDocument document;
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 16 });
            document = JsonDocument.ParseValue(ref reader);
        }
        catch (JsonException ex)
        {
            return Fail(OutcomeIssue.Error("structure", Invariant($"The body is not valid JSON (line {(ex.LineNumber ?? 0) + 1}, byte {(ex.BytePositionInLine ?? 0) + 1}).")));
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return Fail(OutcomeIssue.Error("structure", "The body must be a JSON object."));
            }

            var issues = new List<OutcomeIssue>();
            foreach (var property in root.EnumerateObject())
            {
                if (!ApiProperties.Contains(property.Name) && !(stored && property.Name == "usage"))
                {
                    issues.Add(OutcomeIssue.Error("invalid", "Unknown property.", property.Name));
                }
            }

            var number = RequiredText(root, "authNumber", issues);
            if (number is not null && !AuthNumberPattern().IsMatch(number))
            {
                issues.Add(OutcomeIssue.Error("value", "authNumber must be 1-64 letters, digits, '.', '_' or '-'.", "authNumber"));
            }

            var patient = RequiredText(root, "patientIdentifier", issues);
            var payer = RequiredText(root, "payer", issues);
            var serviceType = OptionalText(root, "serviceType", issues);
            var codes = ReadCodes(root, issues);
            var start = RequiredDate(root, "startDate", issues);
            var expiration = RequiredDate(root, "expirationDate", issues);
            if (start is { } s && expiration is { } e && e < s)
            {
                issues.Add(OutcomeIssue.Error("value", "expirationDate must not be before startDate.", "expirationDate"));
            }

            var authorized = ReadUnits(root, "unitsAuthorized", required: true, issues);
            var used = ReadUnits(root, "unitsUsed", required: false, issues) ?? 0m;
            if (authorized is { } max && used > max)
            {
                issues.Add(OutcomeIssue.Error("value", "unitsUsed must not exceed unitsAuthorized.", "unitsUsed"));
            }

            var status = AuthorizationStatuses.Active;
            if (Present(root, "status") is { } statusElement)
            {
                var text = statusElement.ValueKind == JsonValueKind.String ? statusElement.GetString() : null;
                if (text is null || !Statuses.Contains(text, StringComparer.Ordinal))
                {
                    issues.Add(OutcomeIssue.Error("value", "status must be one of ACTIVE, EXPIRING_SOON, EXPIRED, RENEWED.", "status"));
                }
                else
                {
                    status = text;
                }
            }

            var lead = Authorization.DefaultLeadTimeDays;
            if (Present(root, "reauthLeadTimeDays") is { } leadElement)
            {
                if (leadElement.ValueKind != JsonValueKind.Number || !leadElement.TryGetInt32(out lead) || lead is < 0 or > 365)
                {
                    issues.Add(OutcomeIssue.Error("value", "reauthLeadTimeDays must be a whole number from 0 to 365.", "reauthLeadTimeDays"));
                }
            }

            var autoReauth = false;
            if (Present(root, "autoReauthEnabled") is { } autoElement)
            {
                if (autoElement.ValueKind is JsonValueKind.True or JsonValueKind.False)
                {
                    autoReauth = autoElement.GetBoolean();
                }
                else
                {
                    issues.Add(OutcomeIssue.Error("value", "autoReauthEnabled must be true or false.", "autoReauthEnabled"));
                }
            }

            DateTimeOffset? lastAlert = null;
            if (Present(root, "lastAlertSent") is { } alertElement
                && (alertElement.ValueKind != JsonValueKind.String || !alertElement.TryGetDateTimeOffset(out var parsedAlert)))
            {
                issues.Add(OutcomeIssue.Error("value", "lastAlertSent must be null or an ISO 8601 date-time.", "lastAlertSent"));
            }
            else if (stored && Present(root, "lastAlertSent") is { } storedAlert)
            {
                lastAlert = storedAlert.GetDateTimeOffset();
            }

            var usage = stored ? ReadUsage(root, issues) : [];
            if (issues.Count > 0)
            {
                return new AuthorizationReadResult(null, issues);
            }

            return new AuthorizationReadResult(
                new Authorization
                {
                    AuthNumber = number!,
                    PatientIdentifier = patient!,
                    Payer = payer!,
                    ServiceType = serviceType,
                    CptCodes = codes,
                    StartDate = start!.Value,
                    ExpirationDate = expiration!.Value,
                    UnitsAuthorized = authorized!.Value,
                    UnitsUsed = used,
                    Status = status,
                    ReauthLeadTimeDays = lead,
                    AutoReauthEnabled = autoReauth,
                    LastAlertSent = lastAlert,
                    Usage = usage,
                },
                []);
        }
    }

    private static AuthorizationReadResult Fail(OutcomeIssue issue) => new(null, [issue]);

    private static JsonElement? Present(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    private static string? RequiredText(JsonElement root, string name, List<OutcomeIssue> issues)
    {
        if (Present(root, name) is not { } element)
        {
            issues.Add(OutcomeIssue.Error("required", name + " is required.", name));
            return null;
        }

        return Text(element, name, issues, required: true);
    }

    private static string? OptionalText(JsonElement root, string name, List<OutcomeIssue> issues) =>
        Present(root, name) is { } element ? Text(element, name, issues, required: false) : null;

    private static string? Text(JsonElement element, string name, List<OutcomeIssue> issues, bool required)
    {
        if (element.ValueKind != JsonValueKind.String)
        {
            issues.Add(OutcomeIssue.Error("value", name + " must be a string.", name));
            return null;
        }

        var text = element.GetString()!.Trim();
        if (text.Length == 0)
        {
            if (required)
            {
                issues.Add(OutcomeIssue.Error("required", name + " must not be empty.", name));
            }

            return null;
        }

        if (text.Length > MaxTextLength || text.Any(char.IsControl))
        {
            issues.Add(OutcomeIssue.Error("value", Invariant($"{name} must be at most {MaxTextLength} characters without control characters."), name));
            return null;
        }

        return text;
    }

    private static ImmutableArray<string> ReadCodes(JsonElement root, List<OutcomeIssue> issues)
    {
        if (Present(root, "cptCodes") is not { } element)
        {
            issues.Add(OutcomeIssue.Error("required", "cptCodes is required.", "cptCodes"));
            return [];
        }

        if (element.ValueKind != JsonValueKind.Array)
        {
            issues.Add(OutcomeIssue.Error("value", "cptCodes must be an array of CPT/HCPCS codes.", "cptCodes"));
            return [];
        }

        if (element.GetArrayLength() == 0)
        {
            issues.Add(OutcomeIssue.Error("required", "cptCodes must list at least one code.", "cptCodes"));
            return [];
        }

        var codes = ImmutableArray.CreateBuilder<string>();
        var index = 0;
        foreach (var item in element.EnumerateArray())
        {
            var path = Invariant($"cptCodes[{index++}]");
            var code = item.ValueKind == JsonValueKind.String ? item.GetString()!.Trim().ToUpperInvariant() : null;
            if (code is null || !CodePattern().IsMatch(code))
            {
                issues.Add(OutcomeIssue.Error("value", "A code must be a CPT code (5 characters: 4 digits and a digit, F, T or U) or a HCPCS code (a letter and 4 digits).", path));
            }
            else if (codes.Contains(code))
            {
                issues.Add(OutcomeIssue.Error("value", "The code is listed twice.", path));
            }
            else
            {
                codes.Add(code);
            }
        }

        return codes.ToImmutable();
    }

    private static DateOnly? RequiredDate(JsonElement root, string name, List<OutcomeIssue> issues)
    {
        if (Present(root, name) is not { } element)
        {
            issues.Add(OutcomeIssue.Error("required", name + " is required.", name));
            return null;
        }

        if (element.ValueKind == JsonValueKind.String
            && DateOnly.TryParseExact(element.GetString(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            return date;
        }

        issues.Add(OutcomeIssue.Error("value", name + " must be a date (yyyy-MM-dd).", name));
        return null;
    }

    private static decimal? ReadUnits(JsonElement root, string name, bool required, List<OutcomeIssue> issues)
    {
        if (Present(root, name) is not { } element)
        {
            if (required)
            {
                issues.Add(OutcomeIssue.Error("required", name + " is required.", name));
            }

            return null;
        }

        if (element.ValueKind != JsonValueKind.Number || !element.TryGetDecimal(out var units) || units < 0 || units > 1_000_000)
        {
            issues.Add(OutcomeIssue.Error("value", name + " must be a number from 0 to 1000000.", name));
            return null;
        }

        return units;
    }

    private static ImmutableArray<UnitUsage> ReadUsage(JsonElement root, List<OutcomeIssue> issues)
    {
        if (Present(root, "usage") is not { ValueKind: JsonValueKind.Array } element)
        {
            return [];
        }

        var usage = ImmutableArray.CreateBuilder<UnitUsage>();
        foreach (var item in element.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.Object
                && item.TryGetProperty("date", out var date)
                && DateOnly.TryParseExact(date.GetString(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day)
                && item.TryGetProperty("units", out var units)
                && units.TryGetDecimal(out var amount))
            {
                usage.Add(new UnitUsage(day, amount));
            }
            else
            {
                issues.Add(OutcomeIssue.Error("value", "A usage entry must be { date, units }.", "usage"));
            }
        }

        return usage.ToImmutable();
    }

    private static string Invariant(FormattableString text) => FormattableString.Invariant(text);

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex AuthNumberPattern();

    [GeneratedRegex("^([0-9]{4}[0-9FTU]|[A-Z][0-9]{4})$")]
    private static partial Regex CodePattern();
}
