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

    /// <summary>Parse, validate and compile the 50-rule set (once per rule-set version), reported per claim-batch of 100 for scale.</summary>
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
