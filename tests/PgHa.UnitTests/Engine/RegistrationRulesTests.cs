using PgHa;
using PgHa.Core;
using PgHa.Metadata;
using PgHa.Operations;
using Xunit;

namespace PgHa.UnitTests.Engine;

public sealed class RegistrationRulesTests
{
    private static NodeRecord Node(int id, string name, PgHaRole role = PgHaRole.Standby, int? upstream = 1, bool active = true, int priority = 100) =>
        new(id, name, role, role == PgHaRole.Primary ? null : upstream, active, "default", priority, $"host={name} dbname=pgha", null, null, null);

    private static readonly Func<NodeRecord, bool> NotLive = _ => false;

    [Fact]
    public void FirstNodeGetsIdOneWhenNoneIsGiven()
    {
        var decision = RegistrationRules.Decide([], Node(0, "node1", PgHaRole.Primary), force: false, NotLive);
        Assert.Equal(1, decision.Record.Id);
        Assert.Equal(PgHaRegistrationAction.Registered, decision.Action);
    }

    [Fact]
    public void NextFreeIdFollowsTheHighest()
    {
        var decision = RegistrationRules.Decide([Node(1, "node1", PgHaRole.Primary), Node(7, "node7")], Node(0, "node2"), false, NotLive);
        Assert.Equal(8, decision.Record.Id);
    }

    [Fact]
    public void SameSettingsAgainChangeNothing()
    {
        var existing = new[] { Node(1, "node1", PgHaRole.Primary), Node(2, "node2") };
        var decision = RegistrationRules.Decide(existing, Node(0, "node2"), force: false, NotLive);
        Assert.Equal(PgHaRegistrationAction.Unchanged, decision.Action);
        Assert.False(decision.Changed);
        Assert.Equal(2, decision.Record.Id);
    }

    [Fact]
    public void DifferentSettingsNeedForce()
    {
        var existing = new[] { Node(1, "node1", PgHaRole.Primary), Node(2, "node2") };
        var ex = Assert.Throws<PgHaException>(() => RegistrationRules.Decide(existing, Node(2, "node2", priority: 5), false, NotLive));
        Assert.Equal("PgHaNodeAlreadyRegistered", ex.ErrorId);
        Assert.Contains("priority: '100' -> '5'", ex.Message);

        var forced = RegistrationRules.Decide(existing, Node(2, "node2", priority: 5), force: true, NotLive);
        Assert.Equal(PgHaRegistrationAction.Updated, forced.Action);
    }

    [Fact]
    public void DuplicateNameUnderAnotherIdIsRefusedEvenWithForce()
    {
        var existing = new[] { Node(1, "node1", PgHaRole.Primary), Node(2, "node2") };
        var ex = Assert.Throws<PgHaException>(() => RegistrationRules.Decide(existing, Node(3, "node2"), force: true, NotLive));
        Assert.Equal("PgHaNodeNameInUse", ex.ErrorId);
    }

    [Fact]
    public void DuplicateIdUnderAnotherNameNeedsForce()
    {
        var existing = new[] { Node(1, "node1", PgHaRole.Primary), Node(2, "node2") };
        var ex = Assert.Throws<PgHaException>(() => RegistrationRules.Decide(existing, Node(2, "node3"), false, NotLive));
        Assert.Equal("PgHaNodeIdInUse", ex.ErrorId);
        Assert.Equal(PgHaRegistrationAction.Updated, RegistrationRules.Decide(existing, Node(2, "node3"), true, NotLive).Action);
    }

    [Fact]
    public void SecondPrimaryIsRefusedWithoutForce()
    {
        var existing = new[] { Node(1, "node1", PgHaRole.Primary), Node(2, "node2") };
        var ex = Assert.Throws<PgHaException>(() => RegistrationRules.Decide(existing, Node(2, "node2", PgHaRole.Primary), false, NotLive));
        Assert.Equal("PgHaPrimaryAlreadyRegistered", ex.ErrorId);
    }

    [Fact]
    public void ForcedPrimaryTakesOverOnlyFromAPrimaryThatNoLongerRuns()
    {
        var existing = new[] { Node(1, "node1", PgHaRole.Primary), Node(2, "node2") };
        var ex = Assert.Throws<PgHaException>(() => RegistrationRules.Decide(existing, Node(2, "node2", PgHaRole.Primary), true, _ => true));
        Assert.Equal("PgHaPrimaryConflict", ex.ErrorId);

        var decision = RegistrationRules.Decide(existing, Node(2, "node2", PgHaRole.Primary), true, NotLive);
        Assert.Equal(PgHaRegistrationAction.Updated, decision.Action);
        Assert.Equal(1, decision.PrimaryToDeactivate?.Id);
    }

    [Fact]
    public void AnInactivePrimaryDoesNotBlockANewOne()
    {
        var existing = new[] { Node(1, "node1", PgHaRole.Primary, active: false) };
        var decision = RegistrationRules.Decide(existing, Node(0, "node2", PgHaRole.Primary), false, NotLive);
        Assert.Equal(PgHaRegistrationAction.Registered, decision.Action);
        Assert.Null(decision.PrimaryToDeactivate);
    }
}
