using System.Net;
using System.Runtime.Versioning;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Npgsql;
using PgHa.Conninfo;
using Xunit;

namespace PgHa.UnitTests;

/// <summary>
/// libpq 15's TLS rules (fe-secure-openssl.c) as PgHa resolves them: which root certificate, client
/// certificate and key are used, what is refused before connecting, and how the server's certificate is
/// judged. The agreement with psql on a real server is proven in PgHa.Tests.Tls.
/// </summary>
[UnsupportedOSPlatform("windows")]
public sealed class LibpqTlsPolicyTests : IDisposable
{
    private readonly string home = Directory.CreateTempSubdirectory("pgha-tls-home-").FullName;
    private readonly Dictionary<string, string> variables = new();

    public LibpqTlsPolicyTests() => Directory.CreateDirectory(PostgresDirectory);

    public void Dispose() => Directory.Delete(home, recursive: true);

    private string PostgresDirectory => Path.Combine(home, ".postgresql");

    private LibpqEnvironment Environment => new(name => variables.GetValueOrDefault(name), home, "osuser");

    private NpgsqlConnectionPlan Plan(string conninfo) =>
        NpgsqlSettings.ToNpgsqlConnectionPlan(ConnectionInfo.Parse(conninfo), null, 10, null, Environment, null);

    private string Write(string path, string content, UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite)
    {
        File.WriteAllText(path, content);
        File.SetUnixFileMode(path, mode);
        return path;
    }

    [Theory]
    [InlineData("disable", SslMode.Disable)]
    [InlineData("allow", SslMode.Allow)]
    [InlineData("prefer", SslMode.Prefer)]
    [InlineData("require", SslMode.Require)]
    [InlineData("verify-ca", SslMode.Require)]
    [InlineData("verify-full", SslMode.Require)]
    public void Npgsql_IsOnlyToldWhetherToTryTls_PgHaVerifies(string mode, SslMode npgsql)
    {
        using var ca = TestCa.Create();
        var plan = Plan($"host=db.test sslmode={mode} sslrootcert={ca.WriteRoot(home)}");
        var b = new NpgsqlConnectionStringBuilder(plan.ConnectionString);
        Assert.Equal(npgsql, b.SslMode);
        Assert.Null(b.RootCertificate);
        Assert.Equal(mode, plan.Tls.Mode);
    }

    [Fact]
    public void DefaultMode_IsPrefer_AndPgsslmodeFillsIn()
    {
        Assert.Equal("prefer", Plan("host=h").Tls.Mode);
        variables["PGSSLMODE"] = "require";
        Assert.Equal("require", Plan("host=h").Tls.Mode);
        Assert.Equal("disable", Plan("host=h sslmode=disable").Tls.Mode);
    }

    [Fact]
    public void Require_WithARootCertificate_VerifiesTheChain_AsVerifyCa()
    {
        Assert.Null(Plan("host=h sslmode=require").Tls.RootCertificatePath);
        using var ca = TestCa.Create();
        string root = ca.WriteRoot(PostgresDirectory, "root.crt");
        Assert.Equal(root, Plan("host=h sslmode=require").Tls.RootCertificatePath);
        Assert.Equal(root, Plan("host=h sslmode=prefer").Tls.RootCertificatePath);
        Assert.Null(Plan("host=h sslmode=disable").Tls.RootCertificatePath);
    }

    [Fact]
    public void RootCertificate_KeywordThenPgsslrootcertThenHome()
    {
        using var ca = TestCa.Create();
        string inHome = ca.WriteRoot(PostgresDirectory, "root.crt");
        string fromVariable = ca.WriteRoot(home, "variable.crt");
        string fromKeyword = ca.WriteRoot(home, "keyword.crt");
        Assert.Equal(inHome, Plan("host=h sslmode=verify-ca").Tls.RootCertificatePath);
        variables["PGSSLROOTCERT"] = fromVariable;
        Assert.Equal(fromVariable, Plan("host=h sslmode=verify-ca").Tls.RootCertificatePath);
        Assert.Equal(fromKeyword, Plan($"host=h sslmode=verify-ca sslrootcert={fromKeyword}").Tls.RootCertificatePath);
    }

