using PgHa.Operations.Monitor;
using Xunit;

namespace PgHa.UnitTests.Monitor;

public sealed class BootRulesTests
{
    [Theory]
    [InlineData(PgHa.PgHaRole.Witness, true, false, "Start")]
    [InlineData(PgHa.PgHaRole.Standby, true, false, "Start")]
    [InlineData(PgHa.PgHaRole.Standby, false, false, "StayFencedForRejoin")]
    [InlineData(PgHa.PgHaRole.Primary, true, true, "StartReadOnly")]
    [InlineData(PgHa.PgHaRole.Primary, true, false, "StayFencedForRejoin")]
    [InlineData(PgHa.PgHaRole.Primary, false, false, "StayFencedForRejoin")]
    [InlineData(PgHa.PgHaRole.Standby, false, true, "StartReadOnly")]
    public void NoNodeStartsWritable(PgHa.PgHaRole role, bool active, bool leads, string expected)
    {
        Assert.Equal(expected, BootRules.Decide(role, active, leads).ToString());
    }
}
