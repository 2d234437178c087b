using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using BenchmarkDotNet.Attributes;
using Claims.Core.Claims;
using Claims.Core.Rules;

namespace Claims.Benchmarks;

/// <summary>
/// The rules engine on a realistic 50-rule set against 100 varied claims, next to a hand-written C# equivalent of the
/// same rules (the baseline). Every benchmark evaluates all 100 claims, so the reported time is per claim
/// (OperationsPerInvoke). Run: <c>dotnet run -c Release --project tests/Claims.Benchmarks -- --filter '*Rules*' --job short</c>.
/// </summary>
[MemoryDiagnoser]
public class RulesBenchmarks
{
    private const int ClaimCount = 100;

    private CompiledRuleSet _rules = null!;
    private (ClaimFacts Claim, EvaluationContext Context)[] _claims = [];
    private byte[] _ruleSetJson = [];

    [GlobalSetup]
    public void Setup()
    {
        _rules = RulesBenchmarkData.Compile();
        _claims = RulesBenchmarkData.Claims(ClaimCount);
        _ruleSetJson = Encoding.UTF8.GetBytes(RulesBenchmarkData.RuleSetJson());
        VerifyEquivalence();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = ClaimCount)]
    public int HandWritten()
    {
        var held = 0;
        foreach (var (claim, context) in _claims)
        {
            held += HandWrittenRules.Evaluate(claim, context).HeldBy is null ? 0 : 1;
        }

        return held;
    }

    [Benchmark(OperationsPerInvoke = ClaimCount)]
    public int Engine()
    {
        var held = 0;
        foreach (var (claim, context) in _claims)
        {
            held += _rules.Evaluate(claim, context).IsHold ? 1 : 0;
        }

        return held;
    }

    /// <summary>The engine plus the full result JSON with trace (what the pipeline stores per claim).</summary>
    [Benchmark(OperationsPerInvoke = ClaimCount)]
    public int EngineWithResultJson()
    {
        var bytes = 0;
        foreach (var (claim, context) in _claims)
        {
            bytes += _rules.Evaluate(claim, context).ToJson().Length;
        }

        return bytes;
    }

    /// <summary>Parse, validate and compile the 50-rule set: done once per rule-set version; reported per call.</summary>
    [Benchmark]
    public CompiledRuleSet ParseAndCompile()
    {
        var parsed = RuleSetDocument.Parse(_ruleSetJson);
        return RuleSetCompiler.Compile(parsed.Document!, "bench");
    }

    /// <summary>Fails the run if the engine and the hand-written rules disagree on any claim.</summary>
    private void VerifyEquivalence()
    {
        var holds = 0;
        foreach (var (claim, context) in _claims)
        {
            var engine = _rules.Evaluate(claim, context);
            var hand = HandWrittenRules.Evaluate(claim, context);
            var same = engine.HeldBy?.RuleId == hand.HeldBy
                && engine.HeldBy?.Reason == hand.Reason
                && engine.Tags.SequenceEqual(hand.Tags)
                && engine.Claim.PayerName == hand.Claim.PayerName
                && engine.Claim.Items.Select(i => string.Join(",", i.Modifiers)).SequenceEqual(hand.Claim.Items.Select(i => string.Join(",", i.Modifiers)));
            if (!same)
            {
                throw new InvalidOperationException(
                    $"Engine and hand-written rules disagree: engine {engine.HeldBy?.RuleId} [{string.Join(",", engine.Tags)}], hand {hand.HeldBy} [{string.Join(",", hand.Tags)}].");
            }

            holds += engine.IsHold ? 1 : 0;
        }

        if (holds == 0 || holds == _claims.Length)
        {
            throw new InvalidOperationException("The benchmark claims should mix held and passing claims.");
        }
    }
}

/// <summary>
/// The benchmark's realistic 50-rule set (as rule-set JSON) and ~100 varied claims. <see cref="HandWrittenRules"/>
/// implements the same 50 rules directly in C#.
/// </summary>
internal static class RulesBenchmarkData
{
    public static readonly string[] Payers = ["BCBSMA", "AETNA", "CIGNA", "UHC", "HUMANA", "MEDICAID-MA", "TUFTS", "HPHC", "MEDICARE", "ANTHEM"];

    public static readonly string[] PayerNames =
    [
        "Blue Cross Blue Shield of Massachusetts", "Aetna", "Cigna", "UnitedHealthcare", "Humana",
        "MassHealth", "Tufts Health Plan", "Harvard Pilgrim", "Medicare", "Anthem",
    ];

