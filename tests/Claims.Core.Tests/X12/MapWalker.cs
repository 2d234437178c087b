using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Claims.Core.X12;

namespace Claims.Core.Tests.X12;

/// <summary>
/// Walks an X12 interchange through a pyx12 implementation-guide map (../shared/data/x12-maps): every segment must
/// fit the map at its place (loops entered by their first segment, qualifiers from the first element's code list, HL
/// by HL03), required segments and loops present, segment uses and loop repeats within their maxima, each element's
/// usage (R present, N absent), type, min/max length (dataele.xml), code values (the map's or codes.xml's lists) and
/// the segment syntax rules (P, R, C, E, L). Test code only: it is how we check the generator against the guide, not
/// against itself.
/// </summary>
internal sealed partial class MapWalker
{
    private readonly MapLoop _root;
    private readonly Dictionary<string, (string Type, int Min, int Max)> _dataElements;
    private readonly Dictionary<string, HashSet<string>> _codeLists;

    private MapWalker(MapLoop root, Dictionary<string, (string, int, int)> dataElements, Dictionary<string, HashSet<string>> codeLists)
    {
        _root = root;
        _dataElements = dataElements;
        _codeLists = codeLists;
    }

    public static MapWalker Load(string mapsFolder, string mapFile)
    {
        var map = XDocument.Load(Path.Combine(mapsFolder, mapFile)).Root!;
        var root = new MapLoop("(root)", "R", int.MaxValue, [.. map.Elements("loop").Select(ReadLoop)]);
        // dataele.xml lists a few elements twice (identical rows): the first wins.
        var dataElements = XDocument.Load(Path.Combine(mapsFolder, "dataele.xml")).Root!.Elements("data_ele")
            .GroupBy(e => (string)e.Attribute("ele_num")!)
            .ToDictionary(g => g.Key, g => ((string)g.First().Attribute("data_type")!, (int)g.First().Attribute("min_len")!, (int)g.First().Attribute("max_len")!));
        var codeLists = XDocument.Load(Path.Combine(mapsFolder, "codes.xml")).Root!.Elements("codeset").ToDictionary(
            c => c.Element("id")!.Value,
            c => c.Descendants("code").Select(x => x.Value).ToHashSet(StringComparer.Ordinal));
        return new MapWalker(root, dataElements, codeLists);
    }

    /// <summary>Every finding for the interchange: empty when it conforms to the map.</summary>
    public List<string> Walk(IReadOnlyList<X12Segment> segments)
    {
        var findings = new List<string>();
        var stack = new List<Frame> { new(_root) };
        foreach (var segment in segments)
        {
            if (!Place(stack, segment, findings))
            {
                findings.Add($"{Where(segment)}: {segment.Id} not expected here (unknown, out of order or wrong qualifier '{Qualifier(segment)}')");
            }
        }

        while (stack.Count > 1)
        {
            Close(stack, findings, null);
        }

        CheckHierarchy(segments, findings);
        return findings;
    }

    private bool Place(List<Frame> stack, X12Segment segment, List<string> findings)
    {
        for (var depth = stack.Count - 1; depth >= 0; depth--)
        {
            var frame = stack[depth];
            for (var i = Math.Max(frame.Index, 0); i < frame.Loop.Children.Count; i++)
            {
                var child = frame.Loop.Children[i];
                if (child is MapSegment s && Matches(s, segment))
                {
                    while (stack.Count - 1 > depth)
                    {
                        Close(stack, findings, segment);
                    }

                    frame.Index = i;
                    var uses = frame.Count(s);
                    if (uses > s.MaxUse)
                    {
                        findings.Add($"{Where(segment)}: {s.Id} ({s.Name}) used {uses} times, at most {s.MaxUse} in loop {frame.Loop.Id}");
                    }

                    CheckElements(s, segment, findings);
                    return true;
                }

                if (child is MapLoop loop && FirstSegment(loop) is { } first && Matches(first, segment))
                {
                    while (stack.Count - 1 > depth)
                    {
                        Close(stack, findings, segment);
                    }

                    frame.Index = i;
                    Enter(stack, loop, segment, findings);
                    return true;
                }
            }
        }

        return false;
    }

