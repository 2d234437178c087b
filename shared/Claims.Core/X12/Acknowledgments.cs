using System.Collections.Immutable;
using System.Globalization;

namespace Claims.Core.X12;

/// <summary>What an acknowledgment says of the thing it answers.</summary>
public enum AckOutcome
{
    Accepted,
    Rejected,

    /// <summary>Neither (pending, forwarded to another payer, a code we do not decide on).</summary>
    Other,
}

/// <summary>TA1: the receiver's answer to an interchange (TA101 = our ISA13).</summary>
public sealed record InterchangeAcknowledgment(string InterchangeControlNumber, string Code, string NoteCode, AckOutcome Outcome, string Reason);

/// <summary>A 999 IK4 element error (IK401 position, IK402 element reference, IK403 code).</summary>
public sealed record ElementError(string Position, string DataElementReference, string Code, string Text);

/// <summary>A 999 IK3 segment error; <see cref="ControlNumber"/> is CLM01 when a CTX business unit names the claim.</summary>
public sealed record SegmentError(
    string SegmentId, string Position, string LoopId, string Code, string Text, string? ControlNumber, ImmutableArray<ElementError> Elements);

/// <summary>A 999 AK2…IK5: the answer to one of our transaction sets (AK202 = our ST02).</summary>
public sealed record TransactionAcknowledgment(
    string TransactionSetId, string TransactionControlNumber, string Code, AckOutcome Outcome,
    ImmutableArray<string> ErrorCodes, ImmutableArray<SegmentError> Segments, string Reason);

/// <summary>A 999 AK1…AK9: the answer to one of our functional groups (AK102 = our GS06).</summary>
public sealed record ImplementationAcknowledgment(
    string FunctionalIdentifier, string GroupControlNumber, string Version, string Code, AckOutcome Outcome,
    ImmutableArray<string> ErrorCodes, ImmutableArray<TransactionAcknowledgment> Transactions, string Reason);

/// <summary>One STC composite: category (507), status (508), entity (98), and their text.</summary>
public sealed record ClaimStatus(string Category, string Status, string Entity, AckOutcome Outcome, string Text);

/// <summary>
/// A 277CA claim (loop 2200D): the patient control number we sent in CLM01 (TRN02; <see cref="ControlNumber"/> when it
/// is one of ours), the payer's claim number (REF*1K, needed to replace or void the claim later), the clearinghouse
/// trace (REF*D9), its statuses and the outcome they add up to (any rejecting category → Rejected).
/// </summary>
public sealed record ClaimAcknowledgment(
    string TraceNumber, PatientControlNumber? ControlNumber, string? PayerClaimControlNumber, string? ClearinghouseTraceNumber,
    decimal? ChargeAmount, AckOutcome Outcome, ImmutableArray<ClaimStatus> Statuses, string Reason);

/// <summary>One 277CA transaction set: statuses at the receiver (2200B, for the whole file) and provider (2200C) levels,
/// and the claims.</summary>
public sealed record ClaimStatusReport(
    string TransactionControlNumber, string? ReceiverTraceNumber, ImmutableArray<ClaimStatus> ReceiverStatuses,
    ImmutableArray<ClaimStatus> ProviderStatuses, ImmutableArray<ClaimAcknowledgment> Claims);

/// <summary>Everything one acknowledgment interchange holds: TA1s, 999s, 277CAs (a file may mix them).</summary>
public sealed record AcknowledgmentInterchange(
    string InterchangeControlNumber, string SenderId, string ReceiverId, bool IsTest,
    ImmutableArray<InterchangeAcknowledgment> InterchangeAcks,
    ImmutableArray<ImplementationAcknowledgment> ImplementationAcks,
    ImmutableArray<ClaimStatusReport> ClaimReports);

/// <summary>The parse of an acknowledgment file: the interchanges, or a clear error (never an exception).</summary>
public sealed record AcknowledgmentParseResult(ImmutableArray<AcknowledgmentInterchange> Interchanges, string? Error)
{
    public bool IsSuccess => Error is null;
}

