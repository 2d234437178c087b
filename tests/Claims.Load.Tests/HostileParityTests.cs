using System.Text.Json;
using Claims.Core.Fhir;
using Claims.Load;

namespace Claims.Load.Tests;

/// <summary>
/// The hostile corpus against the intake's fast read: <c>FirelyCheck</c> may prove a body clean (and skip Firely's
/// attribute validator) only when the strict read finds nothing in it, and no body makes either read throw.
/// </summary>
public sealed class HostileParityTests
{
    private static readonly JsonReaderOptions Options = new() { MaxDepth = 64 };

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void HostileCorpus_FastProof_OnlyWhenTheStrictReadIsClean(int seed)
    {
        var wrong = new List<string>();
        foreach (var hostile in HostileCorpus.Build(seed, new DateOnly(2026, 11, 23)))
        {
            if (JsonSyntax.Check(hostile.Body, IntakeOptions.Default, out _) is not null)
            {
                continue;
            }

            var issues = new List<OutcomeIssue>();
            if (FirelyReader.TryReadProvenClean(hostile.Body, Options, out _)
                && FirelyReader.ReadStrictly(hostile.Body, Options, issues) is var _ && issues.Count > 0)
            {
                wrong.Add(hostile.Name + ": " + string.Join("; ", issues.Select(i => i.Code + " " + i.Expression)));
            }
        }

        Assert.Empty(wrong);
    }

    // Firely's strict read keeps a value of the wrong shape in its partial model (a single where a list belongs): the
    // rules reading that model must not turn it into a 500 (hostile run of 2026-12-06: 24 cases did).
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void HostileCorpus_BothDoors_NeverThrow(int seed)
    {
        var today = new DateOnly(2026, 11, 23);
        var thrown = new List<string>();
        foreach (var hostile in HostileCorpus.Build(seed, today).Where(c => c.Body.Length <= 1_048_576))
        {
            try
            {
                _ = hostile.Path.EndsWith("Claim", StringComparison.Ordinal)
                    ? FhirIntake.ReadClaim(hostile.Body, today).Status
                    : FhirIntake.ReadBundle(hostile.Body, today).Status;
            }
            catch (Exception ex)
            {
                thrown.Add(hostile.Name + ": " + ex);
            }
        }

        Assert.True(thrown.Count == 0, string.Join("\n", thrown));
    }
}
