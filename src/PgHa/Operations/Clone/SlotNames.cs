using System.Text;

namespace PgHa.Operations.Clone;

/// <summary>Replication slot names PostgreSQL accepts ([a-z0-9_], at most 63 bytes), derived from node names as repmgr does.</summary>
internal static class SlotNames
{
    public static string ForNode(string nodeName)
    {
        var name = new StringBuilder("pgha_");
        foreach (char c in nodeName.ToLowerInvariant())
        {
            name.Append(c is >= 'a' and <= 'z' or >= '0' and <= '9' or '_' ? c : '_');
        }
        return name.Length > 63 ? name.ToString(0, 63) : name.ToString();
    }

    public static bool IsValid(string name) =>
        name.Length is > 0 and <= 63 && name.All(c => c is >= 'a' and <= 'z' or >= '0' and <= '9' or '_');
}
