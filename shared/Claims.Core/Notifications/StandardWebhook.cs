using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Claims.Core.Notifications;

/// <summary>
/// Standard Webhooks signatures (standardwebhooks.com): <c>webhook-signature: v1,&lt;base64 HMAC-SHA256 of
/// "{webhook-id}.{webhook-timestamp}.{body}"&gt;</c>, keyed with the base64-decoded part of a <c>whsec_</c> secret.
/// During a secret rotation several signatures are sent, space-separated; one match is enough.
/// </summary>
public static class StandardWebhook
{
    public const string IdHeader = "webhook-id";
    public const string TimestampHeader = "webhook-timestamp";
    public const string SignatureHeader = "webhook-signature";
    public const string SecretPrefix = "whsec_";

    /// <summary>How far a timestamp may be from now, either way, before verification refuses it (replays).</summary>
    public static readonly TimeSpan Tolerance = TimeSpan.FromMinutes(5);

    /// <summary>A new secret: <c>whsec_</c> + base64 of 32 random bytes.</summary>
    public static string NewSecret() => SecretPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    /// <summary>The key bytes of a <c>whsec_</c> secret; null when it is not one.</summary>
    public static byte[]? KeyOf(string secret)
    {
        if (secret is null || !secret.StartsWith(SecretPrefix, StringComparison.Ordinal))
            return null;
        try
        {
            var key = Convert.FromBase64String(secret[SecretPrefix.Length..]);
            return key.Length == 0 ? null : key;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>One <c>v1,&lt;base64&gt;</c> signature.</summary>
    public static string Sign(string secret, string id, long timestamp, ReadOnlySpan<byte> body)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        var key = KeyOf(secret) ?? throw new ArgumentException("Not a whsec_ secret.", nameof(secret));
        return "v1," + Convert.ToBase64String(Mac(key, id, timestamp, body));
    }

    /// <summary>The <c>webhook-signature</c> header value: one signature per secret, space-separated.</summary>
    public static string SignatureHeaderValue(IEnumerable<string> secrets, string id, long timestamp, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(secrets);
        var parts = new List<string>();
        foreach (var s in secrets)
            parts.Add(Sign(s, id, timestamp, body));
        if (parts.Count == 0)
            throw new ArgumentException("At least one secret.", nameof(secrets));
        return string.Join(' ', parts);
    }

    /// <summary>Verifies a delivery as a receiver would: timestamp within <see cref="Tolerance"/> of
    /// <paramref name="now"/>, and one <c>v1</c> signature matching (constant-time).</summary>
    public static WebhookVerification Verify(string secret, string? id, string? timestamp, string? signatureHeader, ReadOnlySpan<byte> body, DateTimeOffset now)
    {
        var key = KeyOf(secret) ?? throw new ArgumentException("Not a whsec_ secret.", nameof(secret));
        if (string.IsNullOrEmpty(id) || string.IsNullOrEmpty(timestamp) || string.IsNullOrEmpty(signatureHeader))
            return WebhookVerification.Missing;
        if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var ts))
            return WebhookVerification.Malformed;
        var age = now.ToUnixTimeSeconds() - ts;
        if (Math.Abs(age) > (long)Tolerance.TotalSeconds)
            return WebhookVerification.OutsideTolerance;
        var expected = Mac(key, id, ts, body);
        foreach (var part in signatureHeader.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!part.StartsWith("v1,", StringComparison.Ordinal))
                continue; // other versions are ignored, per the spec
            byte[] given;
            try { given = Convert.FromBase64String(part[3..]); }
            catch (FormatException) { continue; }
            if (CryptographicOperations.FixedTimeEquals(given, expected))
                return WebhookVerification.Valid;
        }
        return WebhookVerification.Mismatch;
    }

    private static byte[] Mac(byte[] key, string id, long timestamp, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.UTF8.GetBytes(id + "." + timestamp.ToString(CultureInfo.InvariantCulture) + ".");
        var content = new byte[prefix.Length + body.Length];
        prefix.CopyTo(content, 0);
        body.CopyTo(content.AsSpan(prefix.Length));
        return HMACSHA256.HashData(key, content);
    }
}

/// <summary>What verifying a Standard Webhooks delivery came to.</summary>
public enum WebhookVerification
{
    Valid,
    Missing,
    Malformed,
    OutsideTolerance,
    Mismatch,
}
