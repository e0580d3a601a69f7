using System.Management.Automation;
using PgHa.Conninfo;
using PgHa.Core;
using PgHa.Metadata;
using PgHa.Operations.Host;

namespace PgHa.Operations.Roles;

/// <summary>Finding registered nodes by name and turning their records into what the role-change steps need.</summary>
internal static class NodeRecordLookup
{
    /// <inheritdoc cref="NodeNames.Single{T}(IReadOnlyCollection{T}, Func{T, string}, string)"/>
    public static NodeRecord ByName(IReadOnlyList<NodeRecord> nodes, string name) => NodeNames.Single(nodes, n => n.Name, name);

    public static NodeRecord? ActivePrimary(IReadOnlyList<NodeRecord> nodes) =>
        nodes.FirstOrDefault(n => n.Role == PgHaRole.Primary && n.Active);

    public static string? NameOf(IReadOnlyList<NodeRecord> nodes, int? id) =>
        id is null ? null : nodes.FirstOrDefault(n => n.Id == id)?.Name;

    /// <inheritdoc cref="RegisteredConninfo.Parse(NodeRecord)"/>
    public static ConnectionInfo ConninfoOf(NodeRecord node) => RegisteredConninfo.Parse(node);

}
