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
}