/// <summary>
/// Reads acknowledgment files: TA1 (interchange), 999 (005010X231A1, implementation acknowledgment) and 277CA
/// (005010X214, claim acknowledgment). Anything that is not a well-formed X12 interchange of these is an error
/// result naming the problem, never an exception.
/// </summary>
public static class Acknowledgments
{
    public static AcknowledgmentParseResult Parse(string? text)
    {
        var read = X12Reader.Read(text);
        if (!read.IsSuccess)
        {
            return Fail(read.Error!);
        }

        try
        {
            return ParseSegments(read.Segments);
        }
        catch (Exception e) when (e is IndexOutOfRangeException or ArgumentException or FormatException or OverflowException or InvalidOperationException)
        {
            // A defect of ours must not take an acknowledgment trigger down: the file is reported unreadable and kept.
            return Fail($"acknowledgment could not be read ({e.GetType().Name})");
        }
    }

    private static AcknowledgmentParseResult ParseSegments(ImmutableArray<X12Segment> segments)
    {
        var interchanges = ImmutableArray.CreateBuilder<AcknowledgmentInterchange>();
        var i = 0;
        while (i < segments.Length)
        {
            var isa = segments[i++];
            var ta1s = ImmutableArray.CreateBuilder<InterchangeAcknowledgment>();
            var acks = ImmutableArray.CreateBuilder<ImplementationAcknowledgment>();
            var reports = ImmutableArray.CreateBuilder<ClaimStatusReport>();
            string? functional = null;
            while (i < segments.Length && segments[i].Id != "IEA")
            {
                var s = segments[i];
                switch (s.Id)
                {
                    case "TA1":
                        var code = s[4];
                        if (code is not ("A" or "E" or "R"))
                        {
                            return Fail($"segment {s.Index + 1}: TA104 '{code}' is not A, E or R");
                        }

                        ta1s.Add(new InterchangeAcknowledgment(
                            s[1], code, s[5], code == "R" ? AckOutcome.Rejected : AckOutcome.Accepted,
                            $"{AcknowledgmentCodes.Acknowledgment(code)}: {AcknowledgmentCodes.InterchangeNote(s[5])}"));
                        i++;
                        break;
                    case "GS":
                        functional = s[1];
                        if (functional is not ("FA" or "HN"))
                        {
                            return Fail($"segment {s.Index + 1}: functional group {functional} is neither a 999 (FA) nor a 277CA (HN)");
                        }

                        i++;
                        break;
                    case "GE":
                        functional = null;
                        i++;
                        break;
                    case "ST" when functional == "FA" && s[1] == "999":
                        var ack = Parse999(segments, ref i, out var error999);
                        if (ack is null)
                        {
                            return Fail(error999!);
                        }

                        acks.Add(ack);
                        break;
                    case "ST" when functional == "HN" && s[1] == "277":
                        reports.Add(Parse277(segments, ref i));
                        break;
                    case "ST":
                        return Fail($"segment {s.Index + 1}: transaction set {s[1]} in functional group {functional}: expected 999 in FA, 277 in HN");
                    default:
                        return Fail($"segment {s.Index + 1}: unexpected {s.Id}");
                }
            }

            i++; // IEA (the reader checked it is there)
            interchanges.Add(new AcknowledgmentInterchange(
                isa[13], isa[6].Trim(), isa[8].Trim(), isa[15] == "T", ta1s.ToImmutable(), acks.ToImmutable(), reports.ToImmutable()));
        }

        return new AcknowledgmentParseResult(interchanges.ToImmutable(), null);
    }

