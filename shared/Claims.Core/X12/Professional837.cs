using System.Collections.Immutable;
using System.Globalization;
using System.Text;

namespace Claims.Core.X12;

/// <summary>Where one claim went in an interchange: what a 999 (ST02) or a 277CA (CLM01) answer leads back to.</summary>
public sealed record X12ClaimPlacement(PatientControlNumber ControlNumber, long InterchangeControlNumber, long GroupControlNumber, long TransactionControlNumber);

/// <summary>The problems of one claim (or of the profile/envelope, with a null control number).</summary>
public sealed record X12ClaimProblems(PatientControlNumber? ControlNumber, ImmutableArray<X12Problem> Problems);

/// <summary>An 837P interchange, or why none was written: never an invalid one.</summary>
public sealed record Professional837Result(string? Interchange, ImmutableArray<X12ClaimPlacement> Placements, ImmutableArray<X12ClaimProblems> Problems)
{
    public bool IsSuccess => Interchange is not null;
}

/// <summary>
/// The 837 Health Care Claim: Professional, 005010X222A1. <see cref="Validate"/> lists every element the 837P needs
/// and a claim lacks; <see cref="Write(SubmitterProfile, X12Envelope, IReadOnlyList{ProfessionalTransaction})"/>
/// writes an interchange (ISA/GS, one ST/SE per transaction, each claim its own 2000A/2000B[/2000C] chain) only when no
/// claim has a problem. Delimiters: segment <c>~</c>, element <c>*</c>, component <c>:</c>, repetition <c>^</c>.
/// Pure: the clock and the control numbers come from the caller.
/// </summary>
public static class Professional837
{
    public const string Version = "005010X222A1";

    /// <summary>Every problem that keeps this claim out of an 837P (empty: it can be submitted).</summary>
    public static ImmutableArray<X12Problem> Validate(ProfessionalClaim claim, SubmitterProfile profile)
    {
        ArgumentNullException.ThrowIfNull(claim);
        ArgumentNullException.ThrowIfNull(profile);
        var problems = new List<X12Problem>();
        ProfileProblems(profile, problems);
        ProfessionalClaimMapper.Map(claim, profile, problems);
        return [.. problems];
    }

    /// <summary>Every problem of the submitter profile alone (as <see cref="Validate"/> reports them: <c>SubmitterProfile.*</c>).</summary>
    public static ImmutableArray<X12Problem> ValidateProfile(SubmitterProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var problems = new List<X12Problem>();
        ProfileProblems(profile, problems);
        return [.. problems];
    }

    /// <summary>One interchange with one transaction set holding <paramref name="claims"/>.</summary>
    public static Professional837Result Write(SubmitterProfile profile, X12Envelope envelope, long transactionControlNumber, params IReadOnlyList<ProfessionalClaim> claims) =>
        Write(profile, envelope, [new ProfessionalTransaction(transactionControlNumber, claims)]);

    /// <summary>One interchange, one functional group, the given transaction sets; null text and every problem when
    /// any claim, the profile or the envelope is not fit for an 837P.</summary>
    public static Professional837Result Write(SubmitterProfile profile, X12Envelope envelope, IReadOnlyList<ProfessionalTransaction> transactions)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(envelope);
        ArgumentNullException.ThrowIfNull(transactions);

        var general = new List<X12Problem>();
        ProfileProblems(profile, general);
        EnvelopeProblems(envelope, transactions, general);
        var claimProblems = ImmutableArray.CreateBuilder<X12ClaimProblems>();
        var mapped = new List<List<MappedClaim>>(transactions.Count);
        foreach (var transaction in transactions)
        {
            var claims = new List<MappedClaim>(transaction.Claims.Count);
            foreach (var claim in transaction.Claims)
            {
                var problems = new List<X12Problem>();
                if (ProfessionalClaimMapper.Map(claim, profile, problems) is { } ok)
                {
                    claims.Add(ok);
                }
                else
                {
                    claimProblems.Add(new X12ClaimProblems(claim.ControlNumber, [.. problems]));
                }
            }

            mapped.Add(claims);
        }

        if (general.Count > 0)
        {
            claimProblems.Insert(0, new X12ClaimProblems(null, [.. general]));
        }

        if (claimProblems.Count > 0)
        {
            return new Professional837Result(null, [], claimProblems.ToImmutable());
        }

