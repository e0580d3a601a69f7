namespace PgHa;

/// <summary>One server of a sandbox: how to reach it and where its files are.</summary>
public sealed class PgHaSandboxNode
{
    public string Name { get; init; } = string.Empty;

    public PgHaRole Role { get; init; }

    /// <summary>Its own loopback address.</summary>
    public string Address { get; init; } = string.Empty;

    public int Port { get; init; }

    /// <summary>The conninfo it is registered with (metadata database pgha, user postgres, no password: trust on loopback).</summary>
    public string Conninfo { get; init; } = string.Empty;

    public string DataDirectory { get; init; } = string.Empty;

    public string LogFile { get; init; } = string.Empty;

    public override string ToString() => Name;
}