    public static readonly string[] TelehealthCodes = ["90837", "90834", "90791", "97153", "97155"];
    public static readonly decimal[] ChargeThresholds = [500, 1000, 1500, 2000, 3000];
    public static readonly string[] AdultDiagnosisPrefixes = ["F84", "F90", "F41", "F32", "F43"];
    public static readonly string[] AbaCodes = ["97151", "97152", "97153", "97154", "97155", "97156", "97157", "97158"];
    public static readonly string[] HomeStates = ["MA", "NH", "RI"];

    private static readonly string[] OtherCodes = ["90837", "90834", "90791", "99213"];
    private static readonly string[] Diagnoses = ["F84.0", "F90.2", "F41.1", "F32.9", "F43.10", "Z00.00"];
    private static readonly string[] States = ["MA", "MA", "NH", "RI", "CT", "NY"];
    private static readonly string?[] AuthStatuses = ["ACTIVE", "ACTIVE", "EXPIRING_SOON", "EXPIRED", null];

    /// <summary>Window i covers month i+1 of 2026 (days 1-28).</summary>
    public static DateOnly WindowFrom(int i) => new(2026, i + 1, 1);

    public static DateOnly WindowTo(int i) => new(2026, i + 1, 28);

    public static string RuleSetJson()
    {
        var rules = new List<string>();
        for (var i = 0; i < 10; i++)
        {
            rules.Add($$"""
            { "id": "tele-{{i}}", "name": "{{Payers[i]}} telehealth needs 95",
              "if": { "and": [ { "field": "payer.id", "op": "eq", "value": "{{Payers[i]}}" }, { "field": "item.placeOfService", "op": "in", "value": ["02", "10"] } ] },
              "then": { "actions": [ { "addModifier": "95", "forCpt": [{{string.Join(", ", TelehealthCodes.Select(c => $"\"{c}\""))}}] } ] } }
            """);
        }

        for (var i = 0; i < 10; i++)
        {
            rules.Add($$"""
            { "id": "payer-name-{{i}}", "if": { "and": [ { "field": "payer.id", "op": "eq", "value": "{{Payers[i]}}" }, { "field": "payer.name", "op": "missing" } ] },
              "then": { "actions": [ { "setField": "payer.name", "value": "{{PayerNames[i]}}" } ] } }
            """);
        }

        foreach (var threshold in ChargeThresholds)
        {
            rules.Add($$"""
            { "id": "high-charge-{{threshold}}", "if": { "field": "item.charge", "op": "gt", "value": {{threshold}} }, "then": { "actions": [ { "applyTag": "charge-over-{{threshold}}" } ] } }
            """);
        }

        foreach (var prefix in AdultDiagnosisPrefixes)
        {
            rules.Add($$"""
            { "id": "adult-{{prefix}}", "if": { "and": [ { "field": "diagnosis.codes", "op": "startsWith", "value": "{{prefix}}" }, { "field": "patient.age", "op": "gte", "value": 18 } ] },
              "then": { "actions": [ { "applyTag": "adult-{{prefix}}" } ] } }
            """);
        }

        for (var i = 0; i < 5; i++)
        {
            rules.Add($$"""
            { "id": "window-{{i}}", "effectiveFrom": "{{Date(WindowFrom(i))}}", "effectiveTo": "{{Date(WindowTo(i))}}",
              "if": { "field": "claim.total", "op": "gte", "value": 100 }, "then": { "actions": [ { "applyTag": "q-{{i}}" } ] },
              "else": { "actions": [ { "applyTag": "low-total" } ] } }
            """);
        }

        rules.Add("""{ "id": "npi-format", "if": { "not": { "field": "provider.npi", "op": "matches", "value": "^[0-9]{10}$" } }, "then": { "actions": [ { "applyTag": "bad-npi" } ] } }""");
        rules.Add("""{ "id": "npi-1", "if": { "field": "rendering.npi", "op": "startsWith", "value": "1" }, "then": { "actions": [ { "applyTag": "npi-1" } ] } }""");
        rules.Add($$"""{ "id": "out-of-state", "if": { "field": "patient.state", "op": "notIn", "value": [{{string.Join(", ", HomeStates.Select(s => $"\"{s}\""))}}] }, "then": { "actions": [ { "applyTag": "out-of-state" } ] } }""");
        rules.Add("""{ "id": "early", "if": { "field": "claim.serviceDate", "op": "lt", "value": "2026-01-15" }, "then": { "actions": [ { "applyTag": "early" } ] } }""");
        rules.Add("""{ "id": "many-units", "if": { "field": "item.units", "op": "gt", "value": 16 }, "then": { "actions": [ { "applyTag": "many-units" } ] } }""");

        foreach (var code in AbaCodes)
        {
            rules.Add($$"""
            { "id": "aba-{{code}}", "if": { "field": "item.cpt", "op": "eq", "value": "{{code}}" },
              "then": {
                "if": { "field": "authorization.status", "op": "notIn", "value": ["ACTIVE", "EXPIRING_SOON"] },
                "then": { "actions": [ { "applyTag": "aba" }, { "hold": "Missing authorization for {{code}}" } ] },
                "elseIf": [ { "if": { "field": "authorization.unitsRemaining", "op": "lt", "value": 8 }, "then": { "actions": [ { "applyTag": "low-units" } ] } } ] } }
            """);
        }

        rules.Add("""{ "id": "principal-dx", "if": { "field": "diagnosis.principal", "op": "missing" }, "then": { "actions": [ { "hold": "No principal diagnosis" } ] } }""");
        rules.Add("""{ "id": "rendering-npi", "if": { "field": "rendering.npi", "op": "missing" }, "then": { "actions": [ { "hold": "No rendering NPI" } ] } }""");
        return $$"""{ "rules": [ {{string.Join(",\n", rules)}} ] }""";
    }

