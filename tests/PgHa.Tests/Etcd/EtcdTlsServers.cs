namespace PgHa.Tests.Etcd;

/// <summary>
/// etcd as production runs it: https on the client port with client certificates required (a CA made by
/// openssl for this cluster), and access control on: the user "pgha" may read and write only under /pgha-tls/.
/// </summary>
public sealed class EtcdTlsServers : EtcdServers
{
    public const string User = "pgha";
    public const string Password = "s3cret pass'word";

    public EtcdTlsServers()
        : base(tls: true)
    {
    }

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await EnableAccessControlAsync(User, Password, "/pgha-tls/");
    }
}
