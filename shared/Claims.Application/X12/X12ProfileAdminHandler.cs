using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Claims.Application.Audit;
using Claims.Core.Claims;
using Claims.Core.Fhir;
using Claims.Core.X12;
using Microsoft.Extensions.Logging;

namespace Claims.Application.X12;

/// <summary>What a PUT /x12/profile came to.</summary>
public abstract record X12ProfileSaveResult
{
    private X12ProfileSaveResult()
    {
    }

    public sealed record Saved(TenantOutboundSettings Settings) : X12ProfileSaveResult;

    /// <summary>If-Match names a version that is not current (or another save won): HTTP 412.</summary>
    public sealed record Stale(long CurrentVersion) : X12ProfileSaveResult;

    /// <summary>Not a JSON object: HTTP 400.</summary>
    public sealed record Malformed(OperationOutcome Outcome) : X12ProfileSaveResult;

    /// <summary>Every problem of the profile (unknown or mistyped fields, missing ones, and Professional837's profile problems): HTTP 422.</summary>
    public sealed record Invalid(OperationOutcome Outcome) : X12ProfileSaveResult;
}

/// <summary>
/// The admin side of the tenant's outbound settings (GET/PUT /x12/profile): the outbound format and the X12 submitter
/// profile in one JSON document, versioned (ETag, If-Match), validated with <see cref="Professional837.ValidateProfile"/>,
/// and audited (<c>x12.profile.saved</c>, with the key id that saved it).
/// </summary>
public sealed partial class X12ProfileAdminHandler(
    TenantOutboundSettingsStore store, AuditLog audit, TimeProvider time, ILogger<X12ProfileAdminHandler> logger)
{
    /// <summary>The If-Match value that matches whatever version is current.</summary>
    public const string AnyVersion = "*";

    private static readonly string[] Known =
    [
        "outboundFormat", "senderQualifier", "senderId", "receiverQualifier", "receiverId", "applicationSenderCode", "applicationReceiverCode",
        "testIndicator", "requestInterchangeAcknowledgment", "submitterName", "submitterId", "contactName", "contactPhone", "contactEmail",
        "receiverName", "receiverEtin", "billingProviderTin", "billingProviderAddress", "billingProviderTaxonomy", "defaultClaimFilingIndicator",
    ];

    public async Task<TenantOutboundSettings> GetAsync(TenantId tenant, CancellationToken cancellationToken) =>
        (await store.GetAsync(tenant, cancellationToken).ConfigureAwait(false)).Settings;

    /// <summary>Replaces the settings if one of <paramref name="expectedVersions"/> (or <see cref="AnyVersion"/>) is current.</summary>
    public async Task<X12ProfileSaveResult> SaveAsync(
        TenantId tenant, IReadOnlyCollection<string> expectedVersions, ReadOnlyMemory<byte> body, string keyId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(expectedVersions);
        ArgumentException.ThrowIfNullOrWhiteSpace(keyId);
        var (current, rowETag) = await store.GetAsync(tenant, cancellationToken).ConfigureAwait(false);
        if (!expectedVersions.Contains(AnyVersion) && !expectedVersions.Contains(TenantOutboundSettingsStore.VersionText(current.Version)))
        {
            return new X12ProfileSaveResult.Stale(current.Version);
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException)
        {
            return new X12ProfileSaveResult.Malformed(OperationOutcome.Single("structure", "The body is not valid JSON."));
        }

        OutboundFormat format;
        SubmitterProfile? profile;
        var issues = new List<OutcomeIssue>();
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return new X12ProfileSaveResult.Malformed(OperationOutcome.Single("structure", "The body must be a JSON object with the submitter profile's fields."));
            }

            (format, profile) = Read(document.RootElement, issues);
        }

        if (profile is not null)
        {
            issues.AddRange(ProfileIssues(profile));
        }

        if (issues.Count > 0 || profile is null)
        {
            return new X12ProfileSaveResult.Invalid(new OperationOutcome(issues));
        }

        var saved = await store.TrySaveAsync(tenant, current, rowETag, format, profile, cancellationToken).ConfigureAwait(false);
        if (saved is null)
        {
            var (now, _) = await store.GetAsync(tenant, cancellationToken).ConfigureAwait(false);
            return new X12ProfileSaveResult.Stale(now.Version);
        }

        var details = string.Create(
            CultureInfo.InvariantCulture,
            $"version {saved.Version} replaces {current.Version}: outbound format {format.Name()}, sender {profile.SenderQualifier}:{profile.SenderId}, receiver {profile.ReceiverQualifier}:{profile.ReceiverId}, {(profile.TestIndicator ? "test" : "production")}");
        await audit.AppendAsync(
            new AuditEntry(tenant, time.GetUtcNow(), keyId, null, "x12.profile.saved", "SUCCESS", details),
            "x12-profile-v" + TenantOutboundSettingsStore.VersionText(saved.Version),
            cancellationToken).ConfigureAwait(false);
        Logs.X12ProfileAdminHandlerSaved(logger, tenant.Value, saved.Version, format.Name(), keyId);
        return new X12ProfileSaveResult.Saved(saved);
    }

    /// <summary>The settings as the API shows them (the PUT body's shape; absent fields are null).</summary>
    public static JsonObject ToJson(TenantOutboundSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var json = new JsonObject { ["outboundFormat"] = settings.Format.Name() };
        if (settings.Profile is { } p)
        {
            json["senderQualifier"] = p.SenderQualifier;
            json["senderId"] = p.SenderId;
            json["receiverQualifier"] = p.ReceiverQualifier;
            json["receiverId"] = p.ReceiverId;
            json["applicationSenderCode"] = p.ApplicationSenderCode;
            json["applicationReceiverCode"] = p.ApplicationReceiverCode;
            json["testIndicator"] = p.TestIndicator;
            json["requestInterchangeAcknowledgment"] = p.RequestInterchangeAcknowledgment;
            json["submitterName"] = p.SubmitterName;
            json["submitterId"] = p.SubmitterId;
            json["contactName"] = p.ContactName;
            json["contactPhone"] = p.ContactPhone;
            json["contactEmail"] = p.ContactEmail;
            json["receiverName"] = p.ReceiverName;
            json["receiverEtin"] = p.ReceiverEtin;
            json["billingProviderTin"] = p.BillingProviderTin;
            json["billingProviderAddress"] = p.BillingProviderAddress is { } a
                ? new JsonObject { ["line1"] = a.Line1, ["line2"] = a.Line2, ["city"] = a.City, ["state"] = a.State, ["postalCode"] = a.PostalCode }
                : null;
            json["billingProviderTaxonomy"] = p.BillingProviderTaxonomy;
            json["defaultClaimFilingIndicator"] = p.DefaultClaimFilingIndicator;
        }

        return json;
    }

    private static (OutboundFormat Format, SubmitterProfile? Profile) Read(JsonElement root, List<OutcomeIssue> issues)
    {
        foreach (var property in root.EnumerateObject().Where(p => !Known.Contains(p.Name, StringComparer.Ordinal)))
        {
            issues.Add(OutcomeIssue.Error("invalid", $"Unknown property '{property.Name}'.", property.Name));
        }

        string? Text(string name, bool required = false)
        {
            if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                if (required)
                {
                    issues.Add(OutcomeIssue.Error("required", $"'{name}' is required.", name));
                }

                return null;
            }

            if (value.ValueKind != JsonValueKind.String)
            {
                issues.Add(OutcomeIssue.Error("value", $"'{name}' must be a string.", name));
                return null;
            }

            return value.GetString();
        }

        bool? Flag(string name)
        {
            if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                return null;
            }

            if (value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            {
                issues.Add(OutcomeIssue.Error("value", $"'{name}' must be true or false.", name));
                return null;
            }

            return value.GetBoolean();
        }

        var formatText = Text("outboundFormat");
        var format = OutboundFormat.FhirBundle;
        if (formatText is not null && !OutboundFormats.TryParse(formatText, out format))
        {
            issues.Add(OutcomeIssue.Error(
                "code-invalid", $"'outboundFormat' must be '{OutboundFormats.FhirBundle}', '{OutboundFormats.X12Professional}' or '{OutboundFormats.Both}'.", "outboundFormat"));
        }

        X12Address? address = null;
        if (root.TryGetProperty("billingProviderAddress", out var a) && a.ValueKind != JsonValueKind.Null)
        {
            address = ReadAddress(a, issues);
        }

        var senderId = Text("senderId", required: true);
        var receiverId = Text("receiverId", required: true);
        var submitterName = Text("submitterName", required: true);
        var submitterId = Text("submitterId", required: true);
        var contactName = Text("contactName", required: true);
        var receiverName = Text("receiverName", required: true);
        var profile = new SubmitterProfile
        {
            SenderQualifier = Text("senderQualifier") ?? "ZZ",
            SenderId = senderId ?? string.Empty,
            ReceiverQualifier = Text("receiverQualifier") ?? "ZZ",
            ReceiverId = receiverId ?? string.Empty,
            ApplicationSenderCode = Text("applicationSenderCode"),
            ApplicationReceiverCode = Text("applicationReceiverCode"),
            TestIndicator = Flag("testIndicator") ?? true,
            RequestInterchangeAcknowledgment = Flag("requestInterchangeAcknowledgment") ?? false,
            SubmitterName = submitterName ?? string.Empty,
            SubmitterId = submitterId ?? string.Empty,
            ContactName = contactName ?? string.Empty,
            ContactPhone = Text("contactPhone"),
            ContactEmail = Text("contactEmail"),
            ReceiverName = receiverName ?? string.Empty,
            ReceiverEtin = Text("receiverEtin"),
            BillingProviderTin = Text("billingProviderTin"),
            BillingProviderAddress = address,
            BillingProviderTaxonomy = Text("billingProviderTaxonomy"),
            DefaultClaimFilingIndicator = Text("defaultClaimFilingIndicator") ?? "CI",
        };

        // A missing field is reported once, as required, and not again by the 837P's own profile checks; the
        // profile's other problems are still listed, so one answer names every problem.
        var missing = issues.Where(i => i.Code == "required").Select(i => i.Expression).ToHashSet(StringComparer.Ordinal);
        if (missing.Count == 0)
        {
            return (format, profile);
        }

        issues.AddRange(ProfileIssues(profile).Where(i => !missing.Contains(i.Expression)));
        return (format, null);
    }

    private static IEnumerable<OutcomeIssue> ProfileIssues(SubmitterProfile profile) =>
        Professional837.ValidateProfile(profile).Select(p => OutcomeIssue.Error("invariant", p.Reason, JsonName(p.Element["SubmitterProfile.".Length..])));

    private static X12Address? ReadAddress(JsonElement a, List<OutcomeIssue> issues)
    {
        if (a.ValueKind != JsonValueKind.Object)
        {
            issues.Add(OutcomeIssue.Error("value", "'billingProviderAddress' must be an object (line1, line2, city, state, postalCode).", "billingProviderAddress"));
            return null;
        }

        string? Part(string name, bool required)
        {
            var path = "billingProviderAddress." + name;
            if (!a.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
            {
                if (required)
                {
                    issues.Add(OutcomeIssue.Error("required", $"'{path}' is required.", path));
                }

                return null;
            }

            if (v.ValueKind != JsonValueKind.String || (required && string.IsNullOrWhiteSpace(v.GetString())))
            {
                issues.Add(OutcomeIssue.Error("value", $"'{path}' must be a non-empty string.", path));
                return null;
            }

            return v.GetString();
        }

        var line1 = Part("line1", true);
        var line2 = Part("line2", false);
        var city = Part("city", true);
        var state = Part("state", true);
        var zip = Part("postalCode", true);
        if (state is not null && (state.Length != 2 || !state.All(char.IsAsciiLetterUpper)))
        {
            issues.Add(OutcomeIssue.Error("value", "'billingProviderAddress.state' must be a 2-letter state code.", "billingProviderAddress.state"));
        }

        if (zip is not null && !(zip.Length == 9 && zip.All(char.IsAsciiDigit)))
        {
            issues.Add(OutcomeIssue.Error("value", "'billingProviderAddress.postalCode' must be the 9-digit ZIP+4 (837P 2010AA N403).", "billingProviderAddress.postalCode"));
        }

        return line1 is null || city is null || state is null || zip is null ? null : new X12Address(line1, line2, city, state, zip);
    }

    private static string JsonName(string property) => char.ToLowerInvariant(property[0]) + property[1..];
}
