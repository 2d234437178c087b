using System.Globalization;
using System.Text;
using BenchmarkDotNet.Attributes;
using Claims.Core.Fhir;

namespace Claims.Benchmarks;

/// <summary>
/// FHIR R4 Claim intake (parse, validate, resolve references) and the ClaimFacts mapping. The claims are generated
/// here (CMS-1500-like professional claims with contained Patient, Coverage, payer Organization, billing Organization
/// and rendering Practitioner), so the benchmark runs without ../shared.
/// </summary>
[MemoryDiagnoser]
public class FhirIntakeBenchmarks
{
    private static readonly DateOnly Today = new(2026, 1, 15);
    private byte[] cms1500 = [];
    private byte[] fiftyLines = [];
    private ClaimDocument document = null!;

    [GlobalSetup]
    public void Setup()
    {
        cms1500 = Encoding.UTF8.GetBytes(ClaimJson(items: 6, diagnoses: 4));
        fiftyLines = Encoding.UTF8.GetBytes(ClaimJson(items: 50, diagnoses: 12));
        var intake = FhirIntake.ReadClaim(cms1500, Today);
        document = intake.Document ?? throw new InvalidOperationException("The generated claim must be valid: " + string.Join("; ", intake.Outcome.Issues.Select(i => i.Expression + " " + i.Diagnostics)));
        if (FhirIntake.ReadClaim(fiftyLines, Today).Status != IntakeStatus.Accepted)
        {
            throw new InvalidOperationException("The generated 50-line claim must be valid.");
        }
    }

    [Benchmark(Baseline = true, Description = "ReadClaim CMS-1500-sized (6 lines)")]
    public IntakeStatus ReadClaimCms1500() => FhirIntake.ReadClaim(cms1500, Today).Status;

    [Benchmark(Description = "ReadClaim 50 lines")]
    public IntakeStatus ReadClaimFiftyLines() => FhirIntake.ReadClaim(fiftyLines, Today).Status;

    [Benchmark(Description = "ReadClaim + ToFacts (6 lines)")]
    public int ReadClaimAndFacts() => FhirIntake.ReadClaim(cms1500, Today).Document!.ToFacts("ehr_webhook").Items.Length;

    [Benchmark(Description = "ToBundleJson + ReadDocument (6 lines)")]
    public int StoreAndReload() => FhirIntake.ReadDocument(document.ToBundleJson()).ToFacts("api").Items.Length;

