using System.Collections.Frozen;

namespace Claims.Core.X12;

/// <summary>
/// Readable text for the codes acknowledgments carry: TA1 note codes (I18), 999 acknowledgment and syntax error codes
/// (715/717/716/718/620/621), and the 277CA claim status category (507), status (508) and entity (98) codes most
/// often seen on front-end rejections. A code not in these tables is named as such, never dropped.
/// </summary>
public static class AcknowledgmentCodes
{
    private static readonly FrozenDictionary<string, string> InterchangeNotes = new Dictionary<string, string>
    {
        ["000"] = "No error",
        ["001"] = "The interchange control number in the header and trailer do not match",
        ["002"] = "This standard as noted in the control standards identifier is not supported",
        ["003"] = "This version of the controls is not supported",
        ["004"] = "The segment terminator is invalid",
        ["005"] = "Invalid interchange id qualifier for sender",
        ["006"] = "Invalid interchange sender id",
        ["007"] = "Invalid interchange id qualifier for receiver",
        ["008"] = "Invalid interchange receiver id",
        ["009"] = "Unknown interchange receiver id",
        ["010"] = "Invalid authorization information qualifier value",
        ["011"] = "Invalid authorization information value",
        ["012"] = "Invalid security information qualifier value",
        ["013"] = "Invalid security information value",
        ["014"] = "Invalid interchange date value",
        ["015"] = "Invalid interchange time value",
        ["016"] = "Invalid interchange standards identifier value",
        ["017"] = "Invalid interchange version id value",
        ["018"] = "Invalid interchange control number value",
        ["019"] = "Invalid acknowledgment requested value",
        ["020"] = "Invalid test indicator value",
        ["021"] = "Invalid number of included groups value",
        ["022"] = "Invalid control structure",
        ["023"] = "Improper (premature) end-of-file (transmission)",
        ["024"] = "Invalid interchange content (e.g. invalid GS segment)",
        ["025"] = "Duplicate interchange control number",
        ["026"] = "Invalid data element separator",
        ["027"] = "Invalid component element separator",
    }.ToFrozenDictionary();

    private static readonly FrozenDictionary<string, string> AckCodes = new Dictionary<string, string>
    {
        ["A"] = "Accepted",
        ["E"] = "Accepted but errors were noted",
        ["M"] = "Rejected, message authentication code (MAC) failed",
        ["P"] = "Partially accepted, at least one transaction set was rejected",
        ["R"] = "Rejected",
        ["W"] = "Rejected, assurance failed validity tests",
        ["X"] = "Rejected, content after decryption could not be analyzed",
    }.ToFrozenDictionary();

    private static readonly FrozenDictionary<string, string> GroupErrors = new Dictionary<string, string>
    {
        ["1"] = "Functional group not supported",
        ["2"] = "Functional group version not supported",
        ["3"] = "Functional group trailer missing",
        ["4"] = "Group control number in the functional group header and trailer do not agree",
        ["5"] = "Number of included transaction sets does not match actual count",
        ["6"] = "Group control number violates syntax",
        ["19"] = "Functional group control number not unique within interchange",
    }.ToFrozenDictionary();

    private static readonly FrozenDictionary<string, string> TransactionErrors = new Dictionary<string, string>
    {
        ["1"] = "Transaction set not supported",
        ["2"] = "Transaction set trailer missing",
        ["3"] = "Transaction set control number in header and trailer do not match",
        ["4"] = "Number of included segments does not match actual count",
        ["5"] = "One or more segments in error",
        ["6"] = "Missing or invalid transaction set identifier",
        ["7"] = "Missing or invalid transaction set control number",
        ["18"] = "Transaction set not in functional group",
        ["19"] = "Invalid transaction set implementation convention reference",
        ["23"] = "Transaction set control number not unique within the functional group",
        ["I5"] = "Implementation one or more segments in error",
        ["I6"] = "Implementation convention not supported",
    }.ToFrozenDictionary();

    private static readonly FrozenDictionary<string, string> SegmentErrors = new Dictionary<string, string>
    {
        ["1"] = "Unrecognized segment id",
        ["2"] = "Unexpected segment",
        ["3"] = "Required segment missing",
        ["4"] = "Loop occurs over maximum times",
        ["5"] = "Segment exceeds maximum use",
        ["6"] = "Segment not in defined transaction set",
        ["7"] = "Segment not in proper sequence",
        ["8"] = "Segment has data element errors",
        ["I4"] = "Implementation \"not used\" segment present",
        ["I6"] = "Implementation dependent segment missing",
        ["I7"] = "Implementation loop occurs under minimum times",
        ["I8"] = "Implementation segment below minimum use",
        ["I9"] = "Implementation dependent \"not used\" segment present",
    }.ToFrozenDictionary();