    [Theory]
    [InlineData("verify-ca")]
    [InlineData("verify-full")]
    public void Verify_WithoutARootCertificate_IsRefused(string mode)
    {
        var e = Assert.Throws<LibpqTlsException>(() => Plan($"host=h sslmode={mode} sslrootcert={home}/none.crt"));
        Assert.Contains($"{home}/none.crt", e.Message);
        Assert.Contains("sslmode=require", e.Message);
        e = Assert.Throws<LibpqTlsException>(() => Plan($"host=h sslmode={mode}"));
        Assert.Contains(Path.Combine(PostgresDirectory, "root.crt"), e.Message);
    }

    [Fact]
    public void Require_WithAMissingRootCertificate_GoesOnUnverified()
    {
        Assert.Null(Plan($"host=h sslmode=require sslrootcert={home}/none.crt").Tls.RootCertificatePath);
    }

    [Fact]
    public void RootCertificateFile_WithoutACertificate_IsRefused()
    {
        string empty = Write(Path.Combine(home, "empty.crt"), "not a certificate\n");
        Assert.Throws<LibpqTlsException>(() => Plan($"host=h sslmode=require sslrootcert={empty}"));
    }

    [Fact]
    public void VerifyFull_WithHostaddrOnly_IsRefused_BecauseLibpqChecksTheHostName()
    {
        using var ca = TestCa.Create();
        var e = Assert.Throws<LibpqTlsException>(() => Plan($"hostaddr=127.0.0.9 sslmode=verify-full sslrootcert={ca.WriteRoot(home)}"));
        Assert.Contains("host=", e.Message);
        Assert.True(Plan($"host=db.test hostaddr=127.0.0.9 sslmode=verify-full sslrootcert={ca.WriteRoot(home)}").Tls.VerifiesHostName);
    }

    [Fact]
    public void RevocationList_RevokedServerCertificate_IsRejected()
    {
        using var ca = TestCa.Create();
        using var server = ca.Issue("CN=db.test", dnsNames: ["db.test"]);
        string root = ca.WriteRoot(home);
        string empty = ca.WriteRevocationList(Path.Combine(home, "empty.crl"));
        string revoked = ca.WriteRevocationList(Path.Combine(home, "revoked.crl"), server);
        Assert.True(Plan($"host=db.test sslmode=verify-ca sslrootcert={root} sslcrl={empty}").Tls.Accept(server, null, "db.test"));
        var policy = Plan($"host=db.test sslmode=verify-ca sslrootcert={root} sslcrl={revoked}").Tls;
        Assert.False(policy.Accept(server, null, "db.test"));
        Assert.Contains("revoked", policy.Rejection);
        // Without a root certificate libpq verifies nothing, so it checks no list either.
        Assert.True(Plan($"host=db.test sslmode=require sslcrl={revoked}").Tls.Accept(server, null, "db.test"));
        // ~/.postgresql/root.crl is the default list.
        ca.WriteRevocationList(Path.Combine(PostgresDirectory, "root.crl"), server);
        Assert.False(Plan($"host=db.test sslmode=verify-ca sslrootcert={root}").Tls.Accept(server, null, "db.test"));
    }

    [Fact]
    public void RevocationList_MissingForAnIssuer_OrExpired_IsRejected()
    {
        using var ca = TestCa.Create();
        using var stranger = TestCa.Create();
        using var server = ca.Issue("CN=db.test", dnsNames: ["db.test"]);
        string root = ca.WriteRoot(home);
        var policy = Plan($"host=db.test sslmode=verify-ca sslrootcert={root} sslcrl={stranger.WriteRevocationList(Path.Combine(home, "other.crl"))}").Tls;
        Assert.False(policy.Accept(server, null, "db.test"));
        Assert.Contains("unable to get certificate CRL", policy.Rejection);
        policy = Plan($"host=db.test sslmode=verify-ca sslrootcert={root} sslcrl={ca.WriteRevocationList(Path.Combine(home, "old.crl"), expired: true)}").Tls;
        Assert.False(policy.Accept(server, null, "db.test"));
        Assert.Contains("expired", policy.Rejection);
    }