    private void Enter(List<Frame> stack, MapLoop loop, X12Segment segment, List<string> findings)
    {
        var parent = stack[^1];
        var repeats = parent.Count(loop);
        if (repeats > loop.Repeat)
        {
            findings.Add($"{Where(segment)}: loop {loop.Id} repeats {repeats} times, at most {loop.Repeat}");
        }

        var frame = new Frame(loop);
        stack.Add(frame);
        var first = loop.Children[0];
        frame.Index = 0;
        if (first is MapLoop inner)
        {
            Enter(stack, inner, segment, findings);
        }
        else
        {
            var s = (MapSegment)first;
            frame.Count(s);
            CheckElements(s, segment, findings);
        }
    }

    private static void Close(List<Frame> stack, List<string> findings, X12Segment? at)
    {
        var frame = stack[^1];
        stack.RemoveAt(stack.Count - 1);
        foreach (var child in frame.Loop.Children)
        {
            if (child.Usage == "R" && frame.Uses(child) == 0 && !(child is MapLoop { Children.Count: 0 }))
            {
                findings.Add($"{(at is null ? "end" : Where(at))}: required {(child is MapLoop ? "loop" : "segment")} {child.Id} ({child.Name}) missing in loop {frame.Loop.Id}");
            }
        }
    }

    private static MapSegment? FirstSegment(MapLoop loop) => loop.Children.Count == 0 ? null : loop.Children[0] switch
    {
        MapSegment s => s,
        MapLoop inner => FirstSegment(inner),
        _ => null,
    };

    private static bool Matches(MapSegment node, X12Segment segment)
    {
        if (node.Id != segment.Id)
        {
            return false;
        }

        var keyPosition = node.Id == "HL" ? 3 : 1;
        var key = node.Elements.FirstOrDefault(e => e.Seq == keyPosition);
        var codes = key switch
        {
            MapElement { Codes: { } c } => c,
            MapComposite { Elements: [{ Codes: { } c }, ..] } => c,
            _ => null,
        };
        if (codes is null)
        {
            return true;
        }

        var value = key is MapComposite ? segment.Component(keyPosition, 1) : segment[keyPosition];
        return codes.Contains(value);
    }

    private static string Qualifier(X12Segment s) => s.Id == "HL" ? s[3] : s.Component(1, 1);

    private void CheckElements(MapSegment node, X12Segment segment, List<string> findings)
    {
        var where = $"{Where(segment)} {segment.Id}";
        var maxSeq = node.Elements.Count == 0 ? 0 : node.Elements.Max(e => e.Seq);
        if (segment.Elements.Count > maxSeq)
        {
            findings.Add($"{where}: {segment.Elements.Count} elements, the map defines {maxSeq}");
        }

        foreach (var element in node.Elements)
        {
            var value = segment[element.Seq];
            var name = $"{where}{element.Seq:00} ({element.Name})";
            if (value.Length == 0)
            {
                if (element.Usage == "R")
                {
                    findings.Add($"{name}: required element missing");
                }

                continue;
            }

            if (element.Usage == "N")
            {
                findings.Add($"{name}: not-used element present");
                continue;
            }

            if (element is MapComposite composite)
            {
                var parts = value.Split(X12Delimiters.Component);
                if (parts.Length > composite.Elements.Count)
                {
                    findings.Add($"{name}: {parts.Length} components, the map defines {composite.Elements.Count}");
                }

                foreach (var sub in composite.Elements)
                {
                    var part = sub.Seq <= parts.Length ? parts[sub.Seq - 1] : "";
                    var subName = $"{name}-{sub.Seq:00} ({sub.Name})";
                    if (part.Length == 0)
                    {
                        if (sub.Usage == "R")
                        {
                            findings.Add($"{subName}: required component missing");
                        }
                    }
                    else if (sub.Usage == "N")
                    {
                        findings.Add($"{subName}: not-used component present");
                    }
                    else
                    {
                        CheckValue(sub, part, subName, findings, segment.Id == "ISA");
                    }
                }
            }
            else if (segment.Id == "ISA" && element.Seq == 11 && segment[12] == "00501")
            {
                // The pyx12 5010 maps keep 4010's ISA11 "U" (standards identifier); in 00501 ISA11 is the repetition
                // separator (X222A1 Appendix C), any character that is not a letter, digit or another delimiter.
                if (value.Length != 1 || char.IsLetterOrDigit(value[0]))
                {
                    findings.Add($"{name}: repetition separator '{value}' is not one special character");
                }
            }
            else
            {
                CheckValue((MapElement)element, value, name, findings, segment.Id == "ISA");
            }
        }

        foreach (var rule in node.Syntax)
        {
            CheckSyntax(rule, segment, where, findings);
        }
    }

