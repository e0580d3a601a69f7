using System.Net;
using System.Net.Sockets;
using System.Text;

namespace PgHa.Tests.Faults;

/// <summary>
/// Sends one raw line to a monitor's peer endpoint, as any process on a member's host could: from a chosen
/// source address (a member's, to pass the address check; 127.0.0.1 for "elsewhere") and with nothing else
/// (no signature: today's protocol has none). Returns the reply line, or null when none came within 3 s.
/// </summary>
public static class PeerMessage
{
    public static async Task<string?> SendAsync(string fromAddress, string toAddress, int toPort, string line)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            socket.Bind(new IPEndPoint(IPAddress.Parse(fromAddress), 0));
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Parse(toAddress), toPort), deadline.Token);
            await socket.SendAsync(Encoding.UTF8.GetBytes(line + "\n"), SocketFlags.None, deadline.Token);
            var reply = new MemoryStream();
            var buffer = new byte[4096];
            while (true)
            {
                int read = await socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token);
                if (read == 0)
                {
                    break;
                }
                reply.Write(buffer, 0, read);
                if (Array.IndexOf(buffer, (byte)'\n', 0, read) >= 0)
                {
                    break;
                }
            }
            return Encoding.UTF8.GetString(reply.ToArray()).Trim();
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or IOException)
        {
            return null;
        }
    }
}