    /// <summary>A professional claim shaped like a CMS-1500: CPT lines with modifiers, POS, ICD-10-CM pointers, NPIs.</summary>
    public static string ClaimJson(int items, int diagnoses)
    {
        string[] cpt = ["99213", "97153", "97155", "90837", "20610", "36415", "85025"];
        string[] icd = ["F84.0", "M54.50", "E11.9", "I10", "Z00.00", "J06.9", "R51.9", "K21.9", "F41.1", "G43.909", "M25.561", "E78.5"];
        var sb = new StringBuilder(4096 + (items * 700));
        sb.Append("""
            {"resourceType":"Claim","id":"cms1500-bench","meta":{"lastUpdated":"2025-12-02T10:15:00-05:00"},
             "contained":[
              {"resourceType":"Patient","id":"patient","identifier":[{"type":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v2-0203","code":"MR"}]},"system":"http://clinic.example.org/mrn","value":"MRN-000042"}],
               "name":[{"use":"official","family":"Doe","given":["Jane","Q"]}],"gender":"female","birthDate":"1984-07-19",
               "address":[{"use":"home","line":["12 Elm Street","Apt 4"],"city":"Springfield","state":"MA","postalCode":"01103","country":"US"}],
               "telecom":[{"system":"phone","value":"555-0100","use":"home"}]},
              {"resourceType":"Coverage","id":"coverage","status":"active","subscriberId":"XYZ123456789","relationship":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/subscriber-relationship","code":"self"}]},
               "type":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"HIP"}]},
               "beneficiary":{"reference":"#patient"},"subscriber":{"reference":"#patient"},"period":{"start":"2025-01-01","end":"2025-12-31"},
               "payor":[{"reference":"#payer"}],"class":[{"type":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/coverage-class","code":"group"}]},"value":"GRP-998877","name":"Employer PPO"}]},
              {"resourceType":"Organization","id":"payer","identifier":[{"system":"http://payers.example.org/id","value":"BCBSMA"}],"name":"Blue Cross Blue Shield of Massachusetts","active":true},
              {"resourceType":"Organization","id":"billing","identifier":[{"system":"http://hl7.org/fhir/sid/us-npi","value":"1234567893"},{"system":"urn:oid:2.16.840.1.113883.4.4","value":"12-3456789"}],
               "name":"Springfield Behavioral Health","address":[{"line":["400 Main Street"],"city":"Springfield","state":"MA","postalCode":"01103"}]},
              {"resourceType":"Practitioner","id":"rendering","identifier":[{"system":"http://hl7.org/fhir/sid/us-npi","value":"1245319599"}],"name":[{"family":"Smith","given":["Alex"],"suffix":["BCBA"]}]}
             ],
             "identifier":[{"system":"http://clinic.example.org/claims","value":"CLM-2025-000123"}],
             "status":"active","type":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/claim-type","code":"professional"}]},
             "use":"claim","patient":{"reference":"#patient"},"billablePeriod":{"start":"2025-12-01","end":"2025-12-01"},
             "created":"2025-12-02T10:15:00-05:00","provider":{"reference":"#billing"},
             "priority":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/processpriority","code":"normal"}]},
             "payee":{"type":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/payeetype","code":"provider"}]}},
             "careTeam":[{"sequence":1,"provider":{"reference":"#rendering"},"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/claimcareteamrole","code":"primary"}]}}],
             "insurance":[{"sequence":1,"focal":true,"coverage":{"reference":"#coverage"},"preAuthRef":["AUTH-1001"]}],
             "diagnosis":[
            """);
        for (var d = 0; d < diagnoses; d++)
        {
            sb.Append(d == 0 ? string.Empty : ",").Append(CultureInfo.InvariantCulture, $$$"""
                {"sequence":{{{d + 1}}},"diagnosisCodeableConcept":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10-cm","code":"{{{icd[d % icd.Length]}}}"}]}}
                """);
        }

        sb.Append("],\"item\":[");
        var total = 0m;
        for (var i = 0; i < items; i++)
        {
            var units = 1 + (i % 4);
            var price = 25.50m + (i % 7 * 10);
            var net = units * price;
            total += net;
            sb.Append(i == 0 ? string.Empty : ",").Append(CultureInfo.InvariantCulture, $$$"""
                {"sequence":{{{i + 1}}},"careTeamSequence":[1],"diagnosisSequence":[{{{(i % diagnoses) + 1}}}],
                 "productOrService":{"coding":[{"system":"http://www.ama-assn.org/go/cpt","code":"{{{cpt[i % cpt.Length]}}}","display":"Service {{{i + 1}}}"}]},
                 "modifier":[{"coding":[{"system":"http://www.ama-assn.org/go/cpt","code":"{{{(i % 2 == 0 ? "HN" : "59")}}}"}]}],
                 "servicedDate":"2025-12-{{{(i % 28) + 1:00}}}",
                 "locationCodeableConcept":{"coding":[{"system":"https://www.cms.gov/Medicare/Coding/place-of-service-codes/Place_of_Service_Code_Set","code":"11"}]},
                 "quantity":{"value":{{{units}}}},"unitPrice":{"value":{{{price}}},"currency":"USD"},"net":{"value":{{{net}}},"currency":"USD"}}
                """);
        }

        sb.Append(CultureInfo.InvariantCulture, $$$"""],"total":{"value":{{{total}}},"currency":"USD"}}""");
        return sb.ToString();
    }
}
