namespace PgHa.Tests.Roles;

/// <summary>The servers of <see cref="PromoteFollowRefusedTests"/>.</summary>
public sealed class DivergedFixture : RoleChangeFixture
{
    public DivergedFixture() : base("dvg")
    {
    }
}
