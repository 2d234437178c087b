using System.Text;
using System.Text.Json.Nodes;

namespace Claims.Core.Tests.Fhir;

/// <summary>The project's own claim fixtures: a valid professional claim with its resources contained.</summary>
internal static class ClaimFixtures
{
    /// <summary>A valid NPI (check digit 3 by the Luhn rule over 80840 + first nine digits).</summary>
    public const string BillingNpi = "1234567893";

    public const string RenderingNpi = "1245319599";

    public const string ProfessionalClaim = """
        {
          "resourceType": "Claim",
          "id": "prof-1",
          "contained": [
            { "resourceType": "Patient", "id": "pat", "identifier": [
                { "system": "urn:oid:1.2.3", "value": "OTHER-1" },
                { "type": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR" }] },
                  "system": "http://clinic.example.org/mrn", "value": "MRN-42" } ],
              "gender": "female", "birthDate": "1980-02-29", "address": [{ "state": "MA" }] },
            { "resourceType": "Coverage", "id": "cov", "status": "active", "subscriberId": "MEM-7",
              "beneficiary": { "reference": "#pat" }, "payor": [{ "reference": "#payer" }] },
            { "resourceType": "Organization", "id": "payer", "identifier": [{ "system": "http://payers.example.org", "value": "BCBSMA" }],
              "name": "Blue Cross Blue Shield of Massachusetts" },
            { "resourceType": "Organization", "id": "clinic", "identifier": [{ "system": "http://hl7.org/fhir/sid/us-npi", "value": "1234567893" }],
              "name": "Example Clinic" },
            { "resourceType": "Practitioner", "id": "doc", "identifier": [{ "system": "http://hl7.org/fhir/sid/us-npi", "value": "1245319599" }] }
          ],
          "identifier": [{ "system": "http://clinic.example.org/claims", "value": "CLM-1001" }],
          "status": "active",
          "type": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/claim-type", "code": "professional" }] },
          "use": "claim",
          "patient": { "reference": "#pat" },
          "created": "2025-12-02T10:15:00-05:00",
          "provider": { "reference": "#clinic" },
          "priority": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/processpriority", "code": "normal" }] },
          "careTeam": [{ "sequence": 1, "provider": { "reference": "#doc" },
                         "role": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/claimcareteamrole", "code": "primary" }] } }],
          "diagnosis": [
            { "sequence": 1, "diagnosisCodeableConcept": { "coding": [{ "system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "F84.0" }] } },
            { "sequence": 2, "diagnosisCodeableConcept": { "coding": [{ "system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "Z13.41" }] } }
          ],
          "insurance": [{ "sequence": 1, "focal": true, "coverage": { "reference": "#cov" }, "preAuthRef": ["AUTH-1001"] }],
          "item": [
            { "sequence": 1, "careTeamSequence": [1], "diagnosisSequence": [1],
              "productOrService": { "coding": [{ "system": "http://www.ama-assn.org/go/cpt", "code": "97153" }] },
              "servicedDate": "2025-12-01",
              "locationCodeableConcept": { "coding": [{ "system": "https://www.cms.gov/Medicare/Coding/place-of-service-codes/Place_of_Service_Code_Set", "code": "11" }] },
              "quantity": { "value": 8 }, "unitPrice": { "value": 15.00, "currency": "USD" }, "net": { "value": 120.00, "currency": "USD" } },
            { "sequence": 2, "diagnosisSequence": [2],
              "productOrService": { "coding": [{ "system": "http://www.ama-assn.org/go/cpt", "code": "97155" }] },
              "modifier": [{ "coding": [{ "system": "http://www.ama-assn.org/go/cpt", "code": "HN" }] }],
              "servicedPeriod": { "start": "2025-12-01", "end": "2025-12-01" },
              "quantity": { "value": 2 }, "unitPrice": { "value": 30.50, "currency": "USD" }, "net": { "value": 61.00, "currency": "USD" } }
          ],
          "total": { "value": 181.00, "currency": "USD" }
        }
        """;

    public static JsonObject Claim() => JsonNode.Parse(ProfessionalClaim)!.AsObject();

    public static byte[] Bytes(this JsonNode node) => Encoding.UTF8.GetBytes(node.ToJsonString());

    public static byte[] With(Action<JsonObject> change)
    {
        var claim = Claim();
        change(claim);
        return claim.Bytes();
    }

    public static JsonObject Item(this JsonObject claim, int index) => claim["item"]![index]!.AsObject();
}
