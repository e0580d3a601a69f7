using PgHa.Operations.Monitor;
using Xunit;

namespace PgHa.UnitTests.Monitor;

/// <summary>Which terms a monitor takes from another (<see cref="TermRules"/>, <see cref="TermGate"/>).</summary>
public sealed class TermRulesTests
{
    public static TheoryData<long, long, bool> Cases => new()
    {
        // offered, reference, taken
        { 0, 0, true },
        { 5, 4, true },
        { 3, 4, true }, // an older term is no danger here; the callers refuse it for their own reasons
        { 4 + TermRules.MaxStep, 4, true },
        { 4 + TermRules.MaxStep + 1, 4, false },
        { -1, 0, false },
        { long.MinValue, 0, false },
        { long.MaxValue, 0, false },
        { long.MaxValue, long.MaxValue - 1, false }, // never near an overflow, whatever the reference
        { TermRules.Ceiling, TermRules.Ceiling - 1, true },
        { TermRules.Ceiling + 1, TermRules.Ceiling, false },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void TermsFarAheadOrOutOfRangeAreRefused(long offered, long reference, bool taken)
    {
        Assert.Equal(taken, TermRules.Refusal(offered, reference) is null);
    }

    [Theory]
    [InlineData(0L, 1L)]
    [InlineData(41L, 42L)]
    [InlineData(TermRules.Ceiling - 1, TermRules.Ceiling)]
    [InlineData(TermRules.Ceiling, null)]
    [InlineData(long.MaxValue, null)]
    [InlineData(-1L, null)]
    public void TheNextTermNeverOverflows(long highest, long? next)
    {
        Assert.Equal(next, TermRules.Next(highest));
    }

    [Fact]
    public void OneMessageMovesTheGateOneStepAtMost()
    {
        var gate = new TermGate();

        Assert.NotNull(gate.Offer(100, known: 0));
        Assert.Equal(TermRules.MaxStep, gate.Mark);
        Assert.NotNull(gate.Offer(100, known: 0));
        Assert.NotNull(gate.Offer(100, known: 0));
        Assert.Equal(3 * TermRules.MaxStep, gate.Mark);
        Assert.Null(gate.Offer(100, known: 0)); // caught up after ceil(100 / 32) rounds: a member that missed elections is not shut out
        Assert.Equal(100, gate.Mark);
    }

    [Fact]
    public void TheMaximumTermIsNeverTakenHoweverOftenItIsSent()
    {
        var gate = new TermGate();
        for (int i = 0; i < 1000; i++)
        {
            Assert.NotNull(gate.Offer(long.MaxValue, known: 7));
        }
        Assert.Equal(0, gate.Mark); // no election anybody ran: it moves nothing
        Assert.NotNull(gate.Offer(-5, known: 7));
    }

    [Fact]
    public void TheGateFollowsTheMembersOwnTerm()
    {
        var gate = new TermGate();

        Assert.Null(gate.Offer(1000 + TermRules.MaxStep, known: 1000));
        Assert.NotNull(gate.Offer(1000 + 3 * TermRules.MaxStep, known: 1000));
    }
}
