namespace PgHa.Tests.Roles;

/// <summary>The servers of <see cref="PromoteFollowPromoteTests"/>.</summary>
public sealed class PromoteFixture : RoleChangeFixture
{
    public PromoteFixture() : base("prm")
    {
    }
}
