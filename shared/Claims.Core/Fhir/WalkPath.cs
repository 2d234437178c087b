using System.Text;

namespace Claims.Core.Fhir;

/// <summary>
/// The FHIRPath location of the structural walk ("Claim.item[2].productOrService"), kept as segments: stepping in and
/// out is a counter, and the text is built only when an issue, a Reference or a contained resource needs it.
/// <see cref="Length"/> is the number of segments, a mark to step back to.
/// </summary>
internal sealed class WalkPath
{
    private readonly StringBuilder text = new(128);
    private Segment[] segments = new Segment[32];
    private string root = string.Empty;

    /// <summary>The number of segments below the root; setting it steps back out to that mark.</summary>
    public int Length { get; set; }

    /// <summary>Starts again at <paramref name="rootPath"/> (e.g. "Claim", "Bundle.entry[3].resource").</summary>
    public void Reset(string rootPath)
    {
        root = rootPath;
        Length = 0;
    }

    /// <summary>Steps into an element: ".name".</summary>
    public void Append(string name) => Add(new Segment(name, 0));

    /// <summary>Steps into an array item: "[index]".</summary>
    public void AppendIndex(int index) => Add(new Segment(null, index));

    public override string ToString() => ToString(Length);

    /// <summary>The text of the first <paramref name="length"/> segments (a mark taken earlier).</summary>
    public string ToString(int length)
    {
        text.Clear().Append(root);
        for (var i = 0; i < length; i++)
        {
            if (segments[i].Name is { } name)
            {
                text.Append('.').Append(name);
            }
            else
            {
                text.Append('[').Append(segments[i].Index).Append(']');
            }
        }

        return text.ToString();
    }

    private void Add(Segment segment)
    {
        if (Length == segments.Length)
        {
            Array.Resize(ref segments, segments.Length * 2);
        }

        segments[Length++] = segment;
    }

    private readonly record struct Segment(string? Name, int Index);
}
