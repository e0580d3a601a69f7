using PgHa.Tests.Fixtures;
using Xunit;

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
        foreach (string[] command in new[]
        {
            new[] { "user", "add", "root", "--new-user-password=rootpw" },
            ["user", "add", User, "--new-user-password=" + Password],
            ["role", "add", "pgha"],
            ["role", "grant-permission", "pgha", "--prefix=true", "readwrite", "/pgha-tls/"],
            ["user", "grant-role", User, "pgha"],
            ["auth", "enable"],
        })
        {
            FixtureCommandResult result = await Cluster.EtcdctlAsync(command);
            if (!result.Succeeded)
            {
                throw new InvalidOperationException("Setting up etcd's access control failed: " + result.Describe());
            }
        }
    }
}
