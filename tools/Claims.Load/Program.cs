using System.Globalization;
using System.Text;
using Claims.Load;

// Claims.Load — see docs/PERFORMANCE.md and docs/RELIABILITY.md. Commands:
//   load     post generated claims, wait for final states, check outbound, optionally run the storage baseline,
//            re-enqueue duplicates and put poison messages (flags below)
//   clean    post clean claims at a low rate, measure 202 → Submitted, take the counting proxy's tallies (tools/cost.sh)
//   hostile  send the hostile-input corpus, count 5xx / crashes / 4xx OperationOutcomes
// Every loop is bounded in count and time; only loopback URLs are accepted.
return await Cli.RunAsync(args).ConfigureAwait(false);

/// <summary>Command-line entry point.</summary>
internal static class Cli
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help")
        {
            Console.WriteLine("""
                usage: Claims.Load load|clean|hostile --url http://127.0.0.1:PORT/ --ingest-key K [--admin-key K] --tenant T --storage "<connection string>"
                  load:    [--duration 30] [--concurrency 8] [--rate 0] [--max-claims 100000] [--post-twice] [--bundle-share 0]
                           [--aba-share 0.6] [--wait 180] [--baseline] [--reenqueue] [--poison 0] [--synthea DIR] [--seed 1] [--label text]
                  clean:   [--claims 40] [--rate 1] [--warmup 3] [--hub TaskHubName] [--wait 120] [--counts-url URL --counts-out PREFIX] [--label text]
                  hostile: [--seed 1] [--wait 120] [--corpus DIR (extra files, e.g. ../shared/data/fhir-invalid)]
                """);
            return 2;
        }

        var options = Parse(args.Skip(1).ToArray());
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(30));
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cts.Cancel();
        };

        return args[0] switch
        {
            "load" => await Scenarios.LoadAsync(options, cts.Token).ConfigureAwait(false),
            "clean" => await CleanRun.RunAsync(options, cts.Token).ConfigureAwait(false),
            "hostile" => await Scenarios.HostileAsync(options, cts.Token).ConfigureAwait(false),
            _ => throw new ArgumentException("Unknown command " + args[0]),
        };
    }

    private static Dictionary<string, string> Parse(string[] args)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal))
            {
                throw new ArgumentException("Unexpected argument " + args[i]);
            }

            var name = args[i][2..];
            result[name] = i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal) ? args[++i] : "true";
        }

        return result;
    }
}

/// <summary>Report lines: printed, and appended to the file named by CLAIMS_LOAD_REPORT when set.</summary>
internal static class Report
{
    public static void Line(string text = "")
    {
        Console.WriteLine(text);
        if (Environment.GetEnvironmentVariable("CLAIMS_LOAD_REPORT") is { Length: > 0 } file)
        {
            File.AppendAllText(file, text + Environment.NewLine);
        }
    }

    public static string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    public static string Counts(IEnumerable<string> keys) =>
        string.Join(", ", keys.GroupBy(k => k, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => F($"{g.Key}: {g.Count()}")));
}
