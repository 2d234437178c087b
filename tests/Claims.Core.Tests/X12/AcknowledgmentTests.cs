using Claims.Core.X12;
using Claims.Testing;

namespace Claims.Core.Tests.X12;

public sealed class AcknowledgmentTests
{
    [Fact]
    public void Parse_Ta1Rejection_GivesTheInterchangeAndTheReason()
    {
        var result = Acknowledgments.Parse(AckFixtures.Ta1Rejected);

        Assert.True(result.IsSuccess, result.Error);
        var ta1 = Assert.Single(Assert.Single(result.Interchanges).InterchangeAcks);
        Assert.Equal(("000000905", "R", "006", AckOutcome.Rejected), (ta1.InterchangeControlNumber, ta1.Code, ta1.NoteCode, ta1.Outcome));
        Assert.Equal("Rejected: Invalid interchange sender id", ta1.Reason);
    }

    [Fact]
    public void Parse_999_AcceptsOneTransactionSetAndRejectsTheOtherWithItsErrors()
    {
        var result = Acknowledgments.Parse(AckFixtures.Ack999);

        Assert.True(result.IsSuccess, result.Error);
        var interchange = Assert.Single(result.Interchanges);
        Assert.Equal(("000000777", "CLEARHOUSE", true), (interchange.InterchangeControlNumber, interchange.SenderId, interchange.IsTest));
        var group = Assert.Single(interchange.ImplementationAcks);
        Assert.Equal(("HC", "17", "P", AckOutcome.Other), (group.FunctionalIdentifier, group.GroupControlNumber, group.Code, group.Outcome));
        Assert.Collection(
            group.Transactions,
            accepted => Assert.Equal(("0041", AckOutcome.Accepted, "Accepted"), (accepted.TransactionControlNumber, accepted.Outcome, accepted.Reason)),
            rejected =>
            {
                Assert.Equal(("0042", AckOutcome.Rejected), (rejected.TransactionControlNumber, rejected.Outcome));
                Assert.Equal(["5"], rejected.ErrorCodes.ToArray());
                var segment = Assert.Single(rejected.Segments);
                Assert.Equal(("NM1", "8", "2010", "8", AckFixtures.Pcn(3)), (segment.SegmentId, segment.Position, segment.LoopId, segment.Code, segment.ControlNumber));
                Assert.Equal(
                    "Rejected: One or more segments in error; segment NM1 at position 8 in loop 2010: Segment has data element errors; element 9: Invalid code value",
                    rejected.Reason);
            });
    }

    [Fact]
    public void Parse_999_GroupRejectedWithoutTransactionDetail()
    {
        var group = Assert.Single(Assert.Single(Acknowledgments.Parse(AckFixtures.Ack999GroupRejected).Interchanges).ImplementationAcks);

        Assert.Equal((AckOutcome.Rejected, "18"), (group.Outcome, group.GroupControlNumber));
        Assert.Equal("Rejected: Number of included transaction sets does not match actual count", group.Reason);
        Assert.Empty(group.Transactions);
    }

    [Fact]
    public void Parse_277CA_GivesEachClaimItsOutcomeCodesAndReason()
    {
        var result = Acknowledgments.Parse(AckFixtures.Ack277CA);

        Assert.True(result.IsSuccess, result.Error);
        var report = Assert.Single(Assert.Single(result.Interchanges).ClaimReports);
        Assert.Equal(("0001", "0041"), (report.TransactionControlNumber, report.ReceiverTraceNumber));
        Assert.Equal(AckOutcome.Accepted, Assert.Single(report.ReceiverStatuses).Outcome);
        Assert.Equal("85", Assert.Single(report.ProviderStatuses).Entity);
        Assert.Collection(
            report.Claims,
            accepted =>
            {
                Assert.Equal(PatientControlNumber.For(X12Fixtures.ClaimId(1)), accepted.ControlNumber);
                Assert.Equal((AckOutcome.Accepted, "PAYERCLAIM0001", "CHTRACE0001", 62.5m), (accepted.Outcome, accepted.PayerClaimControlNumber, accepted.ClearinghouseTraceNumber, accepted.ChargeAmount));
                Assert.Equal("A2 Acknowledgement/Acceptance into adjudication system; 20 Accepted for processing (payer)", accepted.Reason);
            },
            rejected =>
            {
                // The payer echoed the patient control number in lower case: it still leads back to the claim.
                Assert.True(rejected.ControlNumber!.Value.Matches(X12Fixtures.ClaimId(2)));
                Assert.Equal(AckOutcome.Rejected, rejected.Outcome);
                Assert.Equal([("A7", "562", "85"), ("A6", "164", "IL")], rejected.Statuses.Select(s => (s.Category, s.Status, s.Entity)).ToArray());
                Assert.Equal(
                    "A7 Acknowledgement/Rejected for invalid information; 562 Entity's National Provider Identifier (NPI) (billing provider); "
                    + "A6 Acknowledgement/Rejected for missing information; 164 Entity's contract/member number (subscriber)",
                    rejected.Reason);
            });
    }

