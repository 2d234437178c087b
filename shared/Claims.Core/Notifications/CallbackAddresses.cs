using System.Net;
using System.Net.Sockets;

namespace Claims.Core.Notifications;

/// <summary>
/// SSRF guard for subscription callback hosts: which resolved addresses a notification may be sent to. Pure (no DNS):
/// the caller resolves and passes every address, at subscription time and again at delivery time (DNS rebinding).
/// IPv4-mapped IPv6 addresses (<c>::ffff:a.b.c.d</c>) are judged as the IPv4 address they carry.
/// </summary>
public static class CallbackAddresses
{
    /// <summary>True when <paramref name="address"/> is public unicast, i.e. not private (10/8, 172.16/12, 192.168/16,
    /// fc00::/7), loopback, link-local (169.254/16 incl. metadata 169.254.169.254, fe80::/10), CGNAT 100.64/10,
    /// unspecified, broadcast or multicast. <paramref name="allowLoopback"/> admits loopback only (local development).</summary>
    public static bool IsAllowed(IPAddress address, bool allowLoopback = false)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6)
            address = address.MapToIPv4();
        if (IPAddress.IsLoopback(address))
            return allowLoopback;
        return address.AddressFamily switch
        {
            AddressFamily.InterNetwork => IsPublicV4(address.GetAddressBytes()),
            AddressFamily.InterNetworkV6 => IsPublicV6(address),
            _ => false,
        };
    }

    /// <summary>True when every address is allowed and there is at least one (a host that resolves to one private
    /// address among public ones is refused: the client could pick it).</summary>
    public static bool AreAllowed(IReadOnlyCollection<IPAddress> addresses, bool allowLoopback = false)
    {
        ArgumentNullException.ThrowIfNull(addresses);
        return addresses.Count > 0 && addresses.All(a => IsAllowed(a, allowLoopback));
    }

    private static bool IsPublicV4(byte[] b) => !(
        b[0] == 0                                   // 0/8 "this network", incl. 0.0.0.0
        || b[0] == 10                               // 10/8
        || b[0] == 127                              // 127/8 loopback
        || (b[0] == 100 && (b[1] & 0xC0) == 64)     // 100.64/10 CGNAT
        || (b[0] == 169 && b[1] == 254)             // 169.254/16 link-local, cloud metadata
        || (b[0] == 172 && (b[1] & 0xF0) == 16)     // 172.16/12
        || (b[0] == 192 && b[1] == 168)             // 192.168/16
        || b[0] >= 224);                            // 224/4 multicast, 240/4 reserved, 255.255.255.255

    private static bool IsPublicV6(IPAddress a)
    {
        if (a.Equals(IPAddress.IPv6None) || a.Equals(IPAddress.IPv6Any))
            return false; // ::
        var b = a.GetAddressBytes();
        if (b[0] == 0xFF) return false;                  // ff00::/8 multicast
        if ((b[0] & 0xFE) == 0xFC) return false;         // fc00::/7 unique local
        if (b[0] == 0xFE && (b[1] & 0xC0) == 0x80) return false; // fe80::/10 link-local
        if (b[0] == 0xFE && (b[1] & 0xC0) == 0xC0) return false; // fec0::/10 site-local (deprecated)
        return true;
    }
}
