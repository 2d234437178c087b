using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Claims.Application.Tenants;
using Microsoft.Extensions.Logging;

namespace Claims.Functions.Tests.Security;

/// <summary>Helpers shared by the security tests.</summary>
internal static class SecurityTestKit
{
    public const string OperatorKey = "op-test-8b1f0c2e6a4d4f7e9c3b5a1d2e4f6a8c";

    public static Dictionary<string, string?> OperatorSettings(params (string Key, string? Value)[] extra)
    {
        var settings = new Dictionary<string, string?> { ["Operator:ApiKeyHash"] = Claims.Application.Tenants.OperatorKey.HashOf(OperatorKey) };
        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }

        return settings;
    }

    public static HttpClient Client(AppFactory app, string? key)
    {
        var client = app.CreateClient();
        if (key is not null)
        {
            client.DefaultRequestHeaders.Add("x-api-key", key);
        }

        return client;
    }

    public static StringContent Fhir(string json) => new(json, new MediaTypeHeaderValue("application/fhir+json"));

    public static StringContent Json(string json) => new(json, new MediaTypeHeaderValue("application/json"));

    public static async Task<string> PostClaimAsync(HttpClient client, string? identifier = null)
    {
        using var response = await client.PostAsync("/api/fhir/Claim", Fhir(SampleClaims.AbaTherapy(identifier ?? "CLM-" + Guid.NewGuid().ToString("N")[..10])));
        Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!["claimId"]!.GetValue<string>();
    }

    /// <summary>Polls GET /claims/{id} until the pipeline settles (Held, Submitted or Failed: which one depends on the rule set).</summary>
    public static async Task<JsonNode> WaitForSettledAsync(HttpClient client, string claimId)
    {
        var deadline = DateTimeOffset.UtcNow.AddSeconds(60);
        JsonNode? last = null;
        while (DateTimeOffset.UtcNow < deadline)
        {
            last = JsonNode.Parse(await client.GetStringAsync($"/api/claims/{claimId}"))!;
            if (last["status"]!.GetValue<string>() is "Held" or "Submitted" or "Failed")
            {
                return last;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"Claim {claimId} did not settle; last seen status {last?["status"]}.");
    }

    /// <summary>Issues a key through the operator endpoint and returns (keyId, key).</summary>
    public static async Task<(string KeyId, string Key)> IssueKeyAsync(HttpClient operatorClient, string tenant, string role, string name)
    {
        using var response = await operatorClient.PostAsync($"/api/operator/tenants/{tenant}/keys", Json($$"""{"role":"{{role}}","name":"{{name}}"}"""));
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        return (body["info"]!["keyId"]!.GetValue<string>(), body["key"]!.GetValue<string>());
    }
}

/// <summary>Captures every log line (message, structured values, scopes and exceptions) the app writes.</summary>
internal sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<string> lines = new();

    public IReadOnlyCollection<string> Lines => lines;

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, lines);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull
        {
            lines.Enqueue(category + " scope: " + Describe(state));
            return null;
        }

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lines.Enqueue($"{category} [{eventId.Id}] {formatter(state, exception)} | {Describe(state)} | {exception}");
        }

        private static string Describe(object? state) => state is IEnumerable<KeyValuePair<string, object?>> values
            ? string.Join("; ", values.Select(v => v.Key + "=" + v.Value))
            : state?.ToString() ?? string.Empty;
    }
}