    [Fact]
    public void RevocationList_ThatCannotBeLoaded_IsIgnored_AsLibpqDoes()
    {
        using var ca = TestCa.Create();
        using var server = ca.Issue("CN=db.test", dnsNames: ["db.test"]);
        string root = ca.WriteRoot(home);
        string garbage = Write(Path.Combine(home, "garbage.crl"), "-----BEGIN X509 CRL-----\nnot base64\n-----END X509 CRL-----\n");
        Assert.True(Plan($"host=db.test sslmode=verify-ca sslrootcert={root} sslcrl={garbage}").Tls.Accept(server, null, "db.test"));
        Assert.True(Plan($"host=db.test sslmode=verify-ca sslrootcert={root} sslcrl={home}/none.crl").Tls.Accept(server, null, "db.test"));
    }

    [Fact]
    public void RevocationListDirectory_IsRefused_WhereLibpqWouldReadIt()
    {
        using var ca = TestCa.Create();
        string root = ca.WriteRoot(home);
        Assert.NotNull(Plan($"host=h sslmode=require sslcrldir={home}"));
        var e = Assert.Throws<LibpqTlsException>(() => Plan($"host=h sslmode=require sslrootcert={root} sslcrldir={home}"));
        Assert.Contains("sslcrl", e.Message);
    }

    [Fact]
    public void RevocationListDirectory_ThatDoesNotExist_TurnsTheCheckOnWithNoList()
    {
        // OpenSSL takes the directory without looking at it, turns the revocation check on, and finds no list:
        // every chain fails, as psql does with the same conninfo.
        using var ca = TestCa.Create();
        using var server = ca.Issue("CN=db.test", dnsNames: ["db.test"]);
        string root = ca.WriteRoot(home);
        var policy = Plan($"host=db.test sslmode=verify-ca sslrootcert={root} sslcrldir={home}/no-such-dir").Tls;
        Assert.False(policy.Accept(server, null, "db.test"));
        Assert.Contains("unable to get certificate CRL", policy.Rejection);
        Assert.Contains("no-such-dir", policy.Rejection);

        // With a list file beside it the file's lists decide; a file that cannot be loaded turns everything off.
        string empty = ca.WriteRevocationList(Path.Combine(home, "empty.crl"));
        Assert.True(Plan($"host=db.test sslmode=verify-ca sslrootcert={root} sslcrl={empty} sslcrldir={home}/no-such-dir").Tls.Accept(server, null, "db.test"));
        Assert.True(Plan($"host=db.test sslmode=verify-ca sslrootcert={root} sslcrl={home}/none.crl sslcrldir={home}/no-such-dir").Tls.Accept(server, null, "db.test"));
        Assert.True(Plan($"host=db.test sslmode=verify-ca sslrootcert={root} sslcrl={home}/none.crl sslcrldir={home}").Tls.Accept(server, null, "db.test"));

        // Given empty, sslcrldir is not given: ~/.postgresql/root.crl is the list again, and PGSSLCRLDIR stays unread.
        variables["PGSSLCRLDIR"] = home + "/no-such-dir";
        Assert.True(Plan($"host=db.test sslmode=verify-ca sslrootcert={root} sslcrldir=''").Tls.Accept(server, null, "db.test"));
        Assert.False(Plan($"host=db.test sslmode=verify-ca sslrootcert={root}").Tls.Accept(server, null, "db.test"));
    }

    [Fact]
    public void RevocationListFile_OfCertificatesOnly_Loads_AndFindsNoList()
    {
        using var ca = TestCa.Create();
        using var server = ca.Issue("CN=db.test", dnsNames: ["db.test"]);
        string root = ca.WriteRoot(home);
        var policy = Plan($"host=db.test sslmode=verify-ca sslrootcert={root} sslcrl={root}").Tls;
        Assert.False(policy.Accept(server, null, "db.test"));
        Assert.Contains("unable to get certificate CRL", policy.Rejection);
    }