    private static ImplementationAcknowledgment? Parse999(ImmutableArray<X12Segment> segments, ref int i, out string? error)
    {
        error = null;
        i++; // ST
        X12Segment? ak1 = null;
        var transactions = ImmutableArray.CreateBuilder<TransactionAcknowledgment>();
        X12Segment? ak2 = null;
        var segmentErrors = ImmutableArray.CreateBuilder<SegmentError>();
        X12Segment? ik3 = null;
        string? context = null;
        var elements = ImmutableArray.CreateBuilder<ElementError>();
        ImplementationAcknowledgment? result = null;

        void CloseSegment()
        {
            if (ik3 is not null)
            {
                var code = ik3[4];
                segmentErrors.Add(new SegmentError(ik3[1], ik3[2], ik3[3], code, AcknowledgmentCodes.SegmentError(code), context, elements.ToImmutable()));
                elements.Clear();
                ik3 = null;
                context = null;
            }
        }

        for (; i < segments.Length && segments[i].Id != "SE"; i++)
        {
            var s = segments[i];
            switch (s.Id)
            {
                case "AK1":
                    ak1 = s;
                    break;
                case "AK2" when ak2 is null:
                    ak2 = s;
                    break;
                case "IK3":
                    CloseSegment();
                    ik3 = s;
                    break;
                case "CTX" when ik3 is not null && s.Component(1, 1) == "CLM01":
                    context = s.Component(1, 2);
                    break;
                case "CTX":
                    break;
                case "IK4" when ik3 is not null:
                    elements.Add(new ElementError(s[1], s[2], s[3], AcknowledgmentCodes.ElementError(s[3])));
                    break;
                case "IK5" when ak2 is not null:
                    CloseSegment();
                    var codes = Enumerable.Range(2, 5).Select(p => s[p]).Where(c => c.Length > 0).ToImmutableArray();
                    var outcome = AckOutcomeOf(s[1]);
                    transactions.Add(new TransactionAcknowledgment(
                        ak2[1], ak2[2], s[1], outcome, codes, segmentErrors.ToImmutable(),
                        Describe(AcknowledgmentCodes.Acknowledgment(s[1]), codes.Select(AcknowledgmentCodes.TransactionError)
                            .Concat(segmentErrors.Select(Describe)))));
                    segmentErrors.Clear();
                    ak2 = null;
                    break;
                case "AK9" when ak1 is not null:
                    var groupCodes = Enumerable.Range(5, 5).Select(p => s[p]).Where(c => c.Length > 0).ToImmutableArray();
                    var groupOutcome = s[1] switch
                    {
                        "A" or "E" => AckOutcome.Accepted,
                        "P" => AckOutcome.Other,
                        _ => AckOutcome.Rejected,
                    };
                    result = new ImplementationAcknowledgment(
                        ak1[1], ak1[2], ak1[3], s[1], groupOutcome, groupCodes, transactions.ToImmutable(),
                        Describe(AcknowledgmentCodes.Acknowledgment(s[1]), groupCodes.Select(AcknowledgmentCodes.GroupError)));
                    break;
                case "AK2":
                    error = $"segment {s.Index + 1}: 999 AK2 without its IK5";
                    return null;
                default:
                    error = $"segment {s.Index + 1}: {s.Id} is out of place in a 999 (expected AK1, AK2, IK3, CTX, IK4, IK5, AK9)";
                    return null;
            }
        }

        i++; // SE
        if (result is null || ak2 is not null)
        {
            error = ak1 is null ? "999 without AK1" : ak2 is not null ? "999: AK2 without its IK5" : "999 without AK9";
        }

        return error is null ? result : null;
    }

