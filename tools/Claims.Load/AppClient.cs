using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;

namespace Claims.Load;

/// <summary>The answer to one request: HTTP status (0 = no answer: refused, reset, timeout) and the body.</summary>
public sealed record Answer(int Status, string Body, TimeSpan Elapsed, string? Error = null)
{
    /// <summary>The Retry-After of a 429 or 503, when given.</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>"202", "503", "conn" … — the key errors are grouped by.</summary>
    public string Key => Status == 0 ? Error ?? "no-answer" : Status.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>HTTP calls to the running app (loopback only).</summary>
public sealed class AppClient : IDisposable
{
    private readonly HttpClient http;
    private readonly string ingestKey;
    private readonly string? adminKey;

    public AppClient(Uri baseUrl, string ingestKey, string? adminKey, int connections, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        if (!baseUrl.IsLoopback)
        {
            throw new ArgumentException("The load tool only talks to a loopback address.", nameof(baseUrl));
        }

        http = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = Math.Max(1, connections),
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectTimeout = TimeSpan.FromSeconds(5),
        })
        {
            BaseAddress = baseUrl,
            Timeout = timeout,
        };
        this.ingestKey = ingestKey;
        this.adminKey = adminKey;
    }

    public Task<Answer> PostAsync(string path, ReadOnlyMemory<byte> body, string? contentType, bool admin = false, CancellationToken ct = default, string? idempotencyKey = null)
    {
        var content = new ReadOnlyMemoryContent(body);
        if (contentType is not null)
        {
            content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }

        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
        if (idempotencyKey is not null)
        {
            request.Headers.TryAddWithoutValidation("Idempotency-Key", idempotencyKey);
        }

        return SendAsync(request, admin, ct);
    }

    public Task<Answer> SendRawAsync(HttpRequestMessage request, CancellationToken ct = default) => SendAsync(request, admin: false, ct);

    public Task<Answer> GetAsync(string path, bool admin = false, CancellationToken ct = default) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Get, path), admin, ct);

    /// <summary>True when GET /api/health answers at all (any status): the process is up and serving.</summary>
    public async Task<bool> IsUpAsync(CancellationToken ct = default) => (await GetAsync("api/health", ct: ct).ConfigureAwait(false)).Status != 0;

    /// <summary>Waits (bounded) until the app answers /api/health with 200.</summary>
    public async Task<bool> WaitHealthyAsync(TimeSpan limit, CancellationToken ct = default)
    {
        var deadline = DateTime.UtcNow + limit;
        while (DateTime.UtcNow < deadline)
        {
            if ((await GetAsync("api/health", ct: ct).ConfigureAwait(false)).Status == 200)
            {
                return true;
            }

            await Task.Delay(250, ct).ConfigureAwait(false);
        }

        return false;
    }

    public void Dispose() => http.Dispose();

    /// <summary>The claim id of a 202 answer's body, or null.</summary>
    public static string? ClaimIdOf(string body)
    {
        try
        {
            return JsonNode.Parse(body)?["claimId"]?.GetValue<string>();
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }

    private async Task<Answer> SendAsync(HttpRequestMessage request, bool admin, CancellationToken ct)
    {
        using (request)
        {
            if (!request.Headers.Contains("x-api-key"))
            {
                request.Headers.TryAddWithoutValidation("x-api-key", admin ? adminKey ?? ingestKey : ingestKey);
            }

            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            try
            {
                using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
                var body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
                return new Answer((int)response.StatusCode, body, System.Diagnostics.Stopwatch.GetElapsedTime(started))
                {
                    RetryAfter = response.Headers.RetryAfter?.Delta,
                };
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
                return new Answer(0, string.Empty, System.Diagnostics.Stopwatch.GetElapsedTime(started), "timeout");
            }
            catch (HttpRequestException ex)
            {
                var kind = ex.HttpRequestError switch
                {
                    HttpRequestError.ConnectionError => "conn",
                    HttpRequestError.ResponseEnded => "reset",
                    _ => "http-" + ex.HttpRequestError.ToString().ToLowerInvariant(),
                };
                return new Answer(0, string.Empty, System.Diagnostics.Stopwatch.GetElapsedTime(started), kind);
            }
            catch (IOException)
            {
                return new Answer(0, string.Empty, System.Diagnostics.Stopwatch.GetElapsedTime(started), "io");
            }
        }
    }

    /// <summary>Whether a body is a FHIR OperationOutcome.</summary>
    public static bool IsOperationOutcome(string body)
    {
        try
        {
            return JsonNode.Parse(body) is JsonObject o && o["resourceType"]?.GetValue<string>() == "OperationOutcome";
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidOperationException or FormatException)
        {
            return false;
        }
    }

    internal static MediaTypeHeaderValue Fhir => new("application/fhir+json");

    internal static bool IsServerError(HttpStatusCode status) => (int)status >= 500;
}
