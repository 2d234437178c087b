using System.Buffers;
using System.Collections.Immutable;
using System.Text.Json;
using Claims.Core.Fhir;

namespace Claims.Core.Rules;

/// <summary>
/// A tenant's rule set as a document (docs/RULES.md): the ordered rules (readable or kept-verbatim unreadable ones)
/// and the tests it carries. Created by <see cref="Parse(ReadOnlySpan{byte})"/>; written back by <see cref="ToJson"/>.
/// </summary>
public sealed class RuleSetDocument
{
    /// <summary>The tag a hold applies.</summary>
    public const string HoldTag = "Hold";

    internal RuleSetDocument(string? version, ImmutableArray<RuleEntry> rules, ImmutableArray<RuleSetTestCase> tests)
    {
        Version = version;
        Rules = rules;
        Tests = tests;
    }

    /// <summary>The version the document was read with (read-only; the server sets it on save).</summary>
    public string? Version { get; }

    public IReadOnlyList<RuleEntry> Rules { get; }

    public IReadOnlyList<RuleSetTestCase> Tests { get; }

    /// <summary>
    /// Reads and validates a rule-set document. Never throws on bad input: every problem is an issue with its JSON
    /// path; invalid JSON gives one issue with code "structure" and no document. Rules and tests with problems are
    /// still in the document as unreadable entries (so a stored document always loads).
    /// </summary>
    public static RuleSetParseResult Parse(ReadOnlySpan<byte> json) => RuleSetReader.Read(json, previous: null);

    /// <summary>
    /// Validates a document a client wants to save over <paramref name="previous"/>: a rule or test that the previous
    /// version already held as unreadable, sent back unchanged (same JSON, whitespace aside), is kept without an issue.
    /// </summary>
    public static RuleSetParseResult Parse(ReadOnlySpan<byte> json, RuleSetDocument? previous) => RuleSetReader.Read(json, previous);

    /// <summary>Writes the document with <paramref name="version"/>: the rules (unreadable ones verbatim) and the tests.</summary>
    public byte[] ToJson(string version)
    {
        ArgumentNullException.ThrowIfNull(version);
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            RuleSetWriter.Write(writer, this, version);
        }

        return buffer.WrittenSpan.ToArray();
    }
}

/// <summary>The result of <see cref="RuleSetDocument.Parse(ReadOnlySpan{byte})"/>: the document (null for invalid JSON) and every issue.</summary>
public sealed record RuleSetParseResult(RuleSetDocument? Document, IReadOnlyList<OutcomeIssue> Issues)
{
    /// <summary>True when the document may be saved: it was read and has no issue.</summary>
    public bool IsValid => Document is not null && Issues.Count == 0;
}
