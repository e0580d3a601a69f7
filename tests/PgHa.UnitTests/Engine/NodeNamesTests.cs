using PgHa;
using PgHa.Core;
using PgHa.Metadata;
using PgHa.Operations;
using PgHa.Operations.Roles;
using Xunit;

namespace PgHa.UnitTests.Engine;

/// <summary>One rule for node names: exact, case included; a differently-cased name is suggested, never taken.</summary>
public sealed class NodeNamesTests
{
    private static NodeRecord Node(int id, string name, PgHaRole role = PgHaRole.Standby) =>
        new(id, name, role, role == PgHaRole.Primary ? null : 1, true, "default", 100, $"host={name} dbname=pgha", null, null, null);

    private static readonly NodeRecord[] Cluster = [Node(1, "node1", PgHaRole.Primary), Node(2, "node2"), Node(3, "Node3")];

    [Theory]
    [InlineData("node2", 2)]
    [InlineData("Node3", 3)]
    [InlineData("NODE2", null)]
    [InlineData("node3", null)]
    [InlineData("node2 ", null)]
    public void Find_IsExact(string name, int? id) => Assert.Equal(id, NodeNames.Find(Cluster, n => n.Name, name)?.Id);

    [Fact]
    public void NotFound_SuggestsTheDifferentlyCasedName()
    {
        var e = Assert.Throws<PgHaException>(() => NodeRecordLookup.ByName(Cluster, "NODE2"));
        Assert.Equal("PgHaNodeNotFound", e.ErrorId);
        Assert.Contains("'node2' is", e.Message);
        e = Assert.Throws<PgHaException>(() => NodeRecordLookup.ByName(Cluster, "node9"));
        Assert.DoesNotContain("case-sensitive", e.Message);
    }

    [Theory]
    [InlineData("node*", new[] { "node1", "node2" })]
    [InlineData("NODE*", new string[0])]
    [InlineData("?ode3", new[] { "Node3" })]
    public void Patterns_AreCaseSensitiveToo(string pattern, string[] expected)
    {
        var compiled = NodeNames.Pattern(pattern);
        Assert.Equal(expected, Cluster.Select(n => n.Name).Where(compiled.IsMatch).ToArray());
    }

    [Fact]
    public void Registering_ANameThatDiffersOnlyInCase_IsRefused()
    {
        var e = Assert.Throws<PgHaException>(() => RegistrationRules.Decide(Cluster, Node(0, "NODE2"), force: true, _ => false));
        Assert.Equal("PgHaNodeNameInUse", e.ErrorId);
        Assert.Contains("'node2' (id 2)", e.Message);
    }

    [Fact]
    public void Renaming_ARecordToAnotherCase_NeedsItsIdAndForce()
    {
        Assert.Throws<PgHaException>(() => RegistrationRules.Decide(Cluster, Node(2, "NODE2"), force: false, _ => false));
        var decision = RegistrationRules.Decide(Cluster, Node(2, "NODE2"), force: true, _ => false);
        Assert.Equal("NODE2", decision.Record.Name);
        Assert.Equal(2, decision.Record.Id);
    }

    [Theory]
    [InlineData("node3")]
    [InlineData("pg-1.dc_2")]
    [InlineData("N")]
    [InlineData("nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn")] // 63
    public void Validate_TakesWhatCanBeAnApplicationName(string name) => NodeNames.Validate(name);

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("node2\n")]
    [InlineData("node 2")]
    [InlineData("node2;rm")]
    [InlineData("$(id)")]
    [InlineData("it's")]
    [InlineData("nœud")]
    [InlineData("nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn")] // 64
    public void Validate_RefusesEverythingElse_SayingWhatANameMayHold(string name)
    {
        var e = Assert.Throws<PgHaException>(() => NodeNames.Validate(name));
        Assert.Equal(PgHaErrorIds.NodeNameInvalid, e.ErrorId);
        Assert.Contains("Give 1 to 63 ASCII letters", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("\n", e.Message.Replace("\\n", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public void MessagesShowValuesOnOneLineAndShort()
    {
        Assert.Equal("'node2\\n'", MessageText.Quote("node2\n"));
        Assert.Equal("''", MessageText.Quote(null));
        string quoted = MessageText.Quote(new string('n', 5000));
        Assert.Equal("'" + new string('n', MessageText.MaxShown) + "'... (5000 characters)", quoted);
        string shortened = MessageText.Shorten("mkdir: cannot create '/tmp/" + new string('p', 5000) + "': File name too long");
        Assert.StartsWith("mkdir: cannot create '/tmp/ppp", shortened, StringComparison.Ordinal);
        Assert.EndsWith("... (5008 characters) File name too long", shortened, StringComparison.Ordinal);
        Assert.Equal("short stays as it was", MessageText.Shorten("short stays as it was"));
    }
}
