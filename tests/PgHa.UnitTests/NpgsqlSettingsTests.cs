using System.Net;
using Npgsql;
using PgHa.Conninfo;
using System.Runtime.Versioning;
using Xunit;

namespace PgHa.UnitTests;

// Password files are checked for group/world access, which only exists on Unix.
[UnsupportedOSPlatform("windows")]
public sealed class NpgsqlSettingsTests : IDisposable
{
    private readonly string home = Directory.CreateTempSubdirectory("pgha-home-").FullName;
    private readonly Dictionary<string, string> variables = new();

    public void Dispose() => Directory.Delete(home, recursive: true);

    private LibpqEnvironment Environment => new(name => variables.GetValueOrDefault(name), home, "osuser");

    private NpgsqlConnectionStringBuilder Convert(
        string conninfo, NetworkCredential? credential = null, int timeout = 10, string? database = null, List<string>? warnings = null)
    {
        string text = NpgsqlSettings.ToNpgsqlConnectionString(
            ConnectionInfo.Parse(conninfo), credential, timeout, database, Environment, warnings is null ? null : warnings.Add);
        return new NpgsqlConnectionStringBuilder(text);
    }

    private string WritePassFile(string content, string name = ".pgpass")
    {
        string path = Path.Combine(home, name);
        File.WriteAllText(path, content);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }

    [Fact]
    public void CommonKeywords_AreMapped_AndPoolingIsOff()
    {
        var b = Convert("host=127.0.0.2 port=5433 dbname=repmgr user=repmgr application_name=node1 sslmode=disable "
            + "target_session_attrs=read-write options='-c statement_timeout=5s' connect_timeout=3");
        Assert.Equal("127.0.0.2", b.Host);
        Assert.Equal(5433, b.Port);
        Assert.Equal("repmgr", b.Database);
        Assert.Equal("repmgr", b.Username);
        Assert.Equal("node1", b.ApplicationName);
        Assert.Equal(SslMode.Disable, b.SslMode);
        Assert.Equal("read-write", b.TargetSessionAttributes);
        Assert.Equal("-c statement_timeout=5s", b.Options);
        Assert.Equal(3, b.Timeout);
        Assert.False(b.Pooling);
#pragma warning disable CS0618 // the connection string's setting is obsolete in Npgsql 10, but honoured (see NpgsqlSettings)
        Assert.Equal(ServerCompatibilityMode.NoTypeLoading, b.ServerCompatibilityMode);
#pragma warning restore CS0618
        Assert.True(b.TcpKeepAlive);
        Assert.Null(b.Password);
    }

    [Fact]
    public void LibpqDefaults_WhenNothingIsGiven()
    {
        var b = Convert("");
        Assert.Equal("/var/run/postgresql", b.Host);
        Assert.Equal(5432, b.Port);
        Assert.Equal("osuser", b.Username);
        Assert.Equal("osuser", b.Database);
        Assert.Equal("PgHa", b.ApplicationName);
        Assert.Equal(10, b.Timeout);
    }

    [Fact]
    public void EnvironmentVariables_FillWhatTheStringLeavesOut()
    {
        variables["PGHOST"] = "envhost";
        variables["PGPORT"] = "6543";
        variables["PGUSER"] = "envuser";
        variables["PGDATABASE"] = "envdb";
        variables["PGSSLMODE"] = "require";
        var b = Convert("host=pgsql1");
        Assert.Equal("pgsql1", b.Host);
        Assert.Equal(6543, b.Port);
        Assert.Equal("envuser", b.Username);
        Assert.Equal("envdb", b.Database);
        Assert.Equal(SslMode.Require, b.SslMode);
    }

    [Fact]
    public void User_CredentialThenConninfoThenPguserThenOsUser()
    {
        variables["PGUSER"] = "envuser";
        Assert.Equal("creduser", Convert("user=infouser", new NetworkCredential("creduser", "x")).Username);
        Assert.Equal("infouser", Convert("user=infouser", new NetworkCredential("", "x")).Username);
        Assert.Equal("envuser", Convert("").Username);
        variables.Clear();
        Assert.Equal("osuser", Convert("").Username);
    }

