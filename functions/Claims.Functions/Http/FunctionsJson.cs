using System.Text.Json.Serialization;
using Claims.Functions.Functions;

namespace Claims.Functions.Http;

/// <summary>Source-generated JSON for the app's own (non-FHIR) response bodies.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(AcceptedBody))]
[JsonSerializable(typeof(HealthBody))]
internal sealed partial class FunctionsJson : JsonSerializerContext;
