using System.Text.Json;
using System.Xml.Linq;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;

namespace Claims.Storage.Rest;

/// <summary>One service endpoint (blob, queue or table) with its Azure.Core pipeline and error mapping.</summary>
internal sealed class StorageService
{
    internal const string ApiVersion = "2024-11-04";

    private StorageService(string kind, Uri endpoint, HttpPipeline pipeline)
    {
        Kind = kind;
        Endpoint = endpoint;
        Pipeline = pipeline;
    }

    public string Kind { get; }

    public Uri Endpoint { get; }

    public HttpPipeline Pipeline { get; }

    public static StorageService Create(string kind, Uri endpoint, StorageConnection connection, StorageClientOptions options)
    {
        var clientOptions = new PipelineOptions();
        clientOptions.Retry.Mode = RetryMode.Exponential;
        clientOptions.Retry.MaxRetries = Math.Max(0, options.MaxRetries);
        clientOptions.Retry.Delay = options.RetryDelay;
        clientOptions.Retry.MaxDelay = options.MaxRetryDelay;
        clientOptions.Retry.NetworkTimeout = options.NetworkTimeout;
        clientOptions.Diagnostics.IsLoggingContentEnabled = false;
        clientOptions.Diagnostics.IsTelemetryEnabled = false;

        HttpPipelinePolicy auth = connection.AccountKey is { } key
            ? new SharedKeyPolicy(connection.AccountName, key, kind == "table")
            : new BearerTokenAuthenticationPolicy(connection.Credential!, "https://storage.azure.com/.default");
        var pipeline = HttpPipelineBuilder.Build(
            clientOptions,
            [new VersionPolicy()],
            [auth, .. options.PerRetryPolicies],
            new ResponseClassifier());
        return new StorageService(kind, endpoint, pipeline);
    }

    /// <summary>Builds an absolute URI from an already-escaped path (relative to the endpoint) and query.</summary>
    public Uri Uri(string escapedPath, string? query = null)
    {
        var text = Endpoint.AbsoluteUri.TrimEnd('/') + "/" + escapedPath.TrimStart('/');
        if (!string.IsNullOrEmpty(query))
        {
            text += "?" + query;
        }

        return new Uri(text);
    }

    public HttpMessage CreateMessage(RequestMethod method, Uri uri)
    {
        var message = Pipeline.CreateMessage();
        message.Request.Method = method;
        message.Request.Uri.Reset(uri);
        return message;
    }

    /// <summary>
    /// Sends the message. Transport failures, timeouts and 408/429/5xx left after the retries become
    /// <see cref="StorageUnavailableException"/>; every other answer is returned for the caller to map.
    /// </summary>
    public async Task<Response> SendAsync(HttpMessage message, string operation, CancellationToken ct)
    {
        try
        {
            await Pipeline.SendAsync(message, ct).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status == 0)
        {
            throw new StorageUnavailableException($"{Kind} service unreachable during {operation}.", ex);
        }
        catch (OperationCanceledException ex) when (!ct.IsCancellationRequested)
        {
            throw new StorageUnavailableException($"{Kind} service timed out during {operation}.", ex);
        }
        // Azure.Core's RetryPolicy wraps the per-attempt transport failures in one AggregateException once retries run out.
        catch (Exception ex) when (ex is HttpRequestException or IOException or AggregateException)
        {
            throw new StorageUnavailableException($"{Kind} service unreachable during {operation}.", ex);
        }

        var response = message.Response;
        if (response.Status is 408 or 429 || response.Status >= 500)
        {
            var code = ErrorCode(response);
            throw new StorageUnavailableException(response.Status, code, $"{Kind} service failed {operation}: {response.Status} {code}.");
        }

        return response;
    }

    /// <summary>The service error code from x-ms-error-code, else from the JSON or XML error body.</summary>
    public static string? ErrorCode(Response response)
    {
        if (response.Headers.TryGetValue("x-ms-error-code", out var header) && !string.IsNullOrEmpty(header))
        {
            return header;
        }

        var body = response.Content;
        if (body is null || body.ToMemory().Length == 0)
        {
            return null;
        }

        try
        {
            var text = body.ToString().TrimStart();
            if (text.StartsWith('{'))
            {
                using var doc = JsonDocument.Parse(text);
                foreach (var name in new[] { "odata.error", "error" })
                {
                    if (doc.RootElement.TryGetProperty(name, out var error) && error.TryGetProperty("code", out var code))
                    {
                        return code.GetString();
                    }
                }
            }
            else if (text.StartsWith('<'))
            {
                return XDocument.Parse(text).Root?.Element("Code")?.Value;
            }
        }
        catch (Exception ex) when (ex is JsonException or System.Xml.XmlException)
        {
            return null;
        }

        return null;
    }

    public StorageRequestException Failure(Response response, string operation)
    {
        var code = ErrorCode(response);
        return new StorageRequestException(response.Status, code, $"{Kind} {operation} failed: {response.Status} {code}.");
    }

    private sealed class PipelineOptions : ClientOptions
    {
    }

    private sealed class VersionPolicy : HttpPipelineSynchronousPolicy
    {
        public override void OnSendingRequest(HttpMessage message) =>
            message.Request.Headers.SetValue("x-ms-version", ApiVersion);
    }
}
