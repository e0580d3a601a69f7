using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using PgHa.Tests.Fixtures;
using PgHa.Tests.Hosting;
using Xunit;

namespace PgHa.Tests.Tls;

/// <summary>
/// A PostgreSQL 15 server with ssl = on and a test CA made with openssl: a server certificate for the
/// node's loopback address and for <see cref="HostName"/>, a second CA that signed nothing the server
/// holds, and client certificates for <c>cert</c> authentication. pg_hba.conf lets postgres in over TLS
/// only, certuser only with a client certificate, and plain only without TLS. Revocation lists of the CA
/// revoke nothing (crl-empty.pem) or the server's certificate (crl-revoked.pem). The client key also comes
/// encrypted (client-encrypted.key as PKCS#8, client-legacy.key in OpenSSL's legacy form; password
/// <see cref="KeyPassword"/>). The node is registered as a primary so Get-PgHaNode has metadata to read.
/// </summary>
public sealed class TlsServerFixture : IAsyncLifetime
{
    /// <summary>The name in the server certificate; conninfos give it as host= beside hostaddr=.</summary>
    public const string HostName = "pgha-tls-node.test";

    /// <summary>The password of client-encrypted.key and client-legacy.key.</summary>
    public const string KeyPassword = "sesame";

    public PgHaSession Session { get; } = new();

    public PostgresServer Server { get; private set; } = null!;

    /// <summary>CA files, client certificates and keys (owned by root, as the test process).</summary>
    public string CertificateDirectory { get; private set; } = null!;

    public string File(string name) => Path.Combine(CertificateDirectory, name);

    public async Task InitializeAsync()
    {
        Server = await PostgresServer.InitPrimaryAsync("tls");
        CertificateDirectory = await TestDirectories.CreateAsync("tls-ca", owner: null);
        await MakeCertificatesAsync();

        foreach (string file in new[] { "server.crt", "server.key" })
        {
            string target = Path.Combine(Server.DataDirectory, file);
            System.IO.File.Copy(File(file), target, overwrite: true);
            await FixtureCommand.RunCheckedAsync("chown", ["postgres:postgres", target]);
            SetMode(target, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        System.IO.File.Copy(File("ca.crt"), Path.Combine(Server.DataDirectory, "ca.crt"), overwrite: true);
        await System.IO.File.WriteAllTextAsync(Path.Combine(Server.DataDirectory, "pg_hba.conf"),
            "local     all  all                    trust\n" +
            "hostssl   all  certuser  127.0.0.0/8  cert\n" +
            "hostssl   all  postgres  127.0.0.0/8  trust\n" +
            "hostnossl all  plain     127.0.0.0/8  trust\n");
        // The fixture's own psql connects with sslmode=prefer, so it still gets in once TLS is on.
        await System.IO.File.AppendAllTextAsync(Path.Combine(Server.DataDirectory, "postgresql.conf"),
            "\nssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\nssl_ca_file = 'ca.crt'\n");
        await Server.ExecuteAsync(
            "CREATE ROLE certuser LOGIN IN ROLE pg_read_all_data; CREATE ROLE plain LOGIN IN ROLE pg_read_all_data; SELECT pg_reload_conf();");
        bool tlsOn = await Polling.UntilAsync(async () =>
        {
            try
            {
                return await Server.QueryScalarAsync("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()") == "t";
            }
            catch (InvalidOperationException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(20));
        Assert.True(tlsOn, "The server did not turn TLS on after pg_reload_conf():\n" + Server.LogTail());

        Session.Run("Register-PgHaNode -Role Primary -Name tls1 -Conninfo $args[0]",
            $"host={HostName} hostaddr={Server.Address} port={Server.Port} user=postgres dbname=postgres sslmode=verify-full sslrootcert={File("ca.crt")}")
            .ThrowIfErrors();
    }

    public async Task DisposeAsync()
    {
        Session.Dispose();
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }

        if (CertificateDirectory is not null)
        {
            TestDirectories.Delete(CertificateDirectory);
        }
    }

    // The fixtures run on Linux only; the guard tells the platform analyzer so.
    private static void SetMode(string path, UnixFileMode mode)
    {
        if (!OperatingSystem.IsWindows())
        {
            System.IO.File.SetUnixFileMode(path, mode);
        }
    }

    private async Task MakeCertificatesAsync()
    {
        // EC keys: generating them costs milliseconds where RSA costs a noticeable share of a second.
        async Task OpenSsl(params string[] arguments)
        {
            var result = await FixtureCommand.RunAsync("openssl", arguments);
            Assert.True(result.Succeeded, result.Describe());
        }

        string[] ecKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
        foreach (string ca in new[] { "ca", "wrong-ca" })
        {
            await OpenSsl(["req", "-x509", .. ecKey, "-keyout", File(ca + ".key"), "-out", File(ca + ".crt"), "-days", "2",
                "-subj", $"/CN=PgHa test {ca}", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
        }

        async Task Issue(string name, string ca, string subject, string extensions)
        {
            await OpenSsl(["req", "-new", .. ecKey, "-keyout", File(name + ".key"), "-out", File(name + ".csr"), "-subj", subject]);
            await System.IO.File.WriteAllTextAsync(File(name + ".ext"), extensions);
            await OpenSsl(["x509", "-req", "-in", File(name + ".csr"), "-CA", File(ca + ".crt"), "-CAkey", File(ca + ".key"),
                "-CAcreateserial", "-out", File(name + ".crt"), "-days", "2", "-extfile", File(name + ".ext")]);
            SetMode(File(name + ".key"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        await Issue("server", "ca", "/CN=" + HostName, $"subjectAltName=DNS:{HostName},IP:{Server.Address}\nextendedKeyUsage=serverAuth\n");
        await Issue("client", "ca", "/CN=certuser", "extendedKeyUsage=clientAuth\n");
        await Issue("stranger", "wrong-ca", "/CN=certuser", "extendedKeyUsage=clientAuth\n");

        // Revocation lists from the CA: one that revokes nothing, one that revokes the server's certificate.
        using (var ca = X509Certificate2.CreateFromPemFile(File("ca.crt"), File("ca.key")))
        using (var server = X509Certificate2.CreateFromPem(System.IO.File.ReadAllText(File("server.crt"))))
        {
            foreach (var (name, revoked) in new[] { ("crl-empty.pem", (X509Certificate2?)null), ("crl-revoked.pem", server) })
            {
                var builder = new CertificateRevocationListBuilder();
                if (revoked is not null)
                {
                    builder.AddEntry(revoked);
                }

                byte[] der = builder.Build(ca, 1, DateTimeOffset.UtcNow.AddDays(1), HashAlgorithmName.SHA256);
                await System.IO.File.WriteAllTextAsync(File(name), new string(PemEncoding.Write("X509 CRL", der)));
            }
        }

        // The same client key, readable by others: libpq refuses to use it.
        System.IO.File.Copy(File("client.key"), File("client-open.key"));
        SetMode(File("client-open.key"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        // The same client key encrypted with the password "sesame" (sslpassword): as PKCS#8, and in OpenSSL's
        // legacy PEM form (a Proc-Type header), which libpq reads and .NET cannot.
        await OpenSsl(["pkcs8", "-topk8", "-v2", "aes-256-cbc", "-in", File("client.key"), "-out", File("client-encrypted.key"), "-passout", "pass:" + KeyPassword]);
        await OpenSsl(["ec", "-in", File("client.key"), "-aes256", "-out", File("client-legacy.key"), "-passout", "pass:" + KeyPassword]);
        SetMode(File("client-encrypted.key"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        SetMode(File("client-legacy.key"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }
}
