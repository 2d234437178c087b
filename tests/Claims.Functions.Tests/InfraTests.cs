using System.ComponentModel.DataAnnotations;
using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Claims.Application.Storage;
using Claims.Storage;
using Claims.Testing;

namespace Claims.Functions.Tests;

/// <summary>
/// The deployment declares what the code needs: infra/modules/functionapp.bicep sets every setting the code reads
/// (or the code has a valid default), infra/modules/storage.bicep creates every table, queue and container of
/// StorageNames, and host.json names the executable the app publishes as.
/// </summary>
public sealed partial class InfraTests
{
    private static readonly string Root = AzuriteFixture.FindRepoRoot();

    [Fact]
    public void AppSettings_AzureWebJobsStorage_IdentityBasedWithTheUserAssignedIdentity()
    {
        var settings = AppSettings();

        Assert.DoesNotContain("AzureWebJobsStorage", settings.Keys);
        Assert.Contains("AzureWebJobsStorage__accountName", settings.Keys);
        Assert.Equal("'managedidentity'", settings["AzureWebJobsStorage__credential"]);
        Assert.Contains("AzureWebJobsStorage__clientId", settings.Keys);
        // Flex Consumption takes the runtime from functionAppConfig and refuses FUNCTIONS_WORKER_RUNTIME; Elastic Premium's
        // dotnet-isolated value is set with its plan (checked by infra/check-plans.py).
        Assert.DoesNotContain("FUNCTIONS_WORKER_RUNTIME", settings.Keys);
        Assert.DoesNotContain("WEBSITE_CONTENTAZUREFILECONNECTIONSTRING", settings.Keys);
    }

    [Fact]
    public void AppSettings_NoValue_HoldsASecret()
    {
        foreach (var (name, value) in AppSettings())
        {
            Assert.DoesNotMatch("(?i)AccountKey=|SharedAccessSignature=|[?&]sig=|InstrumentationKey=[0-9a-f-]{36}", value);
            Assert.False(name.Contains("Key", StringComparison.OrdinalIgnoreCase) && !value.Contains("@Microsoft.KeyVault(", StringComparison.Ordinal) && name != "KeyVault__VaultUri",
                $"{name} looks like a secret but is not a Key Vault reference.");
        }
    }

    [Fact]
    public void AppSettings_EveryTimerSchedule_IsSetBecauseFunctionJsonBindsIt()
    {
        var settings = AppSettings();

        Assert.All(
            TestFunctions.All.Where(f => f.TriggerType == "timerTrigger").Select(f => f.Setting("schedule")!.Trim('%')),
            setting => Assert.True(settings.ContainsKey(setting), $"{setting} is not set by the Bicep."));
    }

