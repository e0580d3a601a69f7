using PgHa.Operations.Monitor;
using Xunit;

namespace PgHa.UnitTests.Monitor;

public sealed class BootRulesTests
{
    [Theory]
    [InlineData(PgHa.PgHaRole.Witness, true, false, BootAction.Start)]
    [InlineData(PgHa.PgHaRole.Standby, true, false, BootAction.Start)]
    [InlineData(PgHa.PgHaRole.Standby, false, false, BootAction.StayFencedForRejoin)]
    [InlineData(PgHa.PgHaRole.Primary, true, true, BootAction.StartReadOnly)]
    [InlineData(PgHa.PgHaRole.Primary, true, false, BootAction.StayFencedForRejoin)]
    [InlineData(PgHa.PgHaRole.Primary, false, false, BootAction.StayFencedForRejoin)]
    [InlineData(PgHa.PgHaRole.Standby, false, true, BootAction.StartReadOnly)]
    public void NoNodeStartsWritable(PgHa.PgHaRole role, bool active, bool leads, BootAction expected)
    {
        Assert.Equal(expected, BootRules.Decide(role, active, leads));
    }
}
