using System.Text.Json;
using System.Text.Json.Serialization;

namespace PgHa.Operations.Monitor;

/// <summary>
/// What monitors say to each other: one JSON object per line, one request and one reply per TCP
/// connection. Kept deliberately small: a status, a vote, and the announcement of a new primary.
/// Nothing in them is secret (no conninfo, no password).
/// </summary>
internal sealed record PeerRequest
{
    public const string StatusOp = "status";
    public const string VoteOp = "vote";
    public const string AnnounceOp = "announce";
    public const string PauseOp = "pause";
    public const string ResumeOp = "resume";

    public string Op { get; init; } = StatusOp;

    /// <summary>vote: the term asked for; announce: the term the new primary leads in.</summary>
    public long Term { get; init; }

    /// <summary>vote: the candidate; announce: the new primary.</summary>
    public int NodeId { get; init; }

    /// <summary>vote: the WAL the candidate has received.</summary>
    public string? Lsn { get; init; }
}

/// <summary>A vote's answer.</summary>
internal sealed record PeerVoteReply(bool Granted, string Reason, long Term);

/// <summary>A monitor's report on itself and on what it sees: what Get-PgHaMonitor shows and what elections are decided on.</summary>
internal sealed record PeerStatus
{
    public int NodeId { get; init; }
    public string NodeName { get; init; } = "";

    /// <summary>primary, standby, witness, candidate (electing or promoting itself), or down (its server does not run).</summary>
    public MonitorRole Role { get; init; }
    public bool ServerRunning { get; init; }

    /// <summary>The monitor fenced its node: standby.signal is in place and the server was stopped.</summary>
    public bool Fenced { get; init; }
    public long Term { get; init; }
    public int? LeaderId { get; init; }

    /// <summary>This member vouches for the leader: its last check reached it moments ago.</summary>
    public bool SeesLeader { get; init; }
    public bool LeaderFailed { get; init; }
    public double? LeaderLastSeenSecondsAgo { get; init; }
    public string? ReceivedLsn { get; init; }
    public int Priority { get; init; }
    public string Location { get; init; } = "default";
    public bool Paused { get; init; }
    public PgHaFailoverMode Failover { get; init; }
    public int ProcessId { get; init; }
    public DateTimeOffset StartedAt { get; init; }
    public DateTimeOffset? LastCheckAt { get; init; }
    public string Version { get; init; } = "";

    /// <summary>
    /// The node won a term moments ago but could not promote: it does not stand, the members leave it out of
    /// their elections and take it for gone as their leader (false from an older monitor).
    /// </summary>
    public bool StandsAside { get; init; }

    /// <summary>Which consensus backend this monitor runs (<see cref="IConsensus.Name"/>); empty from an older monitor.</summary>
    public string Consensus { get; init; } = "";

    /// <summary>On the leader that may take writes: seconds left on its lease (null elsewhere, and while paused).</summary>
    public double? LeaseSecondsLeft { get; init; }
}

internal static class PeerJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        Converters = { new MonitorRoleJsonConverter(), new JsonStringEnumConverter() },
    };

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);

    public static T Deserialize<T>(string line) =>
        JsonSerializer.Deserialize<T>(line, Options) ?? throw new JsonException("empty message");
}
