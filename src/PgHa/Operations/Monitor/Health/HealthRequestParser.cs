using System.Text;

namespace PgHa.Operations.Monitor.Health;

/// <summary>
/// Reads the head of an HTTP/1.x request (request line and headers, up to the empty line). Only what the
/// endpoint needs: no bodies, no chunking, no keep-alive (every answer closes the connection, which is what
/// HAProxy's and keepalived's checks expect anyway).
/// </summary>
internal static class HealthRequestParser
{
    /// <summary>A request head longer than this is refused with 431: checks send a few hundred bytes.</summary>
    public const int MaxHeadBytes = 8192;

    /// <summary>The end of the head in <paramref name="buffer"/> (index after the empty line), or -1 when it has not come yet.</summary>
    public static int HeadLength(ReadOnlySpan<byte> buffer)
    {
        int crlf = buffer.IndexOf("\r\n\r\n"u8);
        if (crlf >= 0)
        {
            return crlf + 4;
        }
        int lf = buffer.IndexOf("\n\n"u8); // tolerated, as most servers do
        return lf >= 0 ? lf + 2 : -1;
    }

    /// <summary>Parses a complete head; on failure <paramref name="error"/> holds the status to answer with and why.</summary>
    public static HealthRequest? Parse(ReadOnlySpan<byte> head, out (int Status, string Reason)? error)
    {
        error = null;
        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(head);
        }
        catch (DecoderFallbackException)
        {
            error = (400, "the request is not valid UTF-8");
            return null;
        }
        int end = text.IndexOf('\n');
        string line = (end < 0 ? text : text[..end]).TrimEnd('\r');
        string[] parts = line.Split(' ');
        if (parts.Length != 3 || parts[0].Length == 0 || !parts[0].All(char.IsAsciiLetterUpper))
        {
            error = (400, "the request line is not 'METHOD /path HTTP/1.1'");
            return null;
        }
        if (parts[2] is not ("HTTP/1.1" or "HTTP/1.0"))
        {
            error = (505, $"HTTP version '{parts[2]}' is not supported; use HTTP/1.1");
            return null;
        }
        string target = parts[1];
        if (target.Length == 0 || target[0] != '/')
        {
            error = (400, "the request target must be a path starting with '/'");
            return null;
        }
        int question = target.IndexOf('?');
        string path = question < 0 ? target : target[..question];
        var query = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (question >= 0)
        {
            foreach (string pair in target[(question + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                int equals = pair.IndexOf('=');
                string name = Decode(equals < 0 ? pair : pair[..equals]);
                string value = equals < 0 ? "" : Decode(pair[(equals + 1)..]);
                query[name] = value;
            }
        }
        // "/primary/" and "/primary" are the same check.
        path = path.Length > 1 ? path.TrimEnd('/') : path;
        return new HealthRequest(parts[0], Decode(path), query);
    }

    private static string Decode(string text)
    {
        try
        {
            return Uri.UnescapeDataString(text.Replace('+', ' '));
        }
        catch (UriFormatException)
        {
            return text;
        }
    }
}
