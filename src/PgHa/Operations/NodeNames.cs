using System.Management.Automation;
using PgHa.Core;

namespace PgHa.Operations;

/// <summary>
/// The one rule for node names in every cmdlet: a name is matched exactly, case included, as PostgreSQL
/// matches application_name (synchronous_standby_names, pg_stat_replication) and repmgr matches node_name.
/// -Name patterns with wildcards are case-sensitive too. A name that matches nothing, where a registered
/// name differs only in case, gets an error that names the registered one; and no name is registered
/// beside one that differs from it only in case, so that suggestion is never ambiguous.
/// </summary>
internal static class NodeNames
{
    public const StringComparison Comparison = StringComparison.Ordinal;

    /// <summary>The longest name: PostgreSQL truncates application_name (and slot names) to 63 bytes.</summary>
    public const int MaxLength = 63;

    public static bool Same(string registered, string? given) => string.Equals(registered, given, Comparison);

    /// <summary>
    /// A name a node may be registered or cloned under: 1 to 63 ASCII letters, digits, '_', '.' or '-'. It is
    /// the node's application_name upstream and the base of its slot name, and it appears in shell commands
    /// and file names, so nothing else is let in: no blank, quote, ';', '$' or newline.
    /// </summary>
    /// <exception cref="PgHaException">PgHaNodeNameInvalid.</exception>
    public static void Validate(string? name)
    {
        if (name is { Length: > 0 and <= MaxLength } && name.All(c => c is (>= 'A' and <= 'Z') or (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_' or '.' or '-'))
        {
            return;
        }
        throw new PgHaException(PgHaErrorIds.NodeNameInvalid, name,
            $"{MessageText.Quote(name)} cannot be a node name. Give 1 to {MaxLength} ASCII letters, digits, '_', '.' or '-' (such as node3): " +
            "the name is the node's application_name and the base of its replication slot name.");
    }

    /// <summary>A -Name value: wildcards allowed, matched case-sensitively like plain names.</summary>
    public static WildcardPattern Pattern(string pattern) => new(pattern, WildcardOptions.None);

    /// <summary>The node named exactly <paramref name="name"/>, or null.</summary>
    public static T? Find<T>(IEnumerable<T> nodes, Func<T, string> nameOf, string? name)
        where T : class =>
        nodes.FirstOrDefault(n => Same(nameOf(n), name));

    /// <summary>The node named exactly <paramref name="name"/>.</summary>
    /// <exception cref="PgHaException">PgHaNodeNotFound, naming a differently-cased registered name if there is one.</exception>
    public static T Single<T>(IReadOnlyCollection<T> nodes, Func<T, string> nameOf, string name)
        where T : class =>
        Find(nodes, nameOf, name) ?? throw NotFound(name, nodes.Select(nameOf));

    /// <summary>The registered name that differs from <paramref name="name"/> only in case, or null.</summary>
    public static string? DifferentlyCased(IEnumerable<string> registered, string name) =>
        registered.FirstOrDefault(n => !Same(n, name) && string.Equals(n, name, StringComparison.OrdinalIgnoreCase));

    public static PgHaException NotFound(string name, IEnumerable<string> registered)
    {
        string? other = DifferentlyCased(registered, name);
        string message = other is null
            ? $"No node named {MessageText.Quote(name)} is registered. Get-PgHaNode lists the registered nodes."
            : $"No node named {MessageText.Quote(name)} is registered, but '{other}' is: node names are case-sensitive, as PostgreSQL's application_name is. Use -Name '{other}'.";
        return new PgHaException(PgHaErrorIds.NodeNotFound, name, message);
    }
}
