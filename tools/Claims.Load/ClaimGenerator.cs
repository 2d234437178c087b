using System.Globalization;
using System.Text.Json.Nodes;

namespace Claims.Load;

/// <summary>One generated claim: the FHIR JSON and the identifier value it carries (its idempotency key).</summary>
public sealed record GeneratedClaim(string Identifier, string PatientMrn, string Payer, bool IsAba, JsonObject Claim)
{
    /// <summary>The Claim as UTF-8 JSON, as an EHR would post it to /api/fhir/Claim.</summary>
    public byte[] ToUtf8() => System.Text.Encoding.UTF8.GetBytes(Claim.ToJsonString());
}

/// <summary>
/// Generates realistic, valid FHIR R4 professional Claims from templates modelled on samples/aba-therapy-claim.json:
/// varied payers, patients, billing and rendering providers (NPIs with a valid Luhn check digit), ICD-10 diagnoses,
/// CPT codes including ABA 97151–97158, places of service (telehealth ones make the starter rules add modifier 95),
/// units, prices and service dates in the 60 days before <c>today</c>. Deterministic for a given seed.
/// </summary>
public sealed class ClaimGenerator
{
    private static readonly (string Id, string Name)[] Payers =
    [
        ("BCBSMA", "Blue Cross Blue Shield of Massachusetts"), ("AETNA", "Aetna"), ("UHC", "UnitedHealthcare"),
        ("CIGNA", "Cigna"), ("MASSHEALTH", "MassHealth"), ("TUFTS", "Tufts Health Plan"), ("HPHC", "Harvard Pilgrim"),
    ];

    private static readonly (string Code, string Display, decimal Price, int MaxUnits)[] AbaCodes =
    [
        ("97151", "Behavior identification assessment, per 15 minutes", 32.50m, 32),
        ("97152", "Behavior identification supporting assessment, per 15 minutes", 20.00m, 16),
        ("97153", "Adaptive behavior treatment by protocol, per 15 minutes", 18.75m, 40),
        ("97154", "Group adaptive behavior treatment by protocol, per 15 minutes", 9.50m, 24),
        ("97155", "Adaptive behavior treatment with protocol modification, per 15 minutes", 31.25m, 16),
        ("97156", "Family adaptive behavior treatment guidance, per 15 minutes", 28.00m, 8),
        ("97157", "Multiple-family group adaptive behavior treatment guidance, per 15 minutes", 12.00m, 8),
        ("97158", "Group adaptive behavior treatment with protocol modification, per 15 minutes", 14.00m, 12),
    ];

    private static readonly (string Code, string Display, decimal Price, int MaxUnits)[] OtherCodes =
    [
        ("90837", "Psychotherapy, 60 minutes", 145.00m, 1),
        ("90834", "Psychotherapy, 45 minutes", 110.00m, 1),
        ("99213", "Office visit, established patient, low complexity", 92.00m, 1),
        ("99214", "Office visit, established patient, moderate complexity", 131.00m, 1),
        ("92507", "Treatment of speech, language, voice, communication disorder", 78.00m, 1),
        ("97110", "Therapeutic exercises, per 15 minutes", 31.00m, 4),
        ("97530", "Therapeutic activities, per 15 minutes", 34.00m, 4),
    ];

    private static readonly (string Code, string Display)[] Diagnoses =
    [
        ("F84.0", "Autistic disorder"), ("F84.5", "Asperger's syndrome"), ("F90.0", "ADHD, predominantly inattentive type"),
        ("F41.1", "Generalized anxiety disorder"), ("F32.9", "Major depressive disorder, single episode"),
        ("F80.2", "Mixed receptive-expressive language disorder"), ("M54.50", "Low back pain, unspecified"), ("R48.8", "Other symbolic dysfunctions"),
    ];

