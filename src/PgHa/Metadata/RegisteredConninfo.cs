using System.Diagnostics.CodeAnalysis;
using PgHa.Conninfo;
using PgHa.Core;

namespace PgHa.Metadata;

/// <summary>
/// The one place a conninfo stored in the node records is parsed. A record written by hand, by an older
/// PgHa or by repmgr may hold text libpq refuses; every cmdlet then reports PgHaConninfoInvalid naming the
/// node, never a raw ConninfoFormatException.
/// </summary>
internal static class RegisteredConninfo
{
    /// <exception cref="PgHaException">PgHaConninfoInvalid: libpq would refuse the registered text.</exception>
    public static ConnectionInfo Parse(NodeRecord node)
    {
        ArgumentNullException.ThrowIfNull(node);
        return Parse(node.Name, node.Conninfo);
    }

    /// <inheritdoc cref="Parse(NodeRecord)"/>
    public static ConnectionInfo Parse(string nodeName, string conninfo)
    {
        if (ConnectionInfo.TryParse(conninfo, out ConnectionInfo? info, out string? error))
        {
            return info;
        }

        throw Invalid(nodeName, error);
    }

    /// <summary>For look-ups that pass over a record they cannot read (matching endpoints): false, no error.</summary>
    public static bool TryParse(NodeRecord node, [NotNullWhen(true)] out ConnectionInfo? info) =>
        ConnectionInfo.TryParse(node.Conninfo, out info, out _);

    /// <summary>For reports that show a record they cannot read (the checks): false, with the parser's words (never a password).</summary>
    public static bool TryParse(NodeRecord node, [NotNullWhen(true)] out ConnectionInfo? info, [NotNullWhen(false)] out string? problem)
    {
        ArgumentNullException.ThrowIfNull(node);
        return ConnectionInfo.TryParse(node.Conninfo, out info, out problem);
    }

    /// <summary>The error for a registered conninfo that cannot be parsed or used (also for NpgsqlSettings' refusals).</summary>
    public static PgHaException Invalid(string nodeName, string problem, Exception? inner = null) =>
        new(PgHaErrorIds.ConninfoInvalid, nodeName,
            $"The registered conninfo of {nodeName} is invalid: {problem} Register the node again with a valid -Conninfo and -Force (Register-PgHaNode), or remove it with Unregister-PgHaNode.", inner);
}