    [Fact]
    public void ClientCertificate_KeywordThenPgsslcertThenHome_OnlyWhenTheFileExists()
    {
        Assert.Null(Plan("host=h sslmode=require").Tls.ClientCertificatePath);
        string certificate = Write(Path.Combine(PostgresDirectory, "postgresql.crt"), "certificate");
        string key = Write(Path.Combine(PostgresDirectory, "postgresql.key"), "key");
        var plan = Plan("host=h sslmode=require");
        Assert.Equal(certificate, plan.Tls.ClientCertificatePath);
        Assert.Equal(key, plan.Tls.ClientKeyPath);
        var b = new NpgsqlConnectionStringBuilder(plan.ConnectionString);
        Assert.Equal(certificate, b.SslCertificate);
        Assert.Equal(key, b.SslKey);

        // A named certificate that does not exist: libpq sends none (not the one in the home directory).
        Assert.Null(Plan($"host=h sslmode=require sslcert={home}/none.crt").Tls.ClientCertificatePath);
        string other = Write(Path.Combine(home, "other.crt"), "certificate");
        string otherKey = Write(Path.Combine(home, "other.key"), "-----BEGIN ENCRYPTED PRIVATE KEY-----\n");
        variables["PGSSLCERT"] = other;
        variables["PGSSLKEY"] = otherKey;
        plan = Plan("host=h sslmode=require sslpassword=secret");
        Assert.Equal((other, otherKey), (plan.Tls.ClientCertificatePath, plan.Tls.ClientKeyPath));
        Assert.Equal("secret", new NpgsqlConnectionStringBuilder(plan.ConnectionString).SslPassword);

        // OpenSSL asks for the password of an encrypted key only; .NET would read a key given a password as
        // encrypted, so an unencrypted key gets none (libpq connects with it, sslpassword or not).
        plan = Plan($"host=h sslmode=require sslcert={certificate} sslkey={key} sslpassword=secret");
        Assert.Null(new NpgsqlConnectionStringBuilder(plan.ConnectionString).SslPassword);
    }

    [Fact]
    public void ClientKey_InOpenSslsLegacyEncryptedForm_IsRefusedWithTheConversion()
    {
        string certificate = Write(Path.Combine(home, "legacy.crt"), "certificate");
        string key = Write(Path.Combine(home, "legacy.key"),
            "-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC,00\n\nAAAA\n-----END EC PRIVATE KEY-----\n");
        var e = Assert.Throws<LibpqTlsException>(() => Plan($"host=h sslmode=require sslcert={certificate} sslkey={key} sslpassword=secret"));
        Assert.Contains("openssl pkcs8 -topk8", e.Message);
    }

    [Fact]
    public void EmptyFileKeywords_MeanTheHomeDefaults_AndHideTheirVariables()
    {
        // libpq: a keyword given empty is not taken from its PG* variable, and an empty file name is the
        // file in ~/.postgresql.
        using var ca = TestCa.Create();
        string inHome = ca.WriteRoot(PostgresDirectory, "root.crt");
        variables["PGSSLROOTCERT"] = ca.WriteRoot(home, "variable.crt");
        Assert.Equal(inHome, Plan("host=h sslmode=verify-ca sslrootcert=''").Tls.RootCertificatePath);
        File.Delete(inHome);
        var e = Assert.Throws<LibpqTlsException>(() => Plan("host=h sslmode=verify-ca sslrootcert=''"));
        Assert.Contains(inHome, e.Message);

        string certificate = Write(Path.Combine(PostgresDirectory, "postgresql.crt"), "certificate");
        string key = Write(Path.Combine(PostgresDirectory, "postgresql.key"), "key");
        variables.Remove("PGSSLROOTCERT");
        variables["PGSSLCERT"] = Write(Path.Combine(home, "variable-client.crt"), "certificate");
        variables["PGSSLKEY"] = Write(Path.Combine(home, "variable-client.key"), "key");
        var plan = Plan("host=h sslmode=require sslcert='' sslkey=''");
        Assert.Equal((certificate, key), (plan.Tls.ClientCertificatePath, plan.Tls.ClientKeyPath));
    }

