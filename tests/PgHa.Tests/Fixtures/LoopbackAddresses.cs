using System.Net;
using System.Net.Sockets;

namespace PgHa.Tests.Fixtures;

/// <summary>
/// Hands out loopback addresses (127.0.0.20 and up) so that every node of every test has its own
/// address, and free TCP ports on them. Other test processes (other worktrees, CI) may run at the
/// same time, so an address is also claimed across processes with a lock file held open until it is
/// released or the process ends, and addresses something already listens on are skipped.
/// </summary>
public static class LoopbackAddresses
{
    private const int FirstHost = 20;
    private const int LastHost = 254;

    private static readonly string LockDirectory = Path.Combine(TestDirectories.Root, "addresses");
    private static readonly Dictionary<string, FileStream> Held = new();
    private static readonly object Gate = new();
    private static int _next = FirstHost;

    /// <summary>Claims an address no other test (in this or another process) holds.</summary>
    public static string Reserve()
    {
        lock (Gate)
        {
            Directory.CreateDirectory(LockDirectory);
            for (var attempt = 0; attempt <= LastHost - FirstHost; attempt++)
            {
                var host = _next;
                _next = _next == LastHost ? FirstHost : _next + 1;
                var address = $"127.0.0.{host}";
                if (Held.ContainsKey(address) || HasSockets(address))
                {
                    continue;
                }
                var claim = TryClaim(address);
                if (claim is not null)
                {
                    Held[address] = claim;
                    return address;
                }
            }
        }
        throw new InvalidOperationException($"No free loopback address between 127.0.0.{FirstHost} and 127.0.0.{LastHost}.");
    }

    public static void Release(string address)
    {
        lock (Gate)
        {
            if (Held.Remove(address, out var claim))
            {
                claim.Dispose();
            }
        }
    }

    /// <summary>A port nothing listens on at that address right now (the kernel picks it).</summary>
    public static int FreePort(string address)
    {
        var listener = new TcpListener(IPAddress.Parse(address), 0);
        listener.Start();
        try
        {
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        finally
        {
            listener.Stop();
        }
    }

    private static FileStream? TryClaim(string address)
    {
        try
        {
            // .NET takes an exclusive flock for FileShare.None on Unix, which other processes' claims respect.
            return new FileStream(Path.Combine(LockDirectory, address + ".lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Any TCP socket bound to the address, listening or not, means someone else uses it.</summary>
    private static bool HasSockets(string address)
    {
        // /proc/net/tcp writes IPv4 addresses as little-endian hex: 127.0.0.20 is 1400007F.
        var bytes = IPAddress.Parse(address).GetAddressBytes();
        var hex = $"{bytes[3]:X2}{bytes[2]:X2}{bytes[1]:X2}{bytes[0]:X2}:";
        try
        {
            return File.ReadLines("/proc/net/tcp").Skip(1).Any(line =>
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return fields.Length > 2 && fields[1].StartsWith(hex, StringComparison.Ordinal);
            });
        }
        catch (IOException)
        {
            return false;
        }
    }
}