    private static readonly FrozenDictionary<string, string> ElementErrors = new Dictionary<string, string>
    {
        ["1"] = "Required data element missing",
        ["2"] = "Conditional required data element missing",
        ["3"] = "Too many data elements",
        ["4"] = "Data element too short",
        ["5"] = "Data element too long",
        ["6"] = "Invalid character in data element",
        ["7"] = "Invalid code value",
        ["8"] = "Invalid date",
        ["9"] = "Invalid time",
        ["10"] = "Exclusion condition violated",
        ["12"] = "Too many repetitions",
        ["13"] = "Too many components",
        ["I6"] = "Code value not used in implementation",
        ["I9"] = "Implementation dependent data element missing",
        ["I10"] = "Implementation \"not used\" data element present",
        ["I11"] = "Implementation too few repetitions",
        ["I12"] = "Implementation pattern match failure",
        ["I13"] = "Implementation dependent \"not used\" data element present",
    }.ToFrozenDictionary();

    private static readonly FrozenDictionary<string, string> Categories = new Dictionary<string, string>
    {
        ["A0"] = "Acknowledgement/Forwarded: the claim was forwarded to another entity",
        ["A1"] = "Acknowledgement/Receipt: the claim was received",
        ["A2"] = "Acknowledgement/Acceptance into adjudication system",
        ["A3"] = "Acknowledgement/Returned as unprocessable claim",
        ["A4"] = "Acknowledgement/Not found",
        ["A5"] = "Acknowledgement/Split claim",
        ["A6"] = "Acknowledgement/Rejected for missing information",
        ["A7"] = "Acknowledgement/Rejected for invalid information",
        ["A8"] = "Acknowledgement/Rejected for relational field in error",
        ["E0"] = "Response not possible: error on submitted request data",
        ["E1"] = "Response not possible: system status",
        ["P1"] = "Pending/In process",
    }.ToFrozenDictionary();

    private static readonly FrozenDictionary<string, string> Statuses = new Dictionary<string, string>
    {
        ["0"] = "Cannot provide further status electronically",
        ["19"] = "Entity acknowledges receipt of claim/encounter",
        ["20"] = "Accepted for processing",
        ["21"] = "Missing or invalid information",
        ["23"] = "Returned to entity",
        ["24"] = "Entity not approved as an electronic submitter",
        ["25"] = "Entity not approved",
        ["26"] = "Entity not found",
        ["33"] = "Subscriber and subscriber id not found",
        ["35"] = "Claim/encounter not found",
        ["116"] = "Claim submitted to the incorrect payer",
        ["128"] = "Entity's tax id",
        ["145"] = "Entity's specialty/taxonomy code",
        ["158"] = "Entity's date of birth",
        ["164"] = "Entity's contract/member number",
        ["187"] = "Date(s) of service",
        ["247"] = "Line information",
        ["254"] = "Principal diagnosis code",
        ["255"] = "Diagnosis code",
        ["400"] = "Claim is out of balance",
        ["454"] = "Procedure code for services rendered",
        ["464"] = "Payer assigned claim control number",
        ["562"] = "Entity's National Provider Identifier (NPI)",
    }.ToFrozenDictionary();

    private static readonly FrozenDictionary<string, string> Entities = new Dictionary<string, string>
    {
        ["03"] = "dependent",
        ["1P"] = "provider",
        ["40"] = "receiver",
        ["41"] = "submitter",
        ["77"] = "service location",
        ["82"] = "rendering provider",
        ["85"] = "billing provider",
        ["IL"] = "subscriber",
        ["PR"] = "payer",
        ["QC"] = "patient",
    }.ToFrozenDictionary();

    public static string InterchangeNote(string code) => Text(InterchangeNotes, code, "interchange note code");

    public static string Acknowledgment(string code) => Text(AckCodes, code, "acknowledgment code");

    public static string GroupError(string code) => Text(GroupErrors, code, "functional group error code");

    public static string TransactionError(string code) => Text(TransactionErrors, code, "transaction set error code");

    public static string SegmentError(string code) => Text(SegmentErrors, code, "segment error code");

    public static string ElementError(string code) => Text(ElementErrors, code, "data element error code");

    public static string Category(string code) => Text(Categories, code, "claim status category code");

    public static string Status(string code) => Text(Statuses, code, "claim status code");

    public static string Entity(string code) => Text(Entities, code, "entity code");

    /// <summary>The outcome a 277CA category code (507) means for the claim.</summary>
    public static AckOutcome CategoryOutcome(string category) => category switch
    {
        "A0" or "A1" or "A2" or "A5" => AckOutcome.Accepted,
        "A3" or "A4" or "A6" or "A7" or "A8" or "E0" => AckOutcome.Rejected,
        _ => AckOutcome.Other,
    };

    private static string Text(FrozenDictionary<string, string> table, string code, string kind) =>
        table.TryGetValue(code, out var text) ? text : $"{kind} {code}";
}