    [Theory]
    [InlineData("sslmode=''")]
    [InlineData("gssencmode=''")]
    [InlineData("channel_binding=''")]
    [InlineData("target_session_attrs=''")]
    [InlineData("connect_timeout=''")]
    [InlineData("keepalives=''")]
    [InlineData("keepalives_idle=''")]
    [InlineData("service=''")]
    public void EmptyValues_LibpqRefuses_AreRefused(string keyword)
    {
        // What psql 15 says to each: invalid sslmode value: "", invalid integer value "" for connection option ...
        Assert.ThrowsAny<ConninfoFormatException>(() => Plan("host=h " + keyword));
    }

    [Fact]
    public void EmptyVariables_AreEmptyValues_NotUnset()
    {
        // getenv finds an empty variable, so PGSSLMODE= is sslmode='' to libpq: refused.
        variables["PGSSLMODE"] = "";
        Assert.ThrowsAny<ConninfoFormatException>(() => Plan("host=h"));
        Assert.Equal("require", Plan("host=h sslmode=require").Tls.Mode);
    }

    [Theory]
    [InlineData("", true)]
    [InlineData("sslsni=1", true)]
    [InlineData("sslsni=0", false)]
    [InlineData("sslsni=''", false)]
    [InlineData("sslsni=on", false)]
    public void ServerNameIndication_IsSentOnlyForAValueStartingWithOne(string sslsni, bool sent)
    {
        // Npgsql's target is hostaddr; libpq's SNI is the host name. .NET sends no SNI for an empty target.
        var plan = Plan("host=db.test hostaddr=10.0.0.1 sslmode=require " + sslsni);
        var options = new System.Net.Security.SslClientAuthenticationOptions { TargetHost = "10.0.0.1" };
        plan.Tls.Apply(options);
        Assert.Equal(sent ? "db.test" : string.Empty, options.TargetHost);
    }

    [Fact]
    public void ClientKey_MissingOrReadableByOthers_IsRefused()
    {
        string certificate = Write(Path.Combine(home, "client.crt"), "certificate");
        var e = Assert.Throws<LibpqTlsException>(() => Plan($"host=h sslmode=require sslcert={certificate} sslkey={home}/none.key"));
        Assert.Contains("private key file", e.Message);
        string open = Write(Path.Combine(home, "open.key"), "key", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        e = Assert.Throws<LibpqTlsException>(() => Plan($"host=h sslmode=require sslcert={certificate} sslkey={open}"));
        Assert.Contains("chmod 0600", e.Message);
    }

    [Fact]
    public void WithoutARootCertificate_AnyServerCertificateIsAccepted()
    {
        using var ca = TestCa.Create();
        using var server = ca.Issue("CN=elsewhere", dnsNames: ["elsewhere.test"]);
        var policy = Plan("host=db.test sslmode=require").Tls;
        Assert.True(policy.Accept(server, null, "db.test"));
    }

    [Fact]
    public void Chain_MustLeadToTheRootCertificateFile()
    {
        using var ca = TestCa.Create();
        using var stranger = TestCa.Create();
        using var server = ca.Issue("CN=db.test", dnsNames: ["db.test"]);
        Assert.True(Plan($"host=other.test sslmode=verify-ca sslrootcert={ca.WriteRoot(home)}").Tls.Accept(server, null, "other.test"));
        var policy = Plan($"host=db.test sslmode=require sslrootcert={stranger.WriteRoot(home, "stranger.crt")}").Tls;
        Assert.False(policy.Accept(server, null, "db.test"));
        Assert.Contains("stranger.crt", policy.Rejection);
    }

    [Fact]
    public void Chain_RefusesACertificateWhoseUsageIsNotServerAuthentication()
    {
        using var ca = TestCa.Create();
        using var client = ca.Issue("CN=db.test", dnsNames: ["db.test"], clientOnly: true);
        Assert.False(Plan($"host=db.test sslmode=verify-ca sslrootcert={ca.WriteRoot(home)}").Tls.Accept(client, null, "db.test"));
    }

    [Theory]
    // subjectAltName dNSName entries, compared ignoring case; "*." stands for exactly one label.
    [InlineData("db.test", new[] { "db.test" }, new string[0], "CN=x", true)]
    [InlineData("DB.Test", new[] { "db.test" }, new string[0], "CN=x", true)]
    [InlineData("db.test", new[] { "*.test" }, new string[0], "CN=x", true)]
    [InlineData("a.db.test", new[] { "*.test" }, new string[0], "CN=x", false)]
    [InlineData("other.test", new[] { "db.test" }, new string[0], "CN=other.test", false)]
    // The Common Name counts only without a subjectAltName of the host's kind.
    [InlineData("db.test", new string[0], new string[0], "CN=db.test", true)]
    [InlineData("db.test", new string[0], new[] { "127.0.0.9" }, "CN=db.test", true)]
    [InlineData("127.0.0.9", new string[0], new[] { "127.0.0.9" }, "CN=x", true)]
    [InlineData("127.0.0.8", new string[0], new[] { "127.0.0.9" }, "CN=127.0.0.8", false)]
    [InlineData("127.0.0.8", new[] { "db.test" }, new string[0], "CN=127.0.0.8", true)]
    [InlineData("::1", new string[0], new[] { "::1" }, "CN=x", true)]
    public void VerifyFull_MatchesTheHostNameAsLibpqDoes(string host, string[] dnsNames, string[] addresses, string subject, bool accepted)
    {
        using var ca = TestCa.Create();
        using var server = ca.Issue(subject, dnsNames, addresses.Select(IPAddress.Parse).ToArray());
        var policy = Plan($"host={host} sslmode=verify-full sslrootcert={ca.WriteRoot(home)}").Tls;
        Assert.Equal(accepted, policy.Accept(server, null, host));
        if (!accepted)
        {
            Assert.Contains(host, policy.Rejection);
        }
    }

    /// <summary>A CA made in memory; certificates it issues carry their private key only where needed.</summary>
    private sealed class TestCa : IDisposable
    {
        private readonly ECDsa key;

        private TestCa(ECDsa key, X509Certificate2 certificate)
        {
            this.key = key;
            Certificate = certificate;
        }

        public X509Certificate2 Certificate { get; }

        public static TestCa Create()
        {
            var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest("CN=PgHa unit test CA " + Guid.NewGuid().ToString("N")[..8], key, HashAlgorithmName.SHA256);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
            return new TestCa(key, request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1)));
        }

