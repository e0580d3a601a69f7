using System.Net;

namespace PgHa.Operations.Checks;

/// <summary>
/// Decides, as the server would, whether pg_hba.conf lets a client in for replication: the first rule whose
/// type, database, user and address match decides, and 'reject' refuses. 'all' does not cover the
/// replication pseudo-database, as in PostgreSQL.
/// </summary>
internal static class HbaRuleMatcher
{
    /// <summary>The deciding rule, or null when no rule matches (the server refuses).</summary>
    public static NodeFacts.HbaRule? FirstMatch(IReadOnlyList<NodeFacts.HbaRule> rules, string user, string host, IReadOnlyList<IPAddress> addresses)
    {
        foreach (NodeFacts.HbaRule rule in rules)
        {
            if (!rule.Type.StartsWith("host", StringComparison.Ordinal) || !rule.Databases.Contains("replication"))
            {
                continue;
            }
            // A +group rule names members PgHa cannot see from here; taking it as a match errs towards Ok only for that rule.
            if (!rule.Users.Any(u => u == "all" || u == user || u.StartsWith('+')))
            {
                continue;
            }
            if (AddressMatches(rule, host, addresses))
            {
                return rule;
            }
        }
        return null;
    }

    public static bool Admits(NodeFacts.HbaRule? rule) => rule is not null && rule.AuthMethod != "reject";

    private static bool AddressMatches(NodeFacts.HbaRule rule, string host, IReadOnlyList<IPAddress> addresses)
    {
        string? address = rule.Address;
        if (address is null or "all" or "samehost" or "samenet")
        {
            // samehost/samenet depend on the server's own interfaces; PgHa takes them as matching.
            return true;
        }
        if (!IPAddress.TryParse(address, out IPAddress? network))
        {
            // A host name in pg_hba.conf: the server resolves the client's address back to it.
            return string.Equals(address.TrimStart('.'), host, StringComparison.OrdinalIgnoreCase)
                || (address.StartsWith('.') && host.EndsWith(address, StringComparison.OrdinalIgnoreCase));
        }
        IPAddress mask = rule.Netmask is not null && IPAddress.TryParse(rule.Netmask, out IPAddress? m)
            ? m
            : new IPAddress(Enumerable.Repeat((byte)0xFF, network.GetAddressBytes().Length).ToArray());
        return addresses.Any(candidate => InNetwork(candidate, network, mask));
    }

    private static bool InNetwork(IPAddress candidate, IPAddress network, IPAddress mask)
    {
        if (candidate.IsIPv4MappedToIPv6)
        {
            candidate = candidate.MapToIPv4();
        }
        byte[] c = candidate.GetAddressBytes(), n = network.GetAddressBytes(), k = mask.GetAddressBytes();
        if (c.Length != n.Length || n.Length != k.Length)
        {
            return false;
        }
        for (int i = 0; i < c.Length; i++)
        {
            if ((c[i] & k[i]) != (n[i] & k[i]))
            {
                return false;
            }
        }
        return true;
    }
}