    private static ClaimStatusReport Parse277(ImmutableArray<X12Segment> segments, ref int i)
    {
        var st02 = segments[i][2];
        i++;
        string level = "";
        string? receiverTrace = null;
        var receiverStatuses = ImmutableArray.CreateBuilder<ClaimStatus>();
        var providerStatuses = ImmutableArray.CreateBuilder<ClaimStatus>();
        var claims = ImmutableArray.CreateBuilder<ClaimAcknowledgment>();
        ClaimBuilder? claim = null;
        var inLine = false;

        void CloseClaim()
        {
            if (claim is not null)
            {
                claims.Add(claim.Build());
                claim = null;
            }
        }

        for (; i < segments.Length && segments[i].Id != "SE"; i++)
        {
            var s = segments[i];
            switch (s.Id)
            {
                case "HL":
                    CloseClaim();
                    level = s[3];
                    inLine = false;
                    break;
                case "TRN" when level == "21" && s[1] == "2":
                    receiverTrace = s[2];
                    break;
                case "TRN" when level == "PT" && s[1] == "2":
                    // 2200D repeats under one patient: each TRN starts a claim.
                    CloseClaim();
                    claim = new ClaimBuilder(s[2]);
                    inLine = false;
                    break;
                case "STC" when !inLine:
                    var statuses = Statuses(s);
                    (level switch
                    {
                        "21" => receiverStatuses,
                        "19" => providerStatuses,
                        _ => claim?.Statuses,
                    })?.AddRange(statuses);
                    if (level == "PT" && claim is not null && claim.Charge is null && decimal.TryParse(s[4], NumberStyles.Number, CultureInfo.InvariantCulture, out var charge))
                    {
                        claim.Charge = charge;
                    }

                    break;
                case "REF" when claim is not null && !inLine && s[1] == "1K":
                    claim.PayerClaimNumber = s[2];
                    break;
                case "REF" when claim is not null && !inLine && s[1] == "D9":
                    claim.ClearinghouseTrace = s[2];
                    break;
                case "SVC":
                    // 2220D service line statuses are not claim statuses: a rejected line comes with a rejected claim.
                    inLine = true;
                    break;
                default:
                    break;
            }
        }

        CloseClaim();
        i++; // SE
        return new ClaimStatusReport(st02, receiverTrace, receiverStatuses.ToImmutable(), providerStatuses.ToImmutable(), claims.ToImmutable());
    }

    private static IEnumerable<ClaimStatus> Statuses(X12Segment stc)
    {
        foreach (var position in new[] { 1, 10, 11 })
        {
            var category = stc.Component(position, 1);
            if (category.Length == 0)
            {
                continue;
            }

            var status = stc.Component(position, 2);
            var entity = stc.Component(position, 3);
            var text = AcknowledgmentCodes.Category(category)
                + (status.Length > 0 ? "; " + status + " " + AcknowledgmentCodes.Status(status) : "")
                + (entity.Length > 0 ? " (" + AcknowledgmentCodes.Entity(entity) + ")" : "");
            yield return new ClaimStatus(category, status, entity, AcknowledgmentCodes.CategoryOutcome(category), category + " " + text);
        }
    }

    private static AckOutcome AckOutcomeOf(string code) => code switch
    {
        "A" or "E" => AckOutcome.Accepted,
        _ => AckOutcome.Rejected,
    };

    private static string Describe(SegmentError e) =>
        $"segment {e.SegmentId} at position {e.Position}{(e.LoopId.Length > 0 ? " in loop " + e.LoopId : "")}: {e.Text}"
        + string.Concat(e.Elements.Select(x => $"; element {x.Position}: {x.Text}"));

    private static string Describe(string head, IEnumerable<string> details)
    {
        var list = details.ToList();
        return list.Count == 0 ? head : head + ": " + string.Join("; ", list);
    }

    private static AcknowledgmentParseResult Fail(string error) => new([], error);

    private sealed class ClaimBuilder(string trace)
    {
        public ImmutableArray<ClaimStatus>.Builder Statuses { get; } = ImmutableArray.CreateBuilder<ClaimStatus>();

        public string? PayerClaimNumber { get; set; }

        public string? ClearinghouseTrace { get; set; }

        public decimal? Charge { get; set; }

        public ClaimAcknowledgment Build()
        {
            var outcome = Statuses.Any(s => s.Outcome == AckOutcome.Rejected) ? AckOutcome.Rejected
                : Statuses.Any(s => s.Outcome == AckOutcome.Accepted) ? AckOutcome.Accepted
                : AckOutcome.Other;
            PatientControlNumber? number = PatientControlNumber.TryParse(trace, out var parsed) ? parsed : null;
            var reason = Statuses.Count == 0 ? "no claim status (STC) given" : string.Join("; ", Statuses.Select(s => s.Text));
            return new ClaimAcknowledgment(trace, number, PayerClaimNumber, ClearinghouseTrace, Charge, outcome, Statuses.ToImmutable(), reason);
        }
    }
}
