using System.Security.Cryptography;
using System.Text.Json;
using PgHa.Core;

namespace PgHa.Operations.Monitor;

/// <summary>Who sent a request that was accepted: its node id (0: a DBA's command), whether it was signed, and from which address.</summary>
internal sealed record PeerCaller(int NodeId, bool Signed, System.Net.IPAddress Address);

/// <summary>A request as read by the server: accepted (<see cref="Request"/> set) or refused (<see cref="Problem"/>); <see cref="Nonce"/> and <see cref="From"/> let a refusal be answered too.</summary>
internal sealed record PeerRequestCheck(PeerRequest? Request, int From, bool Signed, string? Nonce, string? Problem);

/// <summary>A reply as read by the client: its body, or why it was not taken.</summary>
internal sealed record PeerReplyCheck(string? Body, string? Problem);

/// <summary>
/// Signs and checks what monitors say to each other (<see cref="PeerEnvelope"/>). A request is taken when its
/// MAC is right, it is meant for this node, its time is within <see cref="Window"/> of this node's clock, and
/// its nonce was not seen before; the one exception is an unsigned status request (read-only: Get-PgHaMonitor
/// from a machine without the secret), whose reply is signed all the same. A reply is taken when its MAC is
/// right, it comes from the node that was asked, and it answers the request's own nonce, which makes it fresh:
/// an old reply cannot be replayed for a new request.
/// </summary>
internal sealed class PeerSigner
{
    /// <summary>
    /// How far a request's time may be from the receiver's clock. The hosts' wall clocks are all there is to
    /// compare (each monitor's monotonic clock means nothing to another). Requests live for at most the vote
    /// timeout (2 s), so the window is sized for clock disagreement, not for latency: NTP keeps hosts within
    /// milliseconds, and 30 s still takes a host whose clock has drifted for days without NTP or a VM just
    /// resumed, while a captured request stays usable for 30 s at most, once, and the replay cache needs to
    /// remember only a minute of nonces.
    /// </summary>
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(30);

    /// <summary>Nonces remembered at most; far above what elections, announcements and pauses send in a minute.</summary>
    public const int ReplayCapacity = 4096;

    private const int NonceBytes = 16;

    private readonly ClusterSecret? _secret;
    private readonly Func<DateTimeOffset> _clock;
    private readonly ReplayCache _seen;

    /// <param name="secret">The cluster secret; null for a command that has none (it can still ask for a status, unsigned, and cannot check the reply's MAC).</param>
    /// <param name="selfId">This node's id; 0 for a DBA's command.</param>
    public PeerSigner(ClusterSecret? secret, int selfId, Func<DateTimeOffset>? clock = null, int replayCapacity = ReplayCapacity)
    {
        _secret = secret;
        SelfId = selfId;
        _clock = clock ?? (() => DateTimeOffset.UtcNow);
        _seen = new ReplayCache(replayCapacity);
    }

    public int SelfId { get; }

    public bool CanSign => _secret is not null;

    /// <summary>The file the secret came from, for messages; null without one.</summary>
    public string? SecretPath => _secret?.Path;

    // ------------------------------------------------------------------ client side

    /// <summary>The request as one line, signed when this side has the secret, and its nonce (to check the reply with).</summary>
    public (string Line, string Nonce) Request(PeerRequest request, int to)
    {
        var envelope = new PeerEnvelope
        {
            Kind = PeerEnvelope.RequestKind,
            Body = PeerJson.Serialize(request),
            From = SelfId,
            To = to,
            At = _clock().ToUnixTimeMilliseconds(),
            Nonce = NewNonce(),
        };
        envelope = Sign(envelope);
        return (PeerJson.Serialize(envelope), envelope.Nonce);
    }

    /// <summary>Checks a reply to the request with <paramref name="nonce"/> sent to node <paramref name="askedNodeId"/>.</summary>
    public PeerReplyCheck CheckReply(string line, int askedNodeId, string nonce)
    {
        PeerEnvelope? envelope = Parse(line);
        if (envelope is null)
        {
            return new(null, "the reply is not a PgHa monitor message (an older PgHa version, or not a monitor)");
        }
        if (envelope.Kind != PeerEnvelope.ReplyKind || envelope.Re != nonce)
        {
            return new(null, "the reply does not answer this request");
        }
        if (envelope.From != askedNodeId)
        {
            return new(null, $"the reply comes from node {envelope.From}, not from node {askedNodeId} that was asked (is another node's monitor on that port?)");
        }
        if (_secret is not null && !MacIsRight(envelope))
        {
            return new(null, $"the reply is not signed with the cluster secret from {_secret.Path} (the node's monitor has another secret, or someone else answered)");
        }
        return new(envelope.Body, null);
    }