    private void CheckValue(MapElement element, string value, string name, List<string> findings, bool fixedWidth)
    {
        if (!_dataElements.TryGetValue(element.DataElement, out var definition))
        {
            return;
        }

        var (type, min, max) = definition;
        var length = type is "R" or "N0" or "N2" ? value.Count(char.IsAsciiDigit) : value.Length;
        if (length < min || length > max)
        {
            findings.Add($"{name}: length {length} outside {min}-{max}");
        }

        var ok = type switch
        {
            "R" => DecimalPattern().IsMatch(value),
            "N0" or "N2" => IntegerPattern().IsMatch(value),
            "DT" => DateTime.TryParseExact(value, value.Length == 6 ? "yyMMdd" : "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _),
            "TM" => value.Length >= 4 && TimeOnly.TryParseExact(value[..4], "HHmm", CultureInfo.InvariantCulture, DateTimeStyles.None, out _) && value.All(char.IsAsciiDigit),
            _ => value.All(c => c is >= ' ' and <= '~') && (fixedWidth || value == value.Trim()),
        };
        if (!ok)
        {
            findings.Add($"{name}: '{value}' is not a valid {type}");
        }

        if (element.Codes is { } codes && !codes.Contains(value))
        {
            findings.Add($"{name}: code '{value}' not in the map's list");
        }

        if (element.External is { } list && _codeLists.TryGetValue(list, out var external) && !external.Contains(value))
        {
            findings.Add($"{name}: code '{value}' not in code list {list}");
        }

        if (element.Regex is { } regex && !Regex.IsMatch(value, "^(" + regex + ")$"))
        {
            findings.Add($"{name}: '{value}' does not match {regex}");
        }
    }

    private static void CheckSyntax(string rule, X12Segment segment, string where, List<string> findings)
    {
        var kind = rule[0];
        var positions = Enumerable.Range(0, (rule.Length - 1) / 2).Select(i => int.Parse(rule.AsSpan(1 + (i * 2), 2), CultureInfo.InvariantCulture)).ToList();
        var present = positions.Select(p => segment[p].Length > 0).ToList();
        var ok = kind switch
        {
            'P' => present.All(x => x) || present.All(x => !x),
            'R' => present.Any(x => x),
            'C' => !present[0] || present.Skip(1).All(x => x),
            'E' => present.Count(x => x) <= 1,
            'L' => !present[0] || present.Skip(1).Any(x => x),
            _ => true,
        };
        if (!ok)
        {
            findings.Add($"{where}: syntax rule {rule} violated");
        }
    }

    /// <summary>HL01 numbers 1, 2, 3… within each transaction set and HL02 names an earlier HL.</summary>
    private static void CheckHierarchy(IReadOnlyList<X12Segment> segments, List<string> findings)
    {
        var seen = new HashSet<string>();
        var next = 1;
        foreach (var s in segments)
        {
            if (s.Id == "ST")
            {
                seen.Clear();
                next = 1;
            }
            else if (s.Id == "HL")
            {
                if (s[1] != next.ToString(CultureInfo.InvariantCulture))
                {
                    findings.Add($"{Where(s)}: HL01 {s[1]}, expected {next}");
                }

                if (s[2].Length > 0 && !seen.Contains(s[2]))
                {
                    findings.Add($"{Where(s)}: HL02 {s[2]} names no earlier HL");
                }

                seen.Add(s[1]);
                next++;
            }
        }
    }

    private static string Where(X12Segment s) => $"segment {s.Index + 1}";

    private static MapLoop ReadLoop(XElement loop)
    {
        var repeat = loop.Element("repeat")?.Value;
        var children = loop.Elements().Where(e => e.Name == "loop" || e.Name == "segment")
            .Select(e => e.Name == "loop" ? (MapNode)ReadLoop(e) : ReadSegment(e)).ToList();
        return new MapLoop((string)loop.Attribute("xid")!, loop.Element("usage")?.Value ?? "S", Count(repeat), children) { Name = loop.Element("name")?.Value ?? "" };
    }

    private static MapSegment ReadSegment(XElement segment) => new(
        (string)segment.Attribute("xid")!,
        segment.Element("usage")!.Value,
        Count(segment.Element("max_use")?.Value),
        [.. segment.Elements("syntax").Select(s => s.Value)],
        [.. segment.Elements().Where(e => e.Name == "element" || e.Name == "composite").Select(ReadElement)])
    { Name = segment.Element("name")?.Value ?? "" };

    private static MapElementBase ReadElement(XElement e)
    {
        var seq = int.Parse(e.Element("seq")!.Value, CultureInfo.InvariantCulture);
        var usage = e.Element("usage")!.Value;
        var name = e.Element("name")?.Value ?? "";
        if (e.Name == "composite")
        {
            return new MapComposite(seq, usage, name, [.. e.Elements("element").Select(x => (MapElement)ReadElement(x))]);
        }

        var validCodes = e.Element("valid_codes");
        var codes = validCodes?.Elements("code").Select(c => c.Value).ToHashSet(StringComparer.Ordinal);
        return new MapElement(
            seq, usage, name, e.Element("data_ele")!.Value,
            codes is { Count: > 0 } ? codes : null,
            (string?)validCodes?.Attribute("external"),
            e.Element("regex")?.Value);
    }

    private static int Count(string? value) => value switch
    {
        null => 1,
        ">1" => int.MaxValue,
        _ => int.Parse(value, CultureInfo.InvariantCulture),
    };

    [GeneratedRegex(@"^-?(\d+(\.\d*)?|\.\d+)$")]
    private static partial Regex DecimalPattern();

    [GeneratedRegex(@"^-?\d+$")]
    private static partial Regex IntegerPattern();

    private sealed class Frame(MapLoop loop)
    {
        private readonly Dictionary<MapNode, int> _uses = new(ReferenceEqualityComparer.Instance);

        public MapLoop Loop { get; } = loop;

        public int Index { get; set; } = -1;

        public int Count(MapNode node)
        {
            var uses = Uses(node) + 1;
            _uses[node] = uses;
            return uses;
        }

        public int Uses(MapNode node) => _uses.GetValueOrDefault(node);
    }
}

internal abstract record MapNode(string Id, string Usage)
{
    public string Name { get; init; } = "";
}

internal sealed record MapLoop(string Id, string Usage, int Repeat, List<MapNode> Children) : MapNode(Id, Usage);

internal sealed record MapSegment(string Id, string Usage, int MaxUse, List<string> Syntax, List<MapElementBase> Elements) : MapNode(Id, Usage);

internal abstract record MapElementBase(int Seq, string Usage, string Name);

internal sealed record MapElement(int Seq, string Usage, string Name, string DataElement, HashSet<string>? Codes, string? External, string? Regex)
    : MapElementBase(Seq, Usage, Name);

internal sealed record MapComposite(int Seq, string Usage, string Name, List<MapElement> Elements) : MapElementBase(Seq, Usage, Name);