    [SharedDataTheory]
    [InlineData("999")]
    [InlineData("277")]
    public void Fixtures_WalkTheirImplementationGuideMaps_WithZeroFindings(string kind)
    {
        var (map, text) = kind == "999" ? ("999.5010X231.A1.xml", AckFixtures.Ack999) : ("277.5010.X214.xml", AckFixtures.Ack277CA);
        var read = X12Reader.Read(text);
        Assert.True(read.IsSuccess, read.Error);

        var findings = MapWalker.Load(SharedData.PathOf("x12-maps"), map).Walk(read.Segments);

        Assert.True(findings.Count == 0, string.Join("\n", findings));
    }

    public static TheoryData<string?, string> Malformed => new()
    {
        { null, "empty input" },
        { "", "empty input" },
        { "hello world", "must start with a complete ISA" },
        { "ISA*00*", "must start with a complete ISA" },
        { AckFixtures.Ack999.Replace("SE*11*0001", "SE*12*0001", StringComparison.Ordinal), "SE01 says 12 segments" },
        { AckFixtures.Ack999.Replace("GE*1*777", "GE*2*777", StringComparison.Ordinal), "GE01 says 2" },
        { AckFixtures.Ack999.Replace("IEA*1*000000777", "IEA*1*000000778", StringComparison.Ordinal), "IEA02" },
        { AckFixtures.Ack999[..(AckFixtures.Ack999.Length / 2)], "SE missing" },
        { AckFixtures.Ack999.Replace("IK5*A~", "", StringComparison.Ordinal).Replace("SE*11", "SE*10", StringComparison.Ordinal), "AK2 without its IK5" },
        { AckFixtures.Ack999.Replace("GS*FA", "GS*HC", StringComparison.Ordinal), "neither a 999 (FA) nor a 277CA (HN)" },
        { AckFixtures.Ack999.Replace("AK1*HC*17", "BOGUS*HC*17", StringComparison.Ordinal), "not a segment id" },
        { AckFixtures.Ack999.Replace("AK1*HC*17", "BHT*HC*17", StringComparison.Ordinal), "out of place in a 999" },
        { AckFixtures.Ta1Rejected.Replace("*R*006", "*Q*006", StringComparison.Ordinal), "TA104 'Q'" },
        { AckFixtures.Ack277CA.Replace("ST*277", "ST*835", StringComparison.Ordinal), "transaction set 835" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Parse_Malformed_IsAClearErrorNotAnException(string? text, string expected)
    {
        var result = Acknowledgments.Parse(text);

        Assert.False(result.IsSuccess);
        Assert.Contains(expected, result.Error, StringComparison.Ordinal);
        Assert.Empty(result.Interchanges);
    }

    [Fact]
    public void Parse_FuzzedAcknowledgments_NeverThrow()
    {
        var random = new Random(16);
        var sources = new[] { AckFixtures.Ta1Rejected, AckFixtures.Ack999, AckFixtures.Ack999GroupRejected, AckFixtures.Ack277CA };
        const string Alphabet = "*~:^ \n0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-.\u00e9\u0000";
        var results = new Dictionary<bool, int> { [true] = 0, [false] = 0 };
        for (var n = 0; n < 5000; n++)
        {
            var chars = sources[n % sources.Length].ToCharArray().ToList();
            var edits = 1 + random.Next(6);
            for (var e = 0; e < edits && chars.Count > 0; e++)
            {
                var at = random.Next(chars.Count);
                switch (random.Next(4))
                {
                    case 0: chars[at] = Alphabet[random.Next(Alphabet.Length)]; break;
                    case 1: chars.RemoveAt(at); break;
                    case 2: chars.Insert(at, Alphabet[random.Next(Alphabet.Length)]); break;
                    default: chars.RemoveRange(at, chars.Count - at); break;
                }
            }

            var result = Acknowledgments.Parse(new string([.. chars]));
            Assert.True(result.IsSuccess || !string.IsNullOrWhiteSpace(result.Error));
            results[result.IsSuccess]++;
        }

        Assert.True(results[false] > 0 && results[true] > 0, $"fuzzing should hit both outcomes: {results[true]} read, {results[false]} refused");
    }
}