    [Fact]
    public void AppSettings_EveryOptionsSection_IsSetOrValidByDefault()
    {
        var settings = AppSettings();
        var hostJson = File.ReadAllText(Path.Combine(Root, "host.json"));
        var optionsTypes = new[] { typeof(Claims.Functions.Hosting.FunctionAppServices).Assembly, typeof(StorageNames).Assembly, typeof(StorageConnection).Assembly }
            .SelectMany(a => a.GetTypes())
            .Where(t => t.IsClass && !t.IsAbstract && t.GetField("Section", BindingFlags.Public | BindingFlags.Static) is { IsLiteral: true } f && f.FieldType == typeof(string))
            .ToList();
        Assert.NotEmpty(optionsTypes);

        foreach (var type in optionsTypes)
        {
            var section = (string)type.GetField("Section")!.GetRawConstantValue()!;
            var prefix = section.Replace(":", "__", StringComparison.Ordinal) + "__";
            if (settings.Keys.Any(k => k.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)))
            {
                continue;
            }

            if (section.StartsWith("AzureFunctionsJobHost:", StringComparison.Ordinal))
            {
                // Read from host.json, which ships in the package.
                var node = JsonNode.Parse(hostJson)!;
                foreach (var part in section.Split(':').Skip(1))
                {
                    node = node?[part];
                }

                Assert.True(node is not null, $"{section} is neither in host.json nor in the Bicep app settings.");
                continue;
            }

            var instance = Activator.CreateInstance(type)!;
            var errors = new List<ValidationResult>();
            Assert.True(
                Validator.TryValidateObject(instance, new ValidationContext(instance), errors, validateAllProperties: true),
                $"{type.Name} ({section}) is not valid with its defaults ({string.Join("; ", errors.Select(e => e.ErrorMessage))}) and the Bicep does not set it.");
        }
    }

    [Fact]
    public void StorageModule_CreatesEveryTableQueueAndContainerOfStorageNames()
    {
        var text = File.ReadAllText(Path.Combine(Root, "infra", "modules", "storage.bicep"));

        Assert.Equal(StorageNames.Tables.Order(), BicepList(text, "tableNames").Order());
        Assert.Equal(StorageNames.Queues.Order(), BicepList(text, "queueNames").Order());
        Assert.Equal(StorageNames.Containers.Order(), BicepList(text, "containerNames").Order());
        Assert.Equal(StorageNames.ExchangeContainers.Order(), BicepList(text, "exchangeContainerNames").Order());
        Assert.Contains("allowSharedKeyAccess: false", text, StringComparison.Ordinal);
        Assert.Contains("minimumTlsVersion: 'TLS1_2'", text, StringComparison.Ordinal);
        Assert.Matches(@"deleteRetentionPolicy:\s*\{\s*enabled: true", text);
    }

    [Fact]
    public void ExchangeModule_SftpAccount_HoldsTheExchangeContainers_KeysOnlyForTheClearinghouse()
    {
        var text = File.ReadAllText(Path.Combine(Root, "infra", "modules", "exchange.bicep"));

        Assert.Equal(StorageNames.ExchangeContainers.Order(), BicepList(text, "exchangeContainerNames").Order());
        Assert.Contains("isHnsEnabled: true", text, StringComparison.Ordinal);
        Assert.Contains("isSftpEnabled: true", text, StringComparison.Ordinal);
        Assert.Contains("allowSharedKeyAccess: false", text, StringComparison.Ordinal);
        Assert.Contains("hasSshPassword: false", text, StringComparison.Ordinal);
        Assert.Contains("hasSharedKey: false", text, StringComparison.Ordinal);

        // The app reads the account through the X12Exchange connection the function app module sets with the option.
        var app = File.ReadAllText(Path.Combine(Root, "infra", "modules", "functionapp.bicep"));
        Assert.Contains($"'{Claims.Storage.ExchangeStorage.ConnectionName}__blobServiceUri'", app, StringComparison.Ordinal);
        Assert.Contains($"'{Claims.Storage.ExchangeStorage.ConnectionName}__credential', value: 'managedidentity'", app, StringComparison.Ordinal);
    }

    [Fact]
    public void HostJson_IsolatedWorker_RoutePrefixAndTaskHubFromSettings()
    {
        var host = JsonNode.Parse(File.ReadAllText(Path.Combine(Root, "host.json")))!;

        // A .NET isolated app brings its extensions in its own build (extensions.json): no bundle, no custom handler.
        Assert.Null(host["customHandler"]);
        Assert.Null(host["extensionBundle"]);
        Assert.Equal(LocalHost.LocalTriggers.RoutePrefix, host["extensions"]!["http"]!["routePrefix"]!.GetValue<string>());
        Assert.Equal("%TaskHubName%", host["extensions"]!["durableTask"]!["hubName"]!.GetValue<string>());
    }

    /// <summary>The app settings of functionapp.bicep: name → value expression as written.</summary>
    private static Dictionary<string, string> AppSettings()
    {
        var text = File.ReadAllText(Path.Combine(Root, "infra", "modules", "functionapp.bicep"));
        var block = Regex.Match(text, @"var appSettings = \[(.*?)\n\]", RegexOptions.Singleline);
        Assert.True(block.Success, "functionapp.bicep has no 'var appSettings = [...]' block.");
        var settings = SettingPattern().Matches(block.Groups[1].Value).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value.Trim());
        Assert.NotEmpty(settings);
        return settings;
    }

    private static IEnumerable<string> BicepList(string text, string variable)
    {
        var block = Regex.Match(text, $@"var {variable} = \[(.*?)\]", RegexOptions.Singleline);
        Assert.True(block.Success, $"the Bicep has no 'var {variable} = [...]'.");
        return Regex.Matches(block.Groups[1].Value, "'([^']+)'").Select(m => m.Groups[1].Value);
    }

    [GeneratedRegex(@"\{ name: '([^']+)', value: (.+) \}")]
    private static partial Regex SettingPattern();
}
