namespace PgHa.Tests.Etcd;

/// <summary>etcd over plain http with its access control on: the user "pgha" may read and write only under /pgha-auth/.</summary>
public sealed class EtcdAuthServers : EtcdServers
{
    public const string User = "pgha";
    public const string Password = "an0ther pass\"word";
    public const string Prefix = "/pgha-auth/";

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await EnableAccessControlAsync(User, Password, Prefix);
    }
}
