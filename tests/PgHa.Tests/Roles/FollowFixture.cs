namespace PgHa.Tests.Roles;

/// <summary>The servers of <see cref="PromoteFollowCascadeTests"/>.</summary>
public sealed class FollowFixture : RoleChangeFixture
{
    public FollowFixture() : base("flw")
    {
    }
}
