using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Claims.Functions.Hosting;

/// <summary>
/// Generates the Functions host's <c>&lt;FunctionName&gt;/function.json</c> files from the catalog at publish time, so
/// triggers are declared once. HTTP functions are anonymous to the host (the app checks its own API keys) with the
/// route and methods of the catalog and an http output (what the host needs to forward the request as it is); queue
/// functions read the catalog's queue through the AzureWebJobsStorage connection, poison-queue functions the
/// &lt;queue&gt;-poison queue of theirs; timer functions take their schedule
/// from the app setting the catalog names (<c>%Setting%</c>), which the deployment must therefore set.
/// </summary>
public static class FunctionMetadata
{
    /// <summary>The command-line switch that writes the function folders and exits: <c>--generate-function-metadata &lt;outDir&gt;</c>.</summary>
    public const string GenerateSwitch = "--generate-function-metadata";

    /// <summary>The queue trigger's binding name: the invocation payload carries the message as <c>Data.message</c>.</summary>
    public const string QueueBindingName = "message";

    /// <summary>The timer trigger's binding name: the invocation payload carries the timer info as <c>Data.timer</c>.</summary>
    public const string TimerBindingName = "timer";

    /// <summary>The HTTP trigger's binding name.</summary>
    public const string HttpBindingName = "req";

    /// <summary>The HTTP output binding's name.</summary>
    public const string HttpOutputBindingName = "res";

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>function.json of every catalog function, by function name.</summary>
    public static IReadOnlyDictionary<string, JsonObject> Generate(IReadOnlyList<FunctionDescriptor> functions)
    {
        ArgumentNullException.ThrowIfNull(functions);
        var result = new SortedDictionary<string, JsonObject>(StringComparer.Ordinal);
        foreach (var function in functions)
        {
            result.Add(function.Name, new JsonObject { ["bindings"] = Bindings(function.Trigger) });
        }

        return result;
    }

    /// <summary>Writes <c>&lt;outDir&gt;/&lt;FunctionName&gt;/function.json</c> for every function; returns the folders written.</summary>
    public static IReadOnlyList<string> Write(string outDir, IReadOnlyList<FunctionDescriptor> functions)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(outDir);
        var written = new List<string>();
        foreach (var (name, json) in Generate(functions))
        {
            var folder = Path.Combine(outDir, name);
            Directory.CreateDirectory(folder);
            File.WriteAllText(Path.Combine(folder, "function.json"), json.ToJsonString(Indented) + "\n", new UTF8Encoding(false));
            written.Add(folder);
        }

        return written;
    }

    private static JsonArray Bindings(FunctionTrigger trigger) => trigger switch
    {
        HttpTrigger http => new JsonArray(
            new JsonObject
            {
                ["type"] = "httpTrigger",
                ["direction"] = "in",
                ["name"] = HttpBindingName,
                ["authLevel"] = "anonymous",
                ["route"] = http.Route,
                ["methods"] = new JsonArray([.. http.Methods.Select(m => (JsonNode)JsonValue.Create(m.ToLowerInvariant()))]),
            },
            new JsonObject { ["type"] = "http", ["direction"] = "out", ["name"] = HttpOutputBindingName }),
        QueueTrigger queue => QueueBinding(queue.QueueName),
        PoisonQueueTrigger poison => QueueBinding(poison.PoisonQueueName),
        TimerTrigger timer => new JsonArray(new JsonObject
        {
            ["type"] = "timerTrigger",
            ["direction"] = "in",
            ["name"] = TimerBindingName,
            ["schedule"] = "%" + timer.ScheduleSetting + "%",
        }),
        _ => throw new NotSupportedException($"No function.json mapping for trigger {trigger.GetType().Name}."),
    };

    private static JsonArray QueueBinding(string queueName) => new(new JsonObject
    {
        ["type"] = "queueTrigger",
        ["direction"] = "in",
        ["name"] = QueueBindingName,
        ["queueName"] = queueName,
        ["connection"] = Claims.Storage.StorageConnection.ConnectionName,
    });
}
