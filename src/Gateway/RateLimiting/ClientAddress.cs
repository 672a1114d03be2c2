using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Gateway.RateLimiting;

/// <summary>The key per-IP limits count a client by.</summary>
internal static class ClientAddress
{
    /// <summary>
    /// IPv4 as is (an IPv4-mapped IPv6 address is its IPv4 client); IPv6 by its first <paramref name="ipv6PrefixLength"/>
    /// bits, since one subscriber holds a whole prefix and could otherwise take a new budget with every address.
    /// </summary>
    public static string Key(IPAddress? address, int ipv6PrefixLength)
    {
        if (address is null)
        {
            return "unknown";
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6 || ipv6PrefixLength >= 128)
        {
            return address.ToString();
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        for (var bit = ipv6PrefixLength; bit < 128; bit++)
        {
            bytes[bit / 8] &= (byte)~(0x80 >> (bit % 8));
        }

        return new IPAddress(bytes).ToString() + "/" + ipv6PrefixLength.ToString(CultureInfo.InvariantCulture);
    }
}
