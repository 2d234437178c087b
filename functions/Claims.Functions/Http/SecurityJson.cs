using System.Text.Json.Serialization;
using Claims.Functions.Functions;

namespace Claims.Functions.Http;

/// <summary>Source-generated JSON for the audit and operator bodies.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, PropertyNameCaseInsensitive = true)]
[JsonSerializable(typeof(AuditPageBody))]
[JsonSerializable(typeof(AuditVerifyBody))]
[JsonSerializable(typeof(CreateTenantRequest))]
[JsonSerializable(typeof(TenantBody))]
[JsonSerializable(typeof(IssueKeyRequest))]
[JsonSerializable(typeof(KeyListBody))]
[JsonSerializable(typeof(IssuedKeyBody))]
[JsonSerializable(typeof(SigningSecretBody))]
internal sealed partial class SecurityJson : JsonSerializerContext;
