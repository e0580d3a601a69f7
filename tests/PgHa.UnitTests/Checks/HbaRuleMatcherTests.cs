using System.Net;
using PgHa.Operations.Checks;
using Xunit;

namespace PgHa.UnitTests.Checks;

/// <summary>pg_hba.conf's first-match rule for replication connections, as the ReplicationHba check applies it.</summary>
public sealed class HbaRuleMatcherTests
{
    private static NodeFacts.HbaRule Rule(int line, string type, string database, string user, string? address, string? netmask, string method) =>
        new(line, type, [database], [user], address, netmask, method);

    private static readonly IPAddress[] Node2 = [IPAddress.Parse("10.0.0.12")];

    // By case name: the rules are internal types, which a public theory cannot take as parameters.
    private static readonly Dictionary<string, (NodeFacts.HbaRule[] Rules, bool Admitted)> Table = new()
    {
        ["a replication rule for the node's network admits it"] = ([Rule(1, "host", "replication", "all", "10.0.0.0", "255.255.255.0", "scram-sha-256")], true),
        ["'all' databases do not cover replication"] = ([Rule(1, "host", "all", "all", "10.0.0.0", "255.0.0.0", "trust")], false),
        ["a local rule is no TCP rule"] = ([Rule(1, "local", "replication", "all", null, null, "trust")], false),
        ["another network does not match"] = ([Rule(1, "host", "replication", "all", "10.1.0.0", "255.255.0.0", "trust")], false),
        ["the first match decides: reject before trust"] = ([Rule(1, "host", "replication", "all", "10.0.0.12", "255.255.255.255", "reject"), Rule(2, "host", "replication", "all", "0.0.0.0", "0.0.0.0", "trust")], false),
        ["a rule for another user does not match"] = ([Rule(1, "hostssl", "replication", "repl", "10.0.0.0", "255.0.0.0", "md5")], false),
        ["hostssl counts as a TCP rule"] = ([Rule(1, "hostssl", "replication", "pgha", "10.0.0.0", "255.0.0.0", "md5")], true),
        ["samenet is taken as matching"] = ([Rule(1, "host", "replication", "all", "samenet", null, "md5")], true),
        ["a host name rule matches the conninfo's host"] = ([Rule(1, "host", "replication", "all", "pg2.example.com", null, "md5")], true),
        ["a domain suffix rule matches"] = ([Rule(1, "host", "replication", "all", ".example.com", null, "md5")], true),
        ["no rule at all refuses"] = ([], false),
    };

    public static TheoryData<string> Cases => new(Table.Keys);

    [Theory]
    [MemberData(nameof(Cases))]
    public void FirstMatchDecides(string why)
    {
        var (rules, admitted) = Table[why];
        var rule = HbaRuleMatcher.FirstMatch(rules, "pgha", "pg2.example.com", Node2);
        Assert.True(HbaRuleMatcher.Admits(rule) == admitted, why);
    }
}
