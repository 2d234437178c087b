using Claims.Core.X12;
using Claims.Testing;

namespace Claims.Core.Tests.X12;

/// <summary>
/// Acknowledgments written for these tests from the 999 (005010X231A1) and 277CA (005010X214) maps, since
/// ../shared/data has no 999 or 277CA sample; <see cref="AcknowledgmentTests"/> walks them through those maps.
/// They answer the interchange of <see cref="Professional837Tests.Write_Batch_NumbersHierarchicalLevelsAcrossClaimsAndTransactions"/>
/// (ISA13 905, GS06 17, ST02 0041 and 0042).
/// </summary>
internal static class AckFixtures
{
    public static string Pcn(int n) => PatientControlNumber.For(X12Fixtures.ClaimId(n)).Value;

    public static string Ta1Rejected =>
        "ISA*00*          *00*          *ZZ*CLEARHOUSE     *ZZ*CLAIMSFN01     *261206*0431*^*00501*000000501*0*T*:~\n" +
        "TA1*000000905*261206*0430*R*006~\n" +
        "IEA*0*000000501~\n";

    public static string Ack999 => Envelope("FA", "005010X231A1", 777,
        "ST*999*0001*005010X231A1~",
        "AK1*HC*17*005010X222A1~",
        "AK2*837*0041*005010X222A1~",
        "IK5*A~",
        "AK2*837*0042*005010X222A1~",
        "IK3*NM1*8*2010*8~",
        $"CTX*CLM01:{Pcn(3)}~",
        "IK4*9*67*7*123~",
        "IK5*R*5~",
        "AK9*P*2*2*1~");

    public static string Ack999GroupRejected => Envelope("FA", "005010X231A1", 778,
        "ST*999*0002*005010X231A1~",
        "AK1*HC*18*005010X222A1~",
        "AK9*R*1*0*0*5~");

    public static string Ack277CA => Envelope("HN", "005010X214", 321,
        [
            .. X12AckFiles.Header277CA("0041"),
            "HL*4*3*PT~",
            "NM1*QC*1*DOE*JAMIE****MI*W123456789~",
            $"TRN*2*{Pcn(1)}~",
            "STC*A2:20:PR*20261207*WQ*62.5~",
            "REF*1K*PAYERCLAIM0001~",
            "REF*D9*CHTRACE0001~",
            "DTP*472*D8*20261101~",
            "HL*5*3*PT~",
            "NM1*QC*1*DOE*JAMIE****MI*W123456789~",
            $"TRN*2*{Pcn(2).ToLowerInvariant()}~",
            "STC*A7:562:85*20261207*U*62.5*******A6:164:IL~",
            "REF*D9*CHTRACE0002~",
            "DTP*472*RD8*20261101-20261102~",
            "SVC*HC:97153*25*****1~",
            "STC*A7:454*20261207*U~",
            "DTP*472*D8*20261101~",
        ]);

    /// <summary>Wraps transaction-set segments into ISA/GS…GE/IEA with correct SE, GE and IEA counts.</summary>
    public static string Envelope(string functional, string version, int control, params string[] body) => X12AckFiles.Envelope(functional, version, control, body);
}