    public static CompiledRuleSet Compile()
    {
        var parsed = RuleSetDocument.Parse(Encoding.UTF8.GetBytes(RuleSetJson()));
        if (!parsed.IsValid)
        {
            throw new InvalidOperationException($"Benchmark rule set invalid: {parsed.Issues[0].Expression} {parsed.Issues[0].Diagnostics}");
        }

        if (parsed.Document!.Rules.Count != 50)
        {
            throw new InvalidOperationException($"Expected 50 rules, got {parsed.Document.Rules.Count}.");
        }

        return RuleSetCompiler.Compile(parsed.Document, "bench");
    }

    public static (ClaimFacts Claim, EvaluationContext Context)[] Claims(int count)
    {
        var random = new Random(42);
        var result = new (ClaimFacts, EvaluationContext)[count];
        for (var n = 0; n < count; n++)
        {
            var payer = random.Next(20) == 0 ? null : Payers[random.Next(Payers.Length)];
            var serviceDate = new DateOnly(2026, 1, 1).AddDays(random.Next(180));
            var pos = random.Next(3) switch { 0 => "02", 1 => "10", _ => "11" };
            var items = ImmutableArray.CreateBuilder<ClaimItemFacts>();
            var itemCount = 1 + random.Next(3);
            for (var i = 0; i < itemCount; i++)
            {
                var code = random.Next(2) == 0 ? AbaCodes[random.Next(AbaCodes.Length)] : OtherCodes[random.Next(OtherCodes.Length)];
                var units = 1 + random.Next(24);
                items.Add(new ClaimItemFacts
                {
                    Sequence = i + 1,
                    Codes = [code],
                    Modifiers = random.Next(4) == 0 ? ["GT"] : [],
                    Units = units,
                    Charge = units * (20 + random.Next(130)),
                    PlaceOfService = [pos],
                    ServiceDate = serviceDate,
                });
            }

            var principalMissing = random.Next(20) == 0;
            var claim = new ClaimFacts
            {
                Type = "professional",
                Use = "claim",
                ServiceDate = serviceDate,
                Created = serviceDate.AddDays(random.Next(10)),
                PatientBirthDate = new DateOnly(1960 + random.Next(62), 1 + random.Next(12), 1 + random.Next(28)),
                PatientGender = random.Next(2) == 0 ? "female" : "male",
                PatientState = States[random.Next(States.Length)],
                PayerId = payer,
                PayerName = random.Next(2) == 0 ? null : "Some Payer",
                MemberId = "M" + random.Next(1_000_000).ToString(CultureInfo.InvariantCulture),
                ProviderNpi = random.Next(20) == 0 ? "12345" : "1234567893",
                RenderingNpi = random.Next(33) == 0 ? null : random.Next(2) == 0 ? "1518967070" : "2518967070",
                Items = items.ToImmutable(),
                Diagnoses = principalMissing
                    ? [new DiagnosisFacts(2, [Diagnoses[random.Next(Diagnoses.Length)]])]
                    : [new DiagnosisFacts(1, [Diagnoses[random.Next(Diagnoses.Length)]]), new DiagnosisFacts(2, [Diagnoses[random.Next(Diagnoses.Length)]])],
            };

            var status = AuthStatuses[random.Next(AuthStatuses.Length)];
            var auth = status is null
                ? null
                : new AuthorizationFacts("A-" + n.ToString(CultureInfo.InvariantCulture), status, 100, 80 + random.Next(30), serviceDate.AddDays(-60), serviceDate.AddDays(random.Next(60)));
            result[n] = (claim, new EvaluationContext(auth, RiskScorer.Score(claim, auth, null)));
        }

        return result;
    }

    private static string Date(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
