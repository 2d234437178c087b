namespace Claims.Core.Rules;

/// <summary>
/// The rule set a new tenant starts with (docs/RULES.md "Starter rule set"): telehealth modifier 95, tags for
/// expiring authorizations and high risk, and holds for ABA services without an active authorization or units,
/// a missing principal diagnosis, payer or member id, rendering NPI, and a malformed billing NPI. It carries its own
/// tests, which it passes.
/// </summary>
public static class StarterRuleSet
{
    /// <summary>The starter rule set as JSON (the document a new tenant's version "1" is saved from).</summary>
    public static ReadOnlySpan<byte> Json => Utf8Text;

    /// <summary>Reads the starter rule set. It is valid by construction (a unit test guards that).</summary>
    public static RuleSetDocument Load()
    {
        var result = RuleSetDocument.Parse(Json);
        if (!result.IsValid)
        {
            throw new InvalidOperationException($"The starter rule set is invalid: {result.Issues[0].Diagnostics} ({result.Issues[0].Expression}).");
        }

        return result.Document!;
    }

    private static ReadOnlySpan<byte> Utf8Text => """
    {
      "rules": [
        {
          "id": "telehealth-modifier-95",
          "name": "Telehealth place of service needs modifier 95",
          "description": "Place of service 02 (telehealth, not in the patient's home) or 10 (in the patient's home).",
          "enabled": true,
          "if": { "field": "item.placeOfService", "op": "in", "value": ["02", "10"] },
          "then": { "actions": [ { "addModifier": "95" } ] }
        },
        {
          "id": "auth-expiring-soon",
          "name": "Tag claims whose authorization expires within 21 days",
          "enabled": true,
          "if": {
            "or": [
              { "field": "authorization.status", "op": "eq", "value": "EXPIRING_SOON" },
              { "field": "authorization.daysToExpiry", "op": "between", "value": [0, 21] }
            ]
          },
          "then": { "actions": [ { "applyTag": "auth-expiring" } ] }
        },
        {
          "id": "high-risk-review",
          "name": "Tag high denial-risk claims for review",
          "enabled": true,
          "if": { "field": "risk.score", "op": "gte", "value": 60 },
          "then": { "actions": [ { "applyTag": "needs-review" } ] }
        },
        {
          "id": "aba-auth-required",
          "name": "ABA services need an active authorization with units left",
          "description": "CPT 97151-97158 (adaptive behavior assessment and treatment).",
          "enabled": true,
          "if": { "field": "item.cpt", "op": "in", "value": ["97151", "97152", "97153", "97154", "97155", "97156", "97157", "97158"] },
          "then": {
            "if": { "field": "authorization.status", "op": "notIn", "value": ["ACTIVE", "EXPIRING_SOON", "RENEWED"] },
            "then": { "actions": [ { "applyTag": "aba" }, { "hold": "ABA services (97151-97158) need an active authorization" } ] },
            "elseIf": [
              {
                "if": { "field": "authorization.unitsRemaining", "op": "lte", "value": 0 },
                "then": { "actions": [ { "applyTag": "aba" }, { "hold": "No units remain on the authorization" } ] }
              }
            ]
          }
        },
        {
          "id": "principal-dx-required",
          "name": "A principal diagnosis is required",
          "enabled": true,
          "if": { "field": "diagnosis.principal", "op": "missing" },
          "then": { "actions": [ { "hold": "No principal diagnosis (sequence 1)" } ] }
        },
        {
          "id": "payer-required",
          "name": "Payer id and member id are required",
          "enabled": true,
          "if": { "or": [ { "field": "payer.id", "op": "missing" }, { "field": "coverage.memberId", "op": "missing" } ] },
          "then": { "actions": [ { "hold": "Payer id or member id is missing" } ] }
        },
        {
          "id": "rendering-npi-required",
          "name": "A rendering provider NPI is required",
          "enabled": true,
          "if": { "field": "rendering.npi", "op": "missing" },
          "then": { "actions": [ { "hold": "Rendering provider NPI is missing" } ] }
        },
        {
          "id": "billing-npi-format",
          "name": "The billing provider NPI is 10 digits",
          "enabled": true,
          "if": {
            "or": [
              { "field": "provider.npi", "op": "missing" },
              { "not": { "field": "provider.npi", "op": "matches", "value": "^[0-9]{10}$" } }
            ]
          },
          "then": { "actions": [ { "hold": "Billing provider NPI is missing or not 10 digits" } ] }
        }
      ],
      "tests": [
        {
          "name": "clean ABA claim with an active authorization passes",
          "claim": {
            "claim.serviceDate": "2026-03-02", "claim.created": "2026-03-03", "patient.birthDate": "2018-04-02",
            "payer.id": "BCBSMA", "coverage.memberId": "XYZ123", "provider.npi": "1234567893", "rendering.npi": "1518967070",
            "diagnosis.principal": "F84.0",
            "items": [ { "cpt": ["97153"], "units": 8, "charge": 480, "placeOfService": ["11"] } ]
          },
          "authorization": { "status": "ACTIVE", "unitsAuthorized": 200, "unitsUsed": 40, "startDate": "2026-01-01", "expirationDate": "2026-06-30" },
          "expect": { "outcome": "PASS", "tagsAbsent": ["Hold", "auth-expiring", "aba"] }
        },
        {
          "name": "ABA without an authorization is held",
          "claim": {
            "claim.serviceDate": "2026-03-02", "claim.created": "2026-03-03",
            "payer.id": "BCBSMA", "coverage.memberId": "XYZ123", "provider.npi": "1234567893", "rendering.npi": "1518967070",
            "diagnosis.principal": "F84.0",
            "items": [ { "cpt": ["97153"], "units": 8, "charge": 480 } ]
          },
          "expect": { "outcome": "HOLD", "heldBy": "aba-auth-required", "tags": ["Hold", "aba"] }
        },
        {
          "name": "ABA with an expired authorization is held",
          "claim": {
            "claim.serviceDate": "2026-03-02", "payer.id": "BCBSMA", "coverage.memberId": "XYZ123",
            "provider.npi": "1234567893", "rendering.npi": "1518967070", "diagnosis.principal": "F84.0",
            "items": [ { "cpt": ["97155"], "units": 4 } ]
          },
          "authorization": { "status": "EXPIRED", "unitsAuthorized": 100, "unitsUsed": 10, "expirationDate": "2026-02-28" },
          "expect": { "outcome": "HOLD", "heldBy": "aba-auth-required" }
        },
        {
          "name": "ABA with no units left is held",
          "claim": {
            "claim.serviceDate": "2026-03-02", "payer.id": "BCBSMA", "coverage.memberId": "XYZ123",
            "provider.npi": "1234567893", "rendering.npi": "1518967070", "diagnosis.principal": "F84.0",
            "items": [ { "cpt": ["97153"], "units": 4 } ]
          },
          "authorization": { "status": "ACTIVE", "unitsAuthorized": 100, "unitsUsed": 100, "expirationDate": "2026-12-31" },
          "expect": { "outcome": "HOLD", "heldBy": "aba-auth-required", "tags": ["aba"] }
        },
        {
          "name": "a claim without a principal diagnosis is held",
          "claim": {
            "claim.serviceDate": "2026-03-02", "payer.id": "AETNA", "coverage.memberId": "W100200",
            "provider.npi": "1234567893", "rendering.npi": "1518967070", "diagnosis.codes": ["F41.1"],
            "items": [ { "cpt": ["90837"], "units": 1, "charge": 180 } ]
          },
          "expect": { "outcome": "HOLD", "heldBy": "principal-dx-required", "tags": ["Hold"] }
        },
        {
          "name": "telehealth psychotherapy gets modifier 95 once",
          "claim": {
            "claim.serviceDate": "2026-03-02", "payer.id": "AETNA", "coverage.memberId": "W100200",
            "provider.npi": "1234567893", "rendering.npi": "1518967070", "diagnosis.principal": "F41.1",
            "items": [ { "cpt": ["90837"], "units": 1, "placeOfService": ["10"] }, { "cpt": ["90785"], "modifiers": ["95"], "placeOfService": ["10"] } ]
          },
          "expect": { "outcome": "PASS", "fields": { "item.modifiers": ["95", "95"] } }
        },
        {
          "name": "office visit gets no telehealth modifier",
          "claim": {
            "claim.serviceDate": "2026-03-02", "payer.id": "AETNA", "coverage.memberId": "W100200",
            "provider.npi": "1234567893", "rendering.npi": "1518967070", "diagnosis.principal": "F41.1",
            "items": [ { "cpt": ["90837"], "units": 1, "placeOfService": ["11"] } ]
          },
          "expect": { "outcome": "PASS", "fields": { "item.modifiers": [] } }
        },
        {
          "name": "an authorization expiring within 21 days is tagged",
          "claim": {
            "claim.serviceDate": "2026-03-02", "payer.id": "BCBSMA", "coverage.memberId": "XYZ123",
            "provider.npi": "1234567893", "rendering.npi": "1518967070", "diagnosis.principal": "F84.0",
            "items": [ { "cpt": ["97153"], "units": 4 } ]
          },
          "authorization": { "status": "ACTIVE", "unitsAuthorized": 100, "unitsUsed": 10, "expirationDate": "2026-03-12" },
          "expect": { "outcome": "PASS", "tags": ["auth-expiring"] }
        },
        {
          "name": "a high risk score is tagged for review",
          "claim": {
            "claim.serviceDate": "2026-03-02", "payer.id": "AETNA", "coverage.memberId": "W100200",
            "provider.npi": "1234567893", "rendering.npi": "1518967070", "diagnosis.principal": "F41.1",
            "items": [ { "cpt": ["90837"], "units": 1 } ], "risk.score": 75
          },
          "expect": { "outcome": "PASS", "tags": ["needs-review"] }
        },
        {
          "name": "a missing member id is held",
          "claim": {
            "claim.serviceDate": "2026-03-02", "payer.id": "AETNA",
            "provider.npi": "1234567893", "rendering.npi": "1518967070", "diagnosis.principal": "F41.1",
            "items": [ { "cpt": ["90837"], "units": 1 } ]
          },
          "expect": { "outcome": "HOLD", "heldBy": "payer-required" }
        },
        {
          "name": "a missing rendering NPI is held",
          "claim": {
            "claim.serviceDate": "2026-03-02", "payer.id": "AETNA", "coverage.memberId": "W100200",
            "provider.npi": "1234567893", "diagnosis.principal": "F41.1",
            "items": [ { "cpt": ["90837"], "units": 1 } ]
          },
          "expect": { "outcome": "HOLD", "heldBy": "rendering-npi-required" }
        },
        {
          "name": "a malformed billing NPI is held",
          "claim": {
            "claim.serviceDate": "2026-03-02", "payer.id": "AETNA", "coverage.memberId": "W100200",
            "provider.npi": "12345", "rendering.npi": "1518967070", "diagnosis.principal": "F41.1",
            "items": [ { "cpt": ["90837"], "units": 1 } ]
          },
          "expect": { "outcome": "HOLD", "heldBy": "billing-npi-format" }
        }
      ]
    }
    """u8;
}
