using System.Net;
using System.Net.Sockets;
using PgHa.Tests.Fixtures;

namespace PgHa.Tests.Health;

/// <summary>A port free on every one of a cluster's loopback addresses, for the monitors' health endpoints (one -HttpPort for all).</summary>
public static class HealthPorts
{
    public static int FreeOnAll(IEnumerable<string> addresses)
    {
        string[] all = addresses.ToArray();
        for (int attempt = 0; attempt < 20; attempt++)
        {
            int port = LoopbackAddresses.FreePort(all[0]);
            if (all.Skip(1).All(a => IsFree(a, port)))
            {
                return port;
            }
        }
        throw new InvalidOperationException($"No port is free on all of {string.Join(", ", all)}.");
    }

    private static bool IsFree(string address, int port)
    {
        var listener = new TcpListener(IPAddress.Parse(address), port);
        try
        {
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
        finally
        {
            listener.Stop();
        }
    }
}