    // ------------------------------------------------------------------ server side

    /// <summary>Reads and checks one request line.</summary>
    public PeerRequestCheck CheckRequest(string line)
    {
        PeerEnvelope? envelope = Parse(line);
        if (envelope is null)
        {
            return new(null, 0, false, null, "not a PgHa monitor request (an older PgHa version?)");
        }
        if (envelope.Kind != PeerEnvelope.RequestKind || !NonceIsWellFormed(envelope.Nonce))
        {
            return new(null, envelope.From, false, null, "not a well-formed PgHa monitor request");
        }
        PeerRequest request;
        try
        {
            request = PeerJson.Deserialize<PeerRequest>(envelope.Body);
        }
        catch (JsonException)
        {
            return new(null, envelope.From, false, envelope.Nonce, "the request's body is not a PgHa monitor request");
        }
        if (envelope.Mac is null)
        {
            return request.Op == PeerRequest.StatusOp
                ? new(request, envelope.From, false, envelope.Nonce, null)
                : new(null, envelope.From, false, envelope.Nonce, $"an unsigned '{request.Op}' request is refused: only a status may be asked without the cluster secret");
        }
        if (_secret is null || !MacIsRight(envelope))
        {
            return new(null, envelope.From, false, envelope.Nonce, "the request's signature is wrong (another cluster secret, or a forged or altered request)");
        }
        if (envelope.To != SelfId)
        {
            return new(null, envelope.From, false, envelope.Nonce, $"the request is meant for node {envelope.To}, not for this node ({SelfId})");
        }
        long now = _clock().ToUnixTimeMilliseconds();
        long window = (long)Window.TotalMilliseconds;
        if (envelope.At < now - window || envelope.At > now + window)
        {
            return new(null, envelope.From, false, envelope.Nonce,
                $"the request was sent at {DateTimeOffset.FromUnixTimeMilliseconds(envelope.At):u} by its clock, more than {Window.TotalSeconds:0} s from this node's clock ({DateTimeOffset.FromUnixTimeMilliseconds(now):u}): a replay, or the hosts' clocks disagree (run NTP)");
        }
        // A status changes nothing, so its nonce need not be remembered: replaying one only earns a reply that answers the old nonce.
        if (request.Op != PeerRequest.StatusOp && !_seen.TryAdd(envelope.Nonce, envelope.At + window, now, out bool full))
        {
            return new(null, envelope.From, false, envelope.Nonce, full
                ? "too many signed requests in the last minute: refused until older ones expire"
                : "this request was taken before (a replay)");
        }
        return new(request, envelope.From, true, envelope.Nonce, null);
    }

    /// <summary>A reply to the request with <paramref name="requestNonce"/> from node <paramref name="to"/>, signed when this side has the secret.</summary>
    public string Reply(string body, string requestNonce, int to)
    {
        var envelope = new PeerEnvelope
        {
            Kind = PeerEnvelope.ReplyKind,
            Body = body,
            From = SelfId,
            To = to,
            At = _clock().ToUnixTimeMilliseconds(),
            Nonce = NewNonce(),
            Re = requestNonce,
        };
        return PeerJson.Serialize(Sign(envelope));
    }

    // ------------------------------------------------------------------

    private PeerEnvelope Sign(PeerEnvelope envelope) =>
        _secret is null ? envelope : envelope with { Mac = Convert.ToBase64String(_secret.Mac(envelope.SignedBytes())) };

    private bool MacIsRight(PeerEnvelope envelope)
    {
        if (_secret is null || envelope.Mac is null)
        {
            return false;
        }
        Span<byte> mac = stackalloc byte[64];
        return Convert.TryFromBase64String(envelope.Mac, mac, out int written) && _secret.Verify(envelope.SignedBytes(), mac[..written]);
    }

    private static PeerEnvelope? Parse(string line)
    {
        try
        {
            PeerEnvelope envelope = PeerJson.Deserialize<PeerEnvelope>(line);
            return envelope.Body.Length == 0 ? null : envelope;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static bool NonceIsWellFormed(string nonce)
    {
        Span<byte> bytes = stackalloc byte[NonceBytes + 3];
        return nonce.Length <= 32 && Convert.TryFromBase64String(nonce, bytes, out int written) && written == NonceBytes;
    }

    private static string NewNonce() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(NonceBytes));
}
