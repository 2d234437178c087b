using System.Text.Json.Nodes;
using Claims.Application.Storage;
using Claims.Functions.Functions;
using Claims.LocalHost;

namespace Claims.Functions.Tests;

/// <summary>
/// The functions.metadata the Worker SDK generated (what the Functions host reads in Azure, and the local host here):
/// every function is one the API contract and the deployment expect, with the trigger they expect.
/// </summary>
public sealed class FunctionMetadataTests
{
    [Fact]
    public void HttpFunctions_EachHasExactlyOneContractRole_AndNoRoleIsStale()
    {
        var http = TestFunctions.All.Where(f => f.TriggerType == "httpTrigger").Select(f => f.Name).Order(StringComparer.Ordinal).ToArray();

        Assert.Equal(TestFunctions.Roles.Keys.Order(StringComparer.Ordinal).ToArray(), http);
    }

    [Fact]
    public void HttpFunctions_AnonymousToTheHost_OneRouteAndMethodEach_ReturnTheirResult()
    {
        // The key check is ours (HttpDoor), identical under both hosts: the host's own function keys stay off.
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var function in TestFunctions.All.Where(f => f.TriggerType == "httpTrigger"))
        {
            Assert.Equal("Anonymous", function.Setting("authLevel"));
            Assert.False(string.IsNullOrEmpty(function.Setting("route")), function.Name);
            foreach (var method in function.Trigger["methods"]!.AsArray())
            {
                Assert.True(seen.Add($"{method} {function.Setting("route")}"), $"{function.Name}: {method} {function.Setting("route")} is mapped twice");
            }
        }

        Assert.Equal(TestFunctions.Roles.Count, TestFunctions.Http.Count);
    }

    [Fact]
    public void QueueFunctions_EachHasOnePoisonFunctionOnItsPoisonQueue_OnQueuesTheDeploymentCreates()
    {
        var queues = TestFunctions.All.Where(f => f.TriggerType == "queueTrigger").ToList();
        var work = queues.Where(f => !f.Setting("queueName")!.EndsWith(PoisonQueueFunction.PoisonSuffix, StringComparison.Ordinal)).ToList();
        var poison = queues.Except(work).ToList();

        Assert.NotEmpty(work);
        Assert.Equal(work.Count, poison.Count);
        foreach (var function in work)
        {
            var queue = function.Setting("queueName")!;
            var keeper = Assert.Single(poison, p => p.Name == function.Name + "Poison");
            Assert.Equal(StorageNames.PoisonQueue(queue), keeper.Setting("queueName"));
            Assert.Equal(typeof(PoisonQueueFunction), keeper.Method.DeclaringType);
            Assert.Contains(queue, StorageNames.Queues);
            Assert.Contains(StorageNames.PoisonQueue(queue), StorageNames.Queues);
        }
    }

    [Fact]
    public void TimerFunctions_ScheduleFromAnAppSetting_ThatTheSampleSettingsAndTheBicepSet()
    {
        var timers = TestFunctions.All.Where(f => f.TriggerType == "timerTrigger").ToList();
        var root = Claims.Testing.AzuriteFixture.FindRepoRoot();
        var sample = JsonNode.Parse(File.ReadAllText(Path.Combine(root, "local.settings.sample.json")))!["Values"]!.AsObject();
        var bicep = File.ReadAllText(Path.Combine(root, "infra", "modules", "functionapp.bicep"));

        Assert.NotEmpty(timers);
        foreach (var timer in timers)
        {
            var schedule = timer.Setting("schedule")!;
            Assert.Matches("^%[A-Za-z]+%$", schedule);
            var setting = schedule.Trim('%');
            Assert.True(sample.ContainsKey(setting), $"{timer.Name}: {setting} missing from local.settings.sample.json");
            Assert.Contains(setting, bicep, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void EveryFunction_NameValid_AndTheLocalHostCanBindIt()
    {
        Assert.Equal(TestFunctions.All.Count, TestFunctions.All.Select(f => f.Name).Distinct(StringComparer.OrdinalIgnoreCase).Count());
        foreach (var function in TestFunctions.All)
        {
            Assert.Matches("^[A-Za-z][A-Za-z0-9_-]{0,127}$", function.Name);
            Assert.NotNull(LocalFunctions.Invoker(function));
        }
    }

    [Fact]
    public void BuildOutput_HoldsWhatTheFunctionsHostReads()
    {
        foreach (var file in new[] { LocalFunctions.MetadataFile, "worker.config.json", "extensions.json" })
        {
            Assert.True(File.Exists(Path.Combine(AppContext.BaseDirectory, file)), $"{file} missing from the build output");
        }
    }
}