        var placements = ImmutableArray.CreateBuilder<X12ClaimPlacement>();
        var writer = new SegmentWriter(new StringBuilder(1024 + (transactions.Sum(t => t.Claims.Count) * 1200)));
        WriteInterchange(writer, profile, envelope, transactions, mapped, placements);
        return new Professional837Result(writer.Text.ToString(), placements.ToImmutable(), []);
    }

    private static void WriteInterchange(
        SegmentWriter w, SubmitterProfile profile, X12Envelope envelope, IReadOnlyList<ProfessionalTransaction> transactions,
        List<List<MappedClaim>> mapped, ImmutableArray<X12ClaimPlacement>.Builder placements)
    {
        var at = envelope.CreatedAt;
        var isa13 = envelope.InterchangeControlNumber.ToString("D9", CultureInfo.InvariantCulture);
        var gs06 = envelope.GroupControlNumber.ToString(CultureInfo.InvariantCulture);
        w.Write(
            "ISA", "00", "          ", "00", "          ",
            profile.SenderQualifier, profile.SenderId.PadRight(15), profile.ReceiverQualifier, profile.ReceiverId.PadRight(15),
            at.ToString("yyMMdd", CultureInfo.InvariantCulture), at.ToString("HHmm", CultureInfo.InvariantCulture),
            X12Delimiters.Repetition.ToString(), "00501", isa13, profile.RequestInterchangeAcknowledgment ? "1" : "0",
            profile.TestIndicator ? "T" : "P", X12Delimiters.Component.ToString());
        w.Write(
            "GS", "HC", profile.ApplicationSenderCode ?? profile.SenderId, profile.ApplicationReceiverCode ?? profile.ReceiverId,
            at.ToString("yyyyMMdd", CultureInfo.InvariantCulture), at.ToString("HHmm", CultureInfo.InvariantCulture), gs06, "X", Version);
        for (var t = 0; t < transactions.Count; t++)
        {
            var st02 = transactions[t].TransactionControlNumber.ToString("D4", CultureInfo.InvariantCulture);
            var start = w.Count;
            w.Write("ST", "837", st02, Version);
            w.Write("BHT", "0019", "00", st02, at.ToString("yyyyMMdd", CultureInfo.InvariantCulture), at.ToString("HHmm", CultureInfo.InvariantCulture), "CH");
            Submitter(w, profile);
            var hl = 0;
            foreach (var claim in mapped[t])
            {
                WriteClaim(w, claim, ref hl);
                placements.Add(new X12ClaimPlacement(claim.ControlNumber, envelope.InterchangeControlNumber, envelope.GroupControlNumber, transactions[t].TransactionControlNumber));
            }

            w.Write("SE", (w.Count - start + 1).ToString(CultureInfo.InvariantCulture), st02);
        }

        w.Write("GE", transactions.Count.ToString(CultureInfo.InvariantCulture), gs06);
        w.Write("IEA", "1", isa13);
    }

    private static void Submitter(SegmentWriter w, SubmitterProfile profile)
    {
        w.Write("NM1", "41", "2", X12Text.Clean(profile.SubmitterName, 60), "", "", "", "", "46", X12Text.Id(profile.SubmitterId));
        var phone = X12Text.Digits(profile.ContactPhone);
        var email = X12Text.Id(profile.ContactEmail);
        var contact = X12Text.Clean(profile.ContactName, 60);
        if (phone.Length > 0)
        {
            w.Write("PER", "IC", contact, "TE", phone, email is null ? null : "EM", email);
        }
        else
        {
            w.Write("PER", "IC", contact, "EM", email);
        }

        w.Write("NM1", "40", "2", X12Text.Clean(profile.ReceiverName, 60), "", "", "", "", "46", X12Text.Id(profile.ReceiverEtin ?? profile.ReceiverId));
    }

    private static void WriteClaim(SegmentWriter w, MappedClaim c, ref int hl)
    {
        // 2000A billing provider
        var billingHl = ++hl;
        w.Write("HL", Number(billingHl), "", "20", "1");
        if (c.BillingTaxonomy is not null)
        {
            w.Write("PRV", "BI", "PXC", c.BillingTaxonomy);
        }

        Name(w, "85", c.BillingName, "XX", c.BillingNpi);
        Address(w, c.BillingAddress);
        w.Write("REF", "EI", c.BillingTin);

        // 2000B subscriber
        var subscriberHl = ++hl;
        w.Write("HL", Number(subscriberHl), Number(billingHl), "22", c.Patient is null ? "0" : "1");
        w.Write("SBR", c.PayerResponsibility, c.Patient is null ? "18" : null, c.GroupNumber, c.GroupName, "", "", "", "", c.FilingIndicator);
        Name(w, "IL", c.Subscriber.Name, "MI", c.MemberId);
        if (c.Patient is null)
        {
            // 2010BA N3/N4/DMG: required when the subscriber is the patient, not sent otherwise.
            Address(w, c.Subscriber.Address!);
            w.Write("DMG", "D8", X12Text.Date(c.Subscriber.BirthDate!.Value), c.Subscriber.Gender);
        }

        w.Write("NM1", "PR", "2", c.PayerName, "", "", "", "", "PI", c.PayerId);

        // 2000C patient, when not the subscriber
        if (c.Patient is { } patient)
        {
            w.Write("HL", Number(++hl), Number(subscriberHl), "23", "0");
            w.Write("PAT", c.PatientRelationship);
            Name(w, "QC", patient.Name, null, null);
            Address(w, patient.Address!);
            w.Write("DMG", "D8", X12Text.Date(patient.BirthDate!.Value), patient.Gender);
        }

        // 2300 claim
        w.Write(
            "CLM", c.ControlNumber.Value, X12Text.Decimal(c.Total), "", "",
            SegmentWriter.Composite(c.PlaceOfService, "B", ((int)c.Frequency).ToString(CultureInfo.InvariantCulture)),
            "Y", "A", "Y", "Y");
        // REF*G1 before REF*F8: the order of the X222A1 2300 loop.
        if (c.PriorAuthorization is not null)
        {
            w.Write("REF", "G1", c.PriorAuthorization);
        }

        if (c.PayerClaimControlNumber is not null)
        {
            w.Write("REF", "F8", c.PayerClaimControlNumber);
        }

        Diagnoses(w, c.Diagnoses);

        // 2310B rendering provider
        if (c.Rendering is not null)
        {
            Name(w, "82", c.Rendering, "XX", c.RenderingNpi);
            if (c.RenderingTaxonomy is not null)
            {
                w.Write("PRV", "PE", "PXC", c.RenderingTaxonomy);
            }
        }

        // 2310C service facility location
        if (c.Facility is { } facility)
        {
            w.Write("NM1", "77", "2", facility.Name, "", "", "", "", facility.Npi is null ? null : "XX", facility.Npi);
            Address(w, facility.Address);
        }

        // 2400 service lines
        for (var i = 0; i < c.Lines.Count; i++)
        {
            var line = c.Lines[i];
            w.Write("LX", Number(i + 1));
            var m = line.Modifiers;
            w.Write(
                "SV1",
                SegmentWriter.Composite("HC", line.Code, m.Count > 0 ? m[0] : null, m.Count > 1 ? m[1] : null, m.Count > 2 ? m[2] : null, m.Count > 3 ? m[3] : null),
                X12Text.Decimal(line.Charge), "UN", X12Text.Decimal(line.Units),
                line.PlaceOfService == c.PlaceOfService ? null : line.PlaceOfService, "",
                Pointers(line.Pointers));
            w.Write(
                "DTP", "472",
                line.From == line.To ? "D8" : "RD8",
                line.From == line.To ? X12Text.Date(line.From) : X12Text.Date(line.From) + "-" + X12Text.Date(line.To));
        }
    }

    private static void Name(SegmentWriter w, string entity, X12Name name, string? qualifier, string? id) =>
        w.Write("NM1", entity, name.IsPerson ? "1" : "2", name.Last, name.First, name.Middle, "", name.Suffix, id is null ? null : qualifier, id);

    private static void Address(SegmentWriter w, X12Address address)
    {
        w.Write("N3", address.Line1, address.Line2);
        w.Write("N4", address.City, address.State, address.PostalCode);
    }

    private static void Diagnoses(SegmentWriter w, IReadOnlyList<string> codes)
    {
        Span<string?> elements = new string?[codes.Count];
        for (var i = 0; i < codes.Count; i++)
        {
            elements[i] = (i == 0 ? "ABK" : "ABF") + X12Delimiters.Component + codes[i];
        }

        w.Write("HI", elements);
    }

    private static string Pointers(IReadOnlyList<int> pointers) => string.Join(X12Delimiters.Component, pointers.Select(Number));

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static void ProfileProblems(SubmitterProfile p, List<X12Problem> problems)
    {
        void Check(bool ok, string setting, string problem, string x12)
        {
            if (!ok)
            {
                problems.Add(new X12Problem("SubmitterProfile." + setting, problem, x12));
            }
        }

        Check(IsIdOfLength(p.SenderId, 1, 15), nameof(p.SenderId), "interchange sender id must be 1-15 characters", "ISA06");
        Check(IsIdOfLength(p.ReceiverId, 1, 15), nameof(p.ReceiverId), "interchange receiver id must be 1-15 characters", "ISA08");
        Check(IsIdOfLength(p.SenderQualifier, 2, 2), nameof(p.SenderQualifier), "interchange id qualifier must be 2 characters", "ISA05");
        Check(IsIdOfLength(p.ReceiverQualifier, 2, 2), nameof(p.ReceiverQualifier), "interchange id qualifier must be 2 characters", "ISA07");
        // GS02/GS03 and 1000B NM109 default to the ISA ids; each is checked where it is set, so one bad id is one problem.
        Check(p.ApplicationSenderCode is null ? p.SenderId?.Length != 1 : IsIdOfLength(p.ApplicationSenderCode, 2, 15), nameof(p.ApplicationSenderCode), "application sender code must be 2-15 characters", "GS02");
        Check(p.ApplicationReceiverCode is null ? p.ReceiverId?.Length != 1 : IsIdOfLength(p.ApplicationReceiverCode, 2, 15), nameof(p.ApplicationReceiverCode), "application receiver code must be 2-15 characters", "GS03");
        Check(X12Text.Clean(p.SubmitterName, 60) is not null, nameof(p.SubmitterName), "submitter name missing", "1000A NM1*41 NM103");
        Check(IsIdOfLength(p.SubmitterId, 2, 80), nameof(p.SubmitterId), "submitter id (ETIN) must be 2-80 characters", "1000A NM1*41 NM109");
        Check(X12Text.Clean(p.ContactName, 60) is not null, nameof(p.ContactName), "submitter contact name missing", "1000A PER02");
        Check(X12Text.Digits(p.ContactPhone).Length is >= 10 and <= 256 || X12Text.Id(p.ContactEmail) is not null, nameof(p.ContactPhone), "submitter contact phone (10+ digits) or e-mail missing", "1000A PER04");
        Check(X12Text.Clean(p.ReceiverName, 60) is not null, nameof(p.ReceiverName), "receiver name missing", "1000B NM1*40 NM103");
        Check(p.ReceiverEtin is null ? p.ReceiverId?.Length != 1 : IsIdOfLength(p.ReceiverEtin, 2, 80), nameof(p.ReceiverEtin), "receiver id must be 2-80 characters", "1000B NM1*40 NM109");
    }

    private static void EnvelopeProblems(X12Envelope e, IReadOnlyList<ProfessionalTransaction> transactions, List<X12Problem> problems)
    {
        const long Max = 999_999_999;
        if (e.InterchangeControlNumber is < 1 or > Max)
        {
            problems.Add(new X12Problem("X12Envelope.InterchangeControlNumber", "must be 1-999999999", "ISA13"));
        }

        if (e.GroupControlNumber is < 1 or > Max)
        {
            problems.Add(new X12Problem("X12Envelope.GroupControlNumber", "must be 1-999999999", "GS06"));
        }

        if (transactions.Count == 0 || transactions.Any(t => t.Claims.Count == 0))
        {
            problems.Add(new X12Problem("ProfessionalTransaction.Claims", "a transaction set needs at least one claim", "ST"));
        }

        var numbers = transactions.SelectMany(t => t.Claims).Select(c => c.ControlNumber.Value).Where(v => v is not null).ToList();
        if (numbers.Distinct(StringComparer.Ordinal).Count() != numbers.Count)
        {
            // Two claims with one patient control number could not be told apart in the 277CA.
            problems.Add(new X12Problem("ProfessionalClaim.ControlNumber", "the same patient control number twice in one interchange", "2300 CLM01"));
        }

        if (transactions.Any(t => t.TransactionControlNumber is < 1 or > Max) || transactions.Select(t => t.TransactionControlNumber).Distinct().Count() != transactions.Count)
        {
            problems.Add(new X12Problem("ProfessionalTransaction.TransactionControlNumber", "must be 1-999999999 and unique in the interchange", "ST02"));
        }
    }

    private static bool IsIdOfLength(string? value, int min, int max) =>
        X12Text.Id(value) is { } id && id == value && id.Length >= min && id.Length <= max;
}