    [Fact]
    public void Database_OverrideThenConninfoThenUser()
    {
        Assert.Equal("pgha", Convert("dbname=postgres", database: "pgha").Database);
        Assert.Equal("postgres", Convert("dbname=postgres").Database);
        Assert.Equal("repmgr", Convert("user=repmgr").Database);
    }

    [Fact]
    public void Password_CredentialWinsOverEverything()
    {
        variables["PGPASSWORD"] = "fromenv";
        WritePassFile("*:*:*:*:fromfile\n");
        Assert.Equal("fromcred", Convert("password=frominfo", new NetworkCredential("u", "fromcred")).Password);
    }

    [Fact]
    public void Password_ConninfoThenPgpasswordThenFile()
    {
        WritePassFile("*:*:*:*:fromfile\n");
        Assert.Equal("fromfile", Convert("host=h").Password);
        variables["PGPASSWORD"] = "fromenv";
        Assert.Equal("fromenv", Convert("host=h").Password);
        Assert.Equal("frominfo", Convert("host=h password=frominfo").Password);
        // Given empty, the keyword still hides PGPASSWORD (libpq reads a variable only for an absent keyword),
        // and an empty password is none: the password file answers.
        Assert.Equal("fromfile", Convert("host=h password=''").Password);
    }

    [Fact]
    public void PasswordFile_PassfileKeywordThenPgpassfileThenHome()
    {
        WritePassFile("*:*:*:*:home\n");
        string env = WritePassFile("*:*:*:*:env\n", "env.pgpass");
        string keyword = WritePassFile("*:*:*:*:keyword\n", "keyword.pgpass");
        Assert.Equal("home", Convert("host=h").Password);
        variables["PGPASSFILE"] = env;
        Assert.Equal("env", Convert("host=h").Password);
        Assert.Equal("keyword", Convert($"host=h passfile={keyword}").Password);
        // passfile given empty hides PGPASSFILE and means the default file.
        Assert.Equal("home", Convert("host=h passfile=''").Password);
    }

    [Fact]
    public void PasswordFile_IsMatchedOnHostPortDatabaseAndResolvedUser()
    {
        WritePassFile("pgsql1:5433:pgha:repmgr:right\n*:*:*:*:wrong\n");
        Assert.Equal("right", Convert("host=pgsql1 port=5433 user=repmgr dbname=postgres", database: "pgha").Password);
        Assert.Equal("right", Convert("host=pgsql1 port=5433 dbname=pgha", new NetworkCredential("repmgr", "")).Password);
    }

    [Fact]
    public void PasswordFile_UsesTheHostNameNotTheHostaddr()
    {
        WritePassFile("pgsql1:5432:*:*:byname\n");
        var b = Convert("host=pgsql1 hostaddr=127.0.0.5");
        Assert.Equal("127.0.0.5", b.Host);
        Assert.Equal("byname", b.Password);
    }

