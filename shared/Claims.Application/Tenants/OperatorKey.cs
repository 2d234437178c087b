using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Claims.Application.Tenants;

/// <summary>Settings "Operator": the key that guards the operator endpoints (tenants, keys, signing secrets).</summary>
public sealed class OperatorOptions
{
    public const string Section = "Operator";

    /// <summary>
    /// Lowercase hex SHA-256 of the operator key (the key itself is never configured). Unset: the operator
    /// endpoints answer 401 to everyone. Generate a key with at least 32 random bytes; a fast hash is adequate
    /// for a secret of that entropy.
    /// </summary>
    public string? ApiKeyHash { get; set; }
}

/// <summary>Checks a presented operator key against Operator:ApiKeyHash in constant time.</summary>
public sealed class OperatorKey(IOptions<OperatorOptions> options)
{
    public bool IsValid(string? presentedKey)
    {
        var configured = options.Value.ApiKeyHash?.Trim();
        if (string.IsNullOrEmpty(presentedKey) || string.IsNullOrEmpty(configured) || configured.Length != 64)
        {
            return false;
        }

        byte[] expected;
        try
        {
            expected = Convert.FromHexString(configured);
        }
        catch (FormatException)
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presentedKey)), expected);
    }

    /// <summary>The value to put in Operator:ApiKeyHash for a key.</summary>
    public static string HashOf(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
    }
}