    private static readonly string[] Given = ["Alex", "Sam", "Jordan", "Riley", "Taylor", "Morgan", "Casey", "Jamie", "Avery", "Quinn", "Rowan", "Emerson"];
    private static readonly string[] Family = ["Sample", "Nguyen", "Garcia", "Smith", "Okafor", "Kowalski", "Haddad", "Silva", "Cohen", "Ibrahim", "Larsen", "Moreau"];
    private static readonly string[] Places = ["12", "12", "11", "11", "03", "02", "10"];
    private static readonly string[] Cities = ["Boston|MA|02110", "Worcester|MA|01608", "Springfield|MA|01103", "Providence|RI|02903", "Nashua|NH|03060"];

    private readonly Random random;
    private readonly DateOnly today;
    private readonly string runId;
    private readonly int patients;
    private long sequence;

    /// <param name="seed">Random seed; the same seed, run id and date give the same claims.</param>
    /// <param name="today">The date the app will validate against (no service date after it).</param>
    /// <param name="runId">Makes identifiers unique per run so repeated runs against one storage do not collide.</param>
    /// <param name="patients">How many distinct patients the claims spread over.</param>
    public ClaimGenerator(int seed, DateOnly today, string runId, int patients = 200)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(runId);
        ArgumentOutOfRangeException.ThrowIfLessThan(patients, 1);
        random = new Random(seed);
        this.today = today;
        this.runId = runId;
        this.patients = patients;
    }

    /// <summary>Share of claims with ABA services (0..1).</summary>
    public double AbaShare { get; init; } = 0.6;

    /// <summary>The next claim. Thread-safe.</summary>
    public GeneratedClaim Next()
    {
        lock (random)
        {
            return Build(++sequence);
        }
    }

    /// <summary>A patient's MRN (also the key of the authorization the load tool may create for the patient).</summary>
    public static string Mrn(int patient) => string.Create(CultureInfo.InvariantCulture, $"MRN-{patient:D5}");

    private GeneratedClaim Build(long seq)
    {
        var patient = random.Next(1, patients + 1);
        var mrn = Mrn(patient);
        var (payerId, payerName) = Payers[patient % Payers.Length];
        var isAba = random.NextDouble() < AbaShare;
        var codes = isAba ? AbaCodes : OtherCodes;
        var end = today.AddDays(-random.Next(1, 45));
        var start = end.AddDays(-random.Next(0, 6));
        var place = Places[random.Next(Places.Length)];
        var billingNpi = Npi.FromBase(124_000_000 + (patient % 37 * 7919));
        var renderingNpi = Npi.FromBase(155_000_000 + (patient % 53 * 104_729));
        var city = Cities[patient % Cities.Length].Split('|');
        var birth = new DateOnly(2006 + (patient % 17), 1 + (patient % 12), 1 + (patient % 28));

        var diagnosisCount = random.Next(1, 3);
        var diagnoses = new JsonArray();
        var used = new HashSet<string>(StringComparer.Ordinal);
        for (var d = 1; diagnoses.Count < diagnosisCount; d++)
        {
            var (code, display) = isAba && d == 1 ? Diagnoses[random.Next(2)] : Diagnoses[random.Next(Diagnoses.Length)];
            if (!used.Add(code))
            {
                continue;
            }

            diagnoses.Add(new JsonObject
            {
                ["sequence"] = diagnoses.Count + 1,
                ["diagnosisCodeableConcept"] = Coding("http://hl7.org/fhir/sid/icd-10-cm", code, display),
            });
        }

        var items = new JsonArray();
        decimal total = 0;
        var itemCount = random.Next(1, 5);
        for (var i = 1; i <= itemCount; i++)
        {
            var (code, display, price, maxUnits) = codes[random.Next(codes.Length)];
            var units = random.Next(1, maxUnits + 1);
            var net = price * units;
            total += net;
            var item = new JsonObject
            {
                ["sequence"] = i,
                ["careTeamSequence"] = new JsonArray(1),
                ["diagnosisSequence"] = new JsonArray(1 + random.Next(diagnoses.Count)),
                ["productOrService"] = Coding("http://www.ama-assn.org/go/cpt", code, display),
            };
            var served = start.AddDays(random.Next(0, end.DayNumber - start.DayNumber + 1));
            if (random.Next(2) == 0)
            {
                item["servicedDate"] = Date(served);
            }
            else
            {
                item["servicedPeriod"] = new JsonObject { ["start"] = Date(start), ["end"] = Date(end) };
            }

            item["locationCodeableConcept"] = Coding("https://www.cms.gov/Medicare/Coding/place-of-service-codes/Place_of_Service_Code_Set", place, null);
            item["quantity"] = new JsonObject { ["value"] = units };
            item["unitPrice"] = Money(price);
            item["net"] = Money(net);
            items.Add(item);
        }

        var identifier = string.Create(CultureInfo.InvariantCulture, $"CLM-{runId}-{seq:D7}");
        var claim = new JsonObject
        {
            ["resourceType"] = "Claim",
            ["id"] = string.Create(CultureInfo.InvariantCulture, $"load-{runId}-{seq}"),
            ["contained"] = new JsonArray(
                new JsonObject
                {
                    ["resourceType"] = "Patient",
                    ["id"] = "patient",
                    ["identifier"] = new JsonArray(new JsonObject
                    {
                        ["type"] = Coding("http://terminology.hl7.org/CodeSystem/v2-0203", "MR", null),
                        ["system"] = "urn:oid:2.16.840.1.113883.19.5",
                        ["value"] = mrn,
                    }),
                    ["name"] = new JsonArray(new JsonObject { ["family"] = Family[patient % Family.Length], ["given"] = new JsonArray(Given[patient / 3 % Given.Length]) }),
                    ["gender"] = patient % 2 == 0 ? "female" : "male",
                    ["birthDate"] = Date(birth),
                    ["address"] = new JsonArray(new JsonObject { ["city"] = city[0], ["state"] = city[1], ["postalCode"] = city[2] }),
                },
                new JsonObject
                {
                    ["resourceType"] = "Organization",
                    ["id"] = "payer",
                    ["identifier"] = new JsonArray(new JsonObject { ["system"] = "http://example.org/payer-id", ["value"] = payerId }),
                    ["name"] = payerName,
                },
                new JsonObject
                {
                    ["resourceType"] = "Organization",
                    ["id"] = "billing",
                    ["identifier"] = new JsonArray(new JsonObject { ["system"] = "http://hl7.org/fhir/sid/us-npi", ["value"] = billingNpi }),
                    ["name"] = "Bright Steps Therapy " + (patient % 37).ToString(CultureInfo.InvariantCulture),
                },
                new JsonObject
                {
                    ["resourceType"] = "Practitioner",
                    ["id"] = "rendering",
                    ["identifier"] = new JsonArray(new JsonObject { ["system"] = "http://hl7.org/fhir/sid/us-npi", ["value"] = renderingNpi }),
                    ["name"] = new JsonArray(new JsonObject { ["family"] = Family[(patient + 5) % Family.Length], ["given"] = new JsonArray(Given[(patient + 7) % Given.Length]) }),
                },
                new JsonObject
                {
                    ["resourceType"] = "Coverage",
                    ["id"] = "coverage",
                    ["status"] = "active",
                    ["subscriberId"] = string.Create(CultureInfo.InvariantCulture, $"{payerId[..3]}{patient * 7_919L:D9}"),
                    ["beneficiary"] = new JsonObject { ["reference"] = "#patient" },
                    ["relationship"] = Coding("http://terminology.hl7.org/CodeSystem/subscriber-relationship", patient % 3 == 0 ? "self" : "child", null),
                    ["payor"] = new JsonArray(new JsonObject { ["reference"] = "#payer" }),
                }),
            ["identifier"] = new JsonArray(new JsonObject { ["system"] = "urn:oid:2.16.840.1.113883.19.5.99", ["value"] = identifier }),
            ["status"] = "active",
            ["type"] = Coding("http://terminology.hl7.org/CodeSystem/claim-type", "professional", null),
            ["use"] = "claim",
            ["patient"] = new JsonObject { ["reference"] = "#patient" },
            ["billablePeriod"] = new JsonObject { ["start"] = Date(start), ["end"] = Date(end) },
            ["created"] = Date(end.AddDays(1) > today ? today : end.AddDays(1)),
            ["provider"] = new JsonObject { ["reference"] = "#billing" },
            ["priority"] = Coding("http://terminology.hl7.org/CodeSystem/processpriority", "normal", null),
            ["careTeam"] = new JsonArray(new JsonObject
            {
                ["sequence"] = 1,
                ["provider"] = new JsonObject { ["reference"] = "#rendering" },
                ["role"] = Coding("http://terminology.hl7.org/CodeSystem/claimcareteamrole", "primary", null),
            }),
            ["diagnosis"] = diagnoses,
            ["insurance"] = new JsonArray(new JsonObject
            {
                ["sequence"] = 1,
                ["focal"] = true,
                ["coverage"] = new JsonObject { ["reference"] = "#coverage" },
                ["preAuthRef"] = new JsonArray("AUTH-" + mrn),
            }),
            ["item"] = items,
            ["total"] = Money(total),
        };
        return new GeneratedClaim(identifier, mrn, payerId, isAba, claim);
    }

    /// <summary>
    /// A transaction Bundle holding the claims with their Patient, Organizations, Practitioner and Coverage as separate
    /// entries referenced by urn:uuid fullUrls (the shape an EHR's FHIR export sends to /api/fhir).
    /// </summary>
    public static JsonObject ToTransactionBundle(IEnumerable<GeneratedClaim> claims)
    {
        ArgumentNullException.ThrowIfNull(claims);
        var entries = new JsonArray();
        foreach (var generated in claims)
        {
            var claim = (JsonObject)generated.Claim.DeepClone();
            var contained = (JsonArray)claim["contained"]!;
            claim.Remove("contained");
            var urls = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var resource in contained.OfType<JsonObject>())
            {
                var url = "urn:uuid:" + Guid.NewGuid().ToString("D");
                urls["#" + resource["id"]!.GetValue<string>()] = url;
                var copy = (JsonObject)resource.DeepClone();
                copy.Remove("id");
                entries.Add(Entry(url, copy));
            }

            Rewrite(claim, urls);
            foreach (var entry in entries.OfType<JsonObject>())
            {
                Rewrite(entry, urls);
            }

            entries.Add(Entry("urn:uuid:" + Guid.NewGuid().ToString("D"), claim));
        }

        return new JsonObject { ["resourceType"] = "Bundle", ["type"] = "transaction", ["entry"] = entries };

        static JsonObject Entry(string url, JsonObject resource) => new()
        {
            ["fullUrl"] = url,
            ["resource"] = resource,
            ["request"] = new JsonObject { ["method"] = "POST", ["url"] = resource["resourceType"]!.GetValue<string>() },
        };
    }

    private static void Rewrite(JsonNode? node, Dictionary<string, string> urls)
    {
        switch (node)
        {
            case JsonObject obj:
                if (obj["reference"] is JsonValue value && value.TryGetValue<string>(out var reference) && urls.TryGetValue(reference, out var url))
                {
                    obj["reference"] = url;
                }

                foreach (var (_, child) in obj.ToList())
                {
                    Rewrite(child, urls);
                }

                break;
            case JsonArray array:
                foreach (var child in array)
                {
                    Rewrite(child, urls);
                }

                break;
        }
    }

    private static JsonObject Coding(string system, string code, string? display)
    {
        var coding = new JsonObject { ["system"] = system, ["code"] = code };
        if (display is not null)
        {
            coding["display"] = display;
        }

        return new JsonObject { ["coding"] = new JsonArray(coding) };
    }

    private static JsonObject Money(decimal value) => new() { ["value"] = value, ["currency"] = "USD" };

    private static string Date(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
