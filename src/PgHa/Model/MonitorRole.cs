using System.Text.Json.Serialization;

namespace PgHa;

/// <summary>
/// What a node is right now, as its own monitor sees it (the registered role is <see cref="PgHaRole"/>).
/// On the wire (peer status, the health endpoint's JSON, /metrics labels) each is its lowercase name.
/// </summary>
[JsonConverter(typeof(MonitorRoleJsonConverter))]
internal enum MonitorRole
{
    /// <summary>The server runs but did not answer this round (starting, stopping, refusing the probe).</summary>
    Unknown,

    /// <summary>The server does not run.</summary>
    Down,

    /// <summary>The server answers in recovery.</summary>
    Standby,

    /// <summary>A standby that stands in an election or is being promoted after winning one.</summary>
    Candidate,

    /// <summary>The server answers as writable.</summary>
    Primary,

    /// <summary>The witness node: votes, never promoted.</summary>
    Witness,
}

internal static class MonitorRoles
{
    /// <summary>Every role, in the order /metrics lists them.</summary>
    public static readonly MonitorRole[] All = [MonitorRole.Primary, MonitorRole.Standby, MonitorRole.Witness, MonitorRole.Candidate, MonitorRole.Down, MonitorRole.Unknown];

    /// <summary>The wire name: primary, standby, witness, candidate, down, unknown.</summary>
    public static string Name(this MonitorRole role) => role switch
    {
        MonitorRole.Down => "down",
        MonitorRole.Standby => "standby",
        MonitorRole.Candidate => "candidate",
        MonitorRole.Primary => "primary",
        MonitorRole.Witness => "witness",
        _ => "unknown",
    };

    /// <summary>The role a wire name stands for; a name this version does not know is Unknown.</summary>
    public static MonitorRole Parse(string? name) =>
        All.FirstOrDefault(role => string.Equals(role.Name(), name, StringComparison.Ordinal), MonitorRole.Unknown);
}

/// <summary>Roles as their lowercase wire names (net8.0, which the module targets for PowerShell 7.4, has no JsonStringEnumMemberName). Listed first in PeerJson.Options: converters there win over a type's attribute.</summary>
internal sealed class MonitorRoleJsonConverter : JsonConverter<MonitorRole>
{
    public override MonitorRole Read(ref System.Text.Json.Utf8JsonReader reader, Type typeToConvert, System.Text.Json.JsonSerializerOptions options) =>
        MonitorRoles.Parse(reader.GetString());

    public override void Write(System.Text.Json.Utf8JsonWriter writer, MonitorRole value, System.Text.Json.JsonSerializerOptions options) =>
        writer.WriteStringValue(value.Name());
}
