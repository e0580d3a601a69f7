using PgHa.Operations.Roles;
using PgHa.Sql;
using Xunit;

namespace PgHa.UnitTests.Engine;

public sealed class SwitchoverHelpersTests
{
    [Theory]
    [InlineData("node2", "node2", "node1", "node1")]
    [InlineData("FIRST 1 (node2, node3)", "node2", "node1", "FIRST 1 (node1, node3)")]
    [InlineData("ANY 2 (\"node2\", node3)", "node2", "node1", "ANY 2 (node1, node3)")]
    [InlineData("NODE2", "node2", "node1", "node1")]
    [InlineData("node22, node3", "node2", "node1", "node22, node3")]
    [InlineData("*", "node2", "node1", "*")]
    [InlineData("", "node2", "node1", "")]
    [InlineData("node2", "node2", "dc1-node.1", "\"dc1-node.1\"")]
    public void SynchronousStandbyNamesSwapByName(string setting, string from, string to, string expected) =>
        Assert.Equal(expected, SynchronousStandbyNames.Replace(setting, from, to));

    [Theory]
    [InlineData("node1", "'node1'")]
    [InlineData("it's", "'it''s'")]
    [InlineData("back\\slash", "'back\\slash'")]
    public void SqlLiteralsDoubleQuotes(string value, string expected) => Assert.Equal(expected, SqlLiteral.Quote(value));

    [Fact]
    public void SqlLiteralsRefuseNul() => Assert.Throws<ArgumentException>(() => SqlLiteral.Quote("a\0b"));
}
