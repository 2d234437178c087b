using System.Buffers;

namespace Claims.Functions.Http;

/// <summary>Reads a FHIR request body within the size limit and checks its content type.</summary>
public static class RequestBody
{
    /// <summary>415 when the content type is not FHIR JSON or JSON (charset parameters allowed), else null.</summary>
    public static IResult? CheckContentType(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var contentType = request.ContentType;
        var mediaType = contentType?.Split(';', 2)[0].Trim();
        return string.Equals(mediaType, "application/fhir+json", StringComparison.OrdinalIgnoreCase)
            || string.Equals(mediaType, "application/json", StringComparison.OrdinalIgnoreCase)
            ? null
            : FhirResults.Problem(
                StatusCodes.Status415UnsupportedMediaType,
                "not-supported",
                "Send the body as application/fhir+json (or application/json).");
    }

    /// <summary>The whole body, or null when it is larger than <paramref name="maxBytes"/> (the caller answers 413).</summary>
    public static async Task<ReadOnlyMemory<byte>?> ReadAsync(HttpRequest request, int maxBytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.ContentLength > maxBytes)
        {
            return null;
        }

        // At least 1: ArrayBufferWriter refuses a capacity of 0, and an empty body (Content-Length: 0) must reach the
        // parser and be answered 400, not throw (found by tools/hostile.sh).
        var buffer = new ArrayBufferWriter<byte>((int)Math.Clamp(request.ContentLength ?? 16 * 1024, 1, maxBytes + 1L));
        while (true)
        {
            var memory = buffer.GetMemory(16 * 1024);
            var read = await request.Body.ReadAsync(memory, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return buffer.WrittenMemory;
            }

            buffer.Advance(read);
            if (buffer.WrittenCount > maxBytes)
            {
                return null;
            }
        }
    }

    public static IResult TooLarge(int maxBytes) => FhirResults.Problem(
        StatusCodes.Status413PayloadTooLarge,
        "too-costly",
        $"The body is larger than the limit of {maxBytes} bytes.");
}
