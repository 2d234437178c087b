using System.Text.Json.Nodes;
using Claims.Application.Storage;
using Claims.Functions.Functions;
using Claims.Functions.Hosting;

namespace Claims.Functions.Tests;

/// <summary>The generated function.json set (what the Functions host reads in Azure) matches the catalog exactly.</summary>
public sealed class FunctionMetadataTests : IDisposable
{
    private readonly string outDir = Path.Combine(Path.GetTempPath(), "claims-fn-meta-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(outDir))
        {
            Directory.Delete(outDir, recursive: true);
        }
    }

    [Fact]
    public void Write_Catalog_OneFolderPerFunctionAndNothingElse()
    {
        FunctionMetadata.Write(outDir, Catalog.Functions);

        var folders = Directory.GetDirectories(outDir).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(Catalog.Functions.Select(f => f.Name).Order(StringComparer.Ordinal).ToArray(), folders);
        Assert.Empty(Directory.GetFiles(outDir));
        Assert.All(folders, f => Assert.Equal(["function.json"], Directory.GetFiles(Path.Combine(outDir, f!)).Select(Path.GetFileName)));
    }

    [Fact]
    public void Write_EveryFunction_TriggerMatchesTheCatalog()
    {
        FunctionMetadata.Write(outDir, Catalog.Functions);

        foreach (var function in Catalog.Functions)
        {
            var json = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, function.Name, "function.json")))!;
            var bindings = json["bindings"]!.AsArray();
            var trigger = bindings[0]!;
            Assert.Equal("in", trigger["direction"]!.GetValue<string>());
            switch (function.Trigger)
            {
                case HttpTrigger http:
                    Assert.Equal(2, bindings.Count);
                    Assert.Equal("httpTrigger", trigger["type"]!.GetValue<string>());
                    Assert.Equal("anonymous", trigger["authLevel"]!.GetValue<string>());
                    Assert.Equal(http.Route, trigger["route"]!.GetValue<string>());
                    Assert.Equal(
                        http.Methods.Select(m => m.ToLowerInvariant()).ToArray(),
                        trigger["methods"]!.AsArray().Select(m => m!.GetValue<string>()).ToArray());
                    Assert.Equal("http", bindings[1]!["type"]!.GetValue<string>());
                    Assert.Equal("out", bindings[1]!["direction"]!.GetValue<string>());
                    break;
                case QueueTrigger queue:
                    Assert.Single(bindings);
                    Assert.Equal("queueTrigger", trigger["type"]!.GetValue<string>());
                    Assert.Equal(queue.QueueName, trigger["queueName"]!.GetValue<string>());
                    Assert.Equal("AzureWebJobsStorage", trigger["connection"]!.GetValue<string>());
                    Assert.Equal(FunctionMetadata.QueueBindingName, trigger["name"]!.GetValue<string>());
                    break;
                case PoisonQueueTrigger poison:
                    Assert.Single(bindings);
                    Assert.Equal("queueTrigger", trigger["type"]!.GetValue<string>());
                    Assert.Equal(poison.QueueName + "-poison", trigger["queueName"]!.GetValue<string>());
                    Assert.Equal("AzureWebJobsStorage", trigger["connection"]!.GetValue<string>());
                    Assert.Equal(FunctionMetadata.QueueBindingName, trigger["name"]!.GetValue<string>());
                    break;
                case TimerTrigger timer:
                    Assert.Single(bindings);
                    Assert.Equal("timerTrigger", trigger["type"]!.GetValue<string>());
                    Assert.Equal($"%{timer.ScheduleSetting}%", trigger["schedule"]!.GetValue<string>());
                    Assert.Equal(FunctionMetadata.TimerBindingName, trigger["name"]!.GetValue<string>());
                    break;
                default:
                    Assert.Fail($"{function.Name}: unexpected trigger {function.Trigger.GetType().Name}");
                    break;
            }
        }
    }

    [Fact]
    public void Write_EveryQueueFunction_HasOnePoisonQueueFunctionOnItsPoisonQueue()
    {
        FunctionMetadata.Write(outDir, Catalog.Functions);

        var queueFunctions = Catalog.Functions.Where(f => f.Trigger is QueueTrigger).ToList();
        var poisonFunctions = Catalog.Functions.Where(f => f.Trigger is PoisonQueueTrigger).ToList();
        Assert.NotEmpty(queueFunctions);
        Assert.Equal(queueFunctions.Count, poisonFunctions.Count);
        foreach (var function in queueFunctions)
        {
            var queue = ((QueueTrigger)function.Trigger).QueueName;
            var poison = Assert.Single(poisonFunctions, p => ((PoisonQueueTrigger)p.Trigger).FunctionName == function.Name);
            Assert.Equal(function.Name + "Poison", poison.Name);
            Assert.Equal(queue, ((PoisonQueueTrigger)poison.Trigger).QueueName);
            Assert.Equal(typeof(PoisonQueueFunction), poison.HandlerType);

            // What the Functions host reads: a queue trigger on <queue>-poison, a queue the deployment creates.
            var trigger = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, poison.Name, "function.json")))!["bindings"]![0]!;
            Assert.Equal("queueTrigger", trigger["type"]!.GetValue<string>());
            Assert.Equal(queue + "-poison", trigger["queueName"]!.GetValue<string>());
            Assert.Contains(queue + "-poison", StorageNames.Queues);
        }
    }

    [Fact]
    public void Generate_Catalog_NamesAreValidFunctionNamesAndUnique()
    {
        var generated = FunctionMetadata.Generate(Catalog.Functions);

        Assert.Equal(Catalog.Functions.Count, generated.Count);

        // The Functions host accepts letters, digits, '-' and '_' starting with a letter (it names the folder and the
        // invocation path POST /{FunctionName}).
        Assert.All(generated.Keys, name => Assert.Matches("^[A-Za-z][A-Za-z0-9_-]{0,127}$", name));
    }
}