        public string WriteRoot(string directory, string name = "ca.crt")
        {
            string path = Path.Combine(directory, name);
            File.WriteAllText(path, Certificate.ExportCertificatePem());
            return path;
        }

        public X509Certificate2 Issue(string subject, string[] dnsNames, IPAddress[]? addresses = null, bool clientOnly = false)
        {
            using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest(subject, leafKey, HashAlgorithmName.SHA256);
            var names = new SubjectAlternativeNameBuilder();
            foreach (string name in dnsNames)
            {
                names.AddDnsName(name);
            }

            foreach (IPAddress address in addresses ?? [])
            {
                names.AddIpAddress(address);
            }

            if (dnsNames.Length > 0 || addresses is { Length: > 0 })
            {
                request.CertificateExtensions.Add(names.Build());
            }

            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
                [new Oid(clientOnly ? "1.3.6.1.5.5.7.3.2" : "1.3.6.1.5.5.7.3.1")], false));
            byte[] serial = Guid.NewGuid().ToByteArray();
            return request.Create(Certificate.SubjectName, X509SignatureGenerator.CreateForECDsa(key),
                DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddHours(12), serial);
        }

        /// <summary>A PEM revocation list signed by this CA, revoking <paramref name="revoked"/>.</summary>
        public string WriteRevocationList(string path, X509Certificate2? revoked = null, bool expired = false)
        {
            var builder = new CertificateRevocationListBuilder();
            if (revoked is not null)
            {
                builder.AddEntry(revoked);
            }

            DateTimeOffset now = DateTimeOffset.UtcNow;
            byte[] der = expired
                ? builder.Build(Certificate, 1, now.AddHours(-1), HashAlgorithmName.SHA256, thisUpdate: now.AddHours(-2))
                : builder.Build(Certificate, 1, now.AddHours(1), HashAlgorithmName.SHA256);
            File.WriteAllText(path, new string(PemEncoding.Write("X509 CRL", der)));
            return path;
        }

        public void Dispose()
        {
            Certificate.Dispose();
            key.Dispose();
        }
    }
}
