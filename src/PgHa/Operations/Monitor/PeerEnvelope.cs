using System.Globalization;
using System.Text;

namespace PgHa.Operations.Monitor;

/// <summary>
/// One line on the wire: a request or a reply (<see cref="Body"/>, the JSON of <see cref="PeerRequest"/>,
/// <see cref="PeerStatus"/>, ...) with who sent it to whom, when, a random nonce, for a reply the nonce of the
/// request it answers, and the HMAC over all of that. The body travels as the very string that was signed, so
/// no re-serialization can change the bytes the MAC covers.
/// </summary>
internal sealed record PeerEnvelope
{
    public const string RequestKind = "request";
    public const string ReplyKind = "reply";

    /// <summary>request or reply: a request can never be passed off as a reply, nor the reverse.</summary>
    public string Kind { get; init; } = RequestKind;

    public string Body { get; init; } = "";

    /// <summary>The sender's node id; 0 for a DBA's command (Suspend-PgHaMonitor, Get-PgHaMonitor).</summary>
    public int From { get; init; }

    /// <summary>The node id the message is meant for; 0 in a reply to a DBA's command.</summary>
    public int To { get; init; }

    /// <summary>When it was sent: Unix time in milliseconds, the sender's wall clock.</summary>
    public long At { get; init; }

    /// <summary>128 random bits, base64.</summary>
    public string Nonce { get; init; } = "";

    /// <summary>In a reply: the nonce of the request answered.</summary>
    public string? Re { get; init; }

    /// <summary>HMAC-SHA256 of <see cref="SignedBytes"/>, base64; null in an unsigned status request.</summary>
    public string? Mac { get; init; }

    /// <summary>
    /// What the MAC covers, one field per line, the body last (only it may hold a newline): a version label,
    /// the kind, sender, recipient, time, nonce, the answered nonce, the body.
    /// </summary>
    public byte[] SignedBytes() => Encoding.UTF8.GetBytes(string.Join('\n',
        "pgha-peer-1",
        Kind,
        From.ToString(CultureInfo.InvariantCulture),
        To.ToString(CultureInfo.InvariantCulture),
        At.ToString(CultureInfo.InvariantCulture),
        Nonce,
        Re ?? string.Empty,
        Body));
}
