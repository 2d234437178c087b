using System.Globalization;

namespace Claims.Testing;

/// <summary>
/// The pieces of the acknowledgment files the tests write from the 999 (005010X231A1) and 277CA (005010X214) maps
/// (../shared/data has no 999 or 277CA sample): the interchange envelope and the 277CA's levels above the claims.
/// </summary>
public static class X12AckFiles
{
    /// <summary>Wraps transaction-set segments into ISA/GS…GE/IEA (from the clearinghouse to us) with correct SE, GE and
    /// IEA counts; <paramref name="control"/> is ISA13 and GS06.</summary>
    public static string Envelope(string functional, string version, int control, params string[] body)
    {
        ArgumentNullException.ThrowIfNull(body);
        var isa13 = control.ToString("D9", CultureInfo.InvariantCulture);
        var lines = new List<string>
        {
            $"ISA*00*          *00*          *ZZ*CLEARHOUSE     *ZZ*CLAIMSFN01     *261207*0815*^*00501*{isa13}*0*T*:~",
            $"GS*{functional}*CLEARHOUSE*CLAIMSFN01*20261207*0815*{control}*X*{version}~",
        };
        lines.AddRange(body);
        var st02 = body[0].Split('*')[2].TrimEnd('~');
        lines.Add($"SE*{body.Length + 1}*{st02}~");
        lines.Add($"GE*1*{control}~");
        lines.Add($"IEA*1*{isa13}~");
        return string.Join("\n", lines) + "\n";
    }

    /// <summary>A 277CA from ST to the billing provider's status (2000A/2100A source, 2000B/2200B receiver with TRN02 =
    /// <paramref name="trace"/>, the BHT03 of the 837 it answers, 2000C/2200C provider); the 2000D/2200D claim loops follow.</summary>
    public static string[] Header277CA(string trace) =>
    [
        "ST*277*0001*005010X214~",
        "BHT*0085*08*277CA0001*20261207*0815*TH~",
        "HL*1**20*1~",
        "NM1*AY*2*EXAMPLE CLEARINGHOUSE*****46*CLEARHOUSE~",
        "TRN*1*CH20261207001~",
        "DTP*050*D8*20261207~",
        "DTP*009*D8*20261207~",
        "HL*2*1*21*1~",
        "NM1*41*2*DEMO CLINIC BILLING*****46*SUB12345~",
        $"TRN*2*{trace}~",
        "STC*A1:19:PR*20261207*WQ*125~",
        "QTY*90*1~",
        "QTY*AA*1~",
        "AMT*YU*62.5~",
        "AMT*YY*62.5~",
        "HL*3*2*19*1~",
        "NM1*85*2*BRIGHT FUTURES ABA THERAPY, LLC*****XX*1234567893~",
        "TRN*1*1~",
        "STC*A1:19:85**WQ*125~",
    ];
}