    [Fact]
    public void PasswordFile_ReadableByOthers_IsIgnoredWithAWarning()
    {
        string path = WritePassFile("*:*:*:*:pw\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        var warnings = new List<string>();
        Assert.Null(Convert("host=h", warnings: warnings).Password);
        Assert.Single(warnings);
    }

    [Fact]
    public void MultipleHosts_WithOnePort()
    {
        var b = Convert("host=a,b,c port=5433");
        Assert.Equal("a,b,c", b.Host);
        Assert.Equal(5433, b.Port);
    }

    [Fact]
    public void MultipleHosts_WithTheirOwnPorts()
    {
        Assert.Equal("a:5432,b:5433", Convert("host=a,b port=5432,5433").Host);
        Assert.Equal("a:1,b:5432", Convert("postgresql://a:1,b").Host);
    }

    [Fact]
    public void MultipleHosts_MismatchedPorts_AreRefused()
    {
        var e = Assert.Throws<ConninfoFormatException>(() => Convert("host=a,b,c port=1,2"));
        Assert.Contains("2 port numbers cannot be matched to 3 hosts", e.Message);
    }

    [Theory]
    [InlineData(10, "", 10)]
    [InlineData(10, "connect_timeout=3", 3)]
    [InlineData(10, "connect_timeout=30", 10)]
    [InlineData(10, "connect_timeout=1", 2)]
    [InlineData(10, "connect_timeout=0", 10)]
    [InlineData(5000, "", 1024)]
    public void ConnectTimeout_ConninfoCanOnlyShortenTheCallersLimit(int callerLimit, string conninfo, int expected)
    {
        Assert.Equal(expected, Convert(conninfo, timeout: callerLimit).Timeout);
    }

    [Fact]
    public void ConnectTimeout_MustBePositive()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Convert("", timeout: 0));
    }

    [Fact]
    public void FallbackApplicationName_IsUsedWithoutApplicationName()
    {
        Assert.Equal("repmgr", Convert("fallback_application_name=repmgr").ApplicationName);
        Assert.Equal("node1", Convert("application_name=node1 fallback_application_name=repmgr").ApplicationName);
    }

    [Fact]
    public void TlsAndKeepaliveKeywords_AreMapped()
    {
        var b = Convert("sslmode=require channel_binding=require gssencmode=disable "
            + "keepalives=0 keepalives_idle=30 keepalives_interval=10 load_balance_hosts=random krbsrvname=pg client_encoding=UTF8");
        Assert.Equal(SslMode.Require, b.SslMode);
        Assert.Equal(ChannelBinding.Require, b.ChannelBinding);
        Assert.Equal(GssEncryptionMode.Disable, b.GssEncryptionMode);
        Assert.False(b.TcpKeepAlive);
        Assert.Equal(30, b.TcpKeepAliveTime);
        Assert.Equal(10, b.TcpKeepAliveInterval);
        Assert.True(b.LoadBalanceHosts);
        Assert.Equal("pg", b.KerberosServiceName);
        Assert.Equal("UTF8", b.ClientEncoding);
    }

    [Theory]
    [InlineData("", GssEncryptionMode.Disable)]
    [InlineData("gssencmode=disable", GssEncryptionMode.Disable)]
    [InlineData("gssencmode=prefer", GssEncryptionMode.Prefer)]
    [InlineData("gssencmode=require", GssEncryptionMode.Require)]
    public void GssEncryption_IsTriedOnlyWhenAskedFor(string conninfo, GssEncryptionMode expected)
    {
        // Npgsql's own default (Prefer) stalls some connections for the whole connect timeout.
        Assert.Equal(expected, Convert(conninfo).GssEncryptionMode);
    }

    [Fact]
    public void HarmlessKeywords_AreIgnored()
    {
        var b = Convert("host=h sslcompression=1 sslsni=0 tcp_user_timeout=100 keepalives_count=3 gsslib=gssapi "
            + "replication=0 sslcertmode=allow ssl_min_protocol_version=TLSv1.2");
        Assert.Equal("h", b.Host);
    }

    [Theory]
    [InlineData("service=pgha", "service")]
    [InlineData("requirepeer=postgres", "requirepeer")]
    [InlineData("ssl_min_protocol_version=TLSv1.3", "ssl_min_protocol_version")]
    [InlineData("replication=database", "replication")]
    public void SemanticsChangingKeywords_AreRefused(string conninfo, string keyword)
    {
        var e = Assert.Throws<ConninfoFormatException>(() => Convert(conninfo));
        Assert.Contains($"\"{keyword}\" is not supported", e.Message);
    }

    [Fact]
    public void SemanticsChangingEnvironmentVariables_AreRefusedToo()
    {
        variables["PGSSLMAXPROTOCOLVERSION"] = "TLSv1.2";
        var e = Assert.Throws<ConninfoFormatException>(() => Convert("host=h"));
        Assert.Contains("PGSSLMAXPROTOCOLVERSION", e.Message);
    }

    [Theory]
    [InlineData("sslmode=sometimes", "sslmode")]
    [InlineData("target_session_attrs=primaryish", "target_session_attrs")]
    [InlineData("connect_timeout=soon", "connect_timeout")]
    public void InvalidValues_AreRefused(string conninfo, string keyword)
    {
        var e = Assert.Throws<ConninfoFormatException>(() => Convert(conninfo));
        Assert.Contains(keyword, e.Message);
    }

    [Fact]
    public void PublicOverload_UsesTheProcessEnvironment()
    {
        string text = NpgsqlSettings.ToNpgsqlConnectionPlan(ConnectionInfo.Parse("host=h user=u dbname=d"), null, 5).ConnectionString;
        var b = new NpgsqlConnectionStringBuilder(text);
        Assert.Equal("h", b.Host);
        Assert.False(b.Pooling);
    }
}
