using System.Net;
using System.Net.Sockets;

namespace PgHa.Operations.Sandbox;

/// <summary>
/// Picks loopback addresses for sandbox nodes, one per node, on which the port is free: the whole of
/// 127.0.0.0/8 is the loopback interface on Linux, so every node can have the usual port on its own address.
/// </summary>
internal static class SandboxAddresses
{
    public static List<IPAddress> Pick(IPAddress first, int port, int count) => Pick(first, [port], count);

    /// <summary>Addresses from <paramref name="first"/> on which every one of <paramref name="ports"/> is free.</summary>
    public static List<IPAddress> Pick(IPAddress first, IReadOnlyList<int> ports, int count)
    {
        byte[] bytes = first.GetAddressBytes();
        if (bytes.Length != 4 || bytes[0] != 127)
        {
            throw new ArgumentException($"{first} is not a loopback address (127.0.0.0/8); a sandbox never listens anywhere else.", nameof(first));
        }
        var picked = new List<IPAddress>();
        uint next = ToUInt(bytes);
        uint last = ToUInt([127, 255, 255, 254]);
        while (picked.Count < count && next <= last)
        {
            var address = new IPAddress(FromUInt(next++));
            if ((address.GetAddressBytes()[3] is not 0 and not 255) && ports.All(port => IsFree(address, port)))
            {
                picked.Add(address);
            }
        }
        return picked;
    }

    private static bool IsFree(IPAddress address, int port)
    {
        try
        {
            using var listener = new TcpListener(address, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static uint ToUInt(byte[] b) => (uint)(b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]);

    private static byte[] FromUInt(uint v) => [(byte)(v >> 24), (byte)(v >> 16), (byte)(v >> 8), (byte)v];
}
