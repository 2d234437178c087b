using System.Text.Json;

namespace Claims.Functions.Hosting;

/// <summary>
/// Configuration sources the Functions host gives a function app, reproduced for the local host:
/// host.json under "AzureFunctionsJobHost" (so app settings like AzureFunctionsJobHost__extensions__queues__batchSize
/// override it, as in Azure) and, for a local run, the "Values" of local.settings.json.
/// </summary>
public static class HostConfiguration
{
    public static void AddFunctionsSources(ConfigurationManager configuration, string contentRoot)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            // The Azure SDK clients log every request and response at Information; by default keep their warnings
            // (slow responses, retries) only. Logging__LogLevel__Azure.Core=Information turns the rest back on.
            ["Logging:LogLevel:Azure.Core"] = "Warning",
        };
        var hostJson = Path.Combine(contentRoot, "host.json");
        if (File.Exists(hostJson))
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(hostJson), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
            Flatten(doc.RootElement, "AzureFunctionsJobHost", values);
        }

        var localSettings = Path.Combine(contentRoot, "local.settings.json");
        if (File.Exists(localSettings))
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(localSettings), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
            if (doc.RootElement.TryGetProperty("Values", out var settings))
            {
                foreach (var setting in settings.EnumerateObject())
                {
                    values[setting.Name.Replace("__", ":", StringComparison.Ordinal)] = setting.Value.ToString();
                }
            }
        }

        // Lowest precedence: environment variables and the command line (added by the builder) still win.
        configuration.Sources.Insert(0, new Microsoft.Extensions.Configuration.Memory.MemoryConfigurationSource { InitialData = values });
    }

    private static void Flatten(JsonElement element, string prefix, Dictionary<string, string?> values)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    Flatten(property.Value, prefix + ":" + property.Name, values);
                }

                break;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in element.EnumerateArray())
                {
                    Flatten(item, prefix + ":" + i++.ToString(System.Globalization.CultureInfo.InvariantCulture), values);
                }

                break;
            default:
                values[prefix] = element.ValueKind == JsonValueKind.Null ? null : element.ToString();
                break;
        }
    }
}
