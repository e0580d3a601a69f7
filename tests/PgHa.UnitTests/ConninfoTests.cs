using PgHa.Conninfo;
using Xunit;

namespace PgHa.UnitTests;

public sealed class ConninfoTests
{
    [Theory]
    [InlineData("host=pgsql1 user=repmgr dbname=repmgr connect_timeout=2")]
    [InlineData("  host = pgsql1\tport=5432  ")]
    [InlineData("host='my host' application_name='it\\'s' options='-c search_path=a\\\\b'")]
    [InlineData("host=a host=b")]
    [InlineData("dbname=''")]
    [InlineData("")]
    [InlineData("   ")]
    public void KeywordValueText_RoundTripsExactly(string text)
    {
        var info = ConnectionInfo.Parse(text);
        Assert.Equal(text, info.ToString());
        Assert.Equal(text, info.ToKeywordValueString());
    }

    [Fact]
    public void KeywordValue_ParsesValuesAndAccessors()
    {
        var info = ConnectionInfo.Parse("host=pgsql1 port = 5433 dbname=repmgr user=repmgr application_name=node1");
        Assert.Equal("pgsql1", info.Host);
        Assert.Equal(5433, info.Port);
        Assert.Equal("repmgr", info.DatabaseName);
        Assert.Equal("repmgr", info.User);
        Assert.Equal("node1", info.ApplicationName);
        Assert.False(info.HasPassword);
        Assert.False(info.IsUri);
        Assert.Equal("repmgr", info["dbname"]);
        Assert.Null(info["sslmode"]);
        Assert.Equal(
            ["host", "port", "dbname", "user", "application_name"],
            info.Parameters.Select(p => p.Key).ToArray());
    }

    [Theory]
    [InlineData("host='a b'", "a b")]
    [InlineData("host='it\\'s'", "it's")]
    [InlineData("host='back\\\\slash'", "back\\slash")]
    [InlineData("host=''", "")]
    [InlineData("host=a\\ b", "a b")]
    [InlineData("host=a'b", "a'b")]
    [InlineData("host=a\\", "a")]
    [InlineData("host=", "")]
    [InlineData("host= port=5", "port=5")] // libpq skips the space after '=' too
    [InlineData("host=-c\\ x=y", "-c x=y")]
    [InlineData("host='a'port=1", "a")]
    [InlineData("host=\u00e9t\u00e9\u00a0x", "\u00e9t\u00e9\u00a0x")] // only ASCII whitespace separates
    public void KeywordValue_ValueGrammarMatchesLibpq(string text, string expectedHost)
    {
        Assert.Equal(expectedHost, ConnectionInfo.Parse(text).Host);
    }

    [Fact]
    public void RepeatedKeyword_LastValueWinsInPlaceOfFirst()
    {
        var info = ConnectionInfo.Parse("host=a port=1 host=b");
        Assert.Equal("b", info.Host);
        Assert.Equal(["host", "port"], info.Parameters.Select(p => p.Key).ToArray());
    }

    [Theory]
    [InlineData("host x", "missing \"=\" after \"host\"", 1)]
    [InlineData("host=a  port", "missing \"=\" after \"port\"", 9)]
    [InlineData("host='x", "no closing quote", 6)]
    [InlineData("host='x\\'", "no closing quote", 6)]
    [InlineData("port=abc", "port \"abc\" is not a number", 6)]
    [InlineData("port=70000", "is not a number from 1 to 65535", 6)]
    [InlineData("port=5432,x", "port \"x\"", 6)]
    public void InvalidKeywordValue_SaysWhatAndWhere(string text, string expectedMessagePart, int expectedPosition)
    {
        var e = Assert.Throws<ConninfoFormatException>(() => ConnectionInfo.Parse(text));
        Assert.Contains(expectedMessagePart, e.Message);
        Assert.Equal(expectedPosition, e.Position);
        Assert.Contains($"position {expectedPosition}", e.Message);
    }

    [Theory]
    [InlineData("host=a foo=1", "foo")]
    [InlineData("tty=x", "tty")]
    [InlineData("requiressl=1", "requiressl")]
    public void UnknownKeyword_IsRefusedAndNamed(string text, string keyword)
    {
        var e = Assert.Throws<ConninfoFormatException>(() => ConnectionInfo.Parse(text));
        Assert.Contains($"unknown keyword \"{keyword}\"", e.Message);
    }

    [Fact]
    public void KeywordsAreCaseSensitive_WithAHint()
    {
        var e = Assert.Throws<ConninfoFormatException>(() => ConnectionInfo.Parse("Host=x"));
        Assert.Contains("did you mean \"host\"", e.Message);
    }

    [Theory]
    [InlineData("load_balance_hosts=random require_auth=scram-sha-256 sslcertmode=allow")]
    [InlineData("sslnegotiation=postgres gssdelegation=0")]
    [InlineData("service=x passfile=/p channel_binding=prefer keepalives=1 keepalives_idle=5 keepalives_interval=5 keepalives_count=3 tcp_user_timeout=0 replication=0 hostaddr=127.0.0.1 fallback_application_name=x sslsni=1 sslcrldir=/x gsslib=gssapi krbsrvname=postgres")]
    public void NewerAndLessCommonKeywords_Parse(string text)
    {
        Assert.Equal(text, ConnectionInfo.Parse(text).ToString());
    }

    [Theory]
    [InlineData("host=a password=S3cr3t-pw port=x")]
    [InlineData("host=a password=S3cr3t pw")]
    [InlineData("host=a password=S3cr3t pw=1")]
    [InlineData("host=a password='S3cr3t")]
    [InlineData("postgresql://u:S3cr3t%zz@h/db")]
    [InlineData("postgresql://u:S3cr3t@h/db?password=S3cr3t%0")]
    [InlineData("postgresql://u:S3cr3t@h/db?password=S3cr3t=x")]
    [InlineData("postgresql://u:S3cr3t@[::1]x/db")]
    [InlineData("postgresql://u:S3cr3t@h:x/db")]
    public void ErrorMessages_NeverContainThePassword(string text)
    {
        Assert.False(ConnectionInfo.TryParse(text, out var info, out string? error));
        Assert.Null(info);
        Assert.DoesNotContain("S3cr3t", error);
        Assert.DoesNotContain("pw", error.Replace("password", "", StringComparison.Ordinal));
    }

    [Fact]
    public void TryParse_GivesTheInstanceOrTheError()
    {
        Assert.True(ConnectionInfo.TryParse("host=a", out var info, out string? error));
        Assert.Equal("a", info.Host);
        Assert.Null(error);
        Assert.False(ConnectionInfo.TryParse(null, out _, out error));
        Assert.NotNull(error);
    }

    [Fact]
    public void Password_IsAvailableButNeverShown()
    {
        var info = ConnectionInfo.Parse("host=a password='p w' sslpassword=k port=5");
        Assert.True(info.HasPassword);
        Assert.Equal("p w", info["password"]);
        Assert.Equal("host=a port=5", info.ToString());
        Assert.Equal("host=a port=5", info.ToDisplayString());
        Assert.Equal("host=a password='p w' sslpassword=k port=5", info.ToKeywordValueString());
        Assert.False(info.WithoutPassword().HasPassword);
        Assert.Null(info.WithoutPassword()["sslpassword"]);
    }

    [Fact]
    public void EmptyPassword_CountsAsNone()
    {
        Assert.False(ConnectionInfo.Parse("password=''").HasPassword);
    }

    [Fact]
    public void With_ReplacesInPlaceAndKeepsOtherTokensAsWritten()
    {
        var info = ConnectionInfo.Parse("host = 'pgsql1'   port=5432 dbname=repmgr");
        Assert.Equal("host = 'pgsql1' port=5433 dbname=repmgr", info.With("port", "5433").ToString());
        Assert.Equal("host = 'pgsql1' port=5432 dbname=repmgr user=repmgr", info.With("user", "repmgr").ToString());
        Assert.Equal("host = 'pgsql1' dbname=repmgr", info.Without("port").ToString());
        Assert.Same(info, info.Without("sslmode"));
        // The original is unchanged.
        Assert.Equal("host = 'pgsql1'   port=5432 dbname=repmgr", info.ToString());
    }

    [Theory]
    [InlineData("host=", "host='' user=u")]
    [InlineData("host=a\\", "host=a user=u")]
    [InlineData("host=a\\ b", "host=a\\ b user=u")]
    public void With_RequotesTokensThatWouldChangeMeaningWhenFollowed(string text, string expected)
    {
        Assert.Equal(expected, ConnectionInfo.Parse(text).With("user", "u").ToString());
    }

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("", "''")]
    [InlineData("a b", "'a b'")]
    [InlineData("tab\there", "'tab\there'")]
    [InlineData("it's", "'it\\'s'")]
    [InlineData("back\\slash", "'back\\\\slash'")]
    [InlineData("-c search_path=x", "'-c search_path=x'")]
    [InlineData("a=b,c:d/e", "a=b,c:d/e")]
    public void With_QuotesOnlyWhenNeeded_AndParsesBack(string value, string written)
    {
        var info = ConnectionInfo.Empty.With("options", value);
        Assert.Equal("options=" + written, info.ToString());
        Assert.Equal(value, ConnectionInfo.Parse(info.ToString())["options"]);
    }

    [Fact]
    public void With_RefusesUnknownKeywordsAndBadPorts()
    {
        Assert.Throws<ArgumentException>(() => ConnectionInfo.Empty.With("Host", "x"));
        Assert.Throws<ArgumentException>(() => ConnectionInfo.Empty.With("port", "x"));
    }

    [Fact]
    public void Uri_Full()
    {
        const string uri = "postgresql://repmgr:p%40ss@pgsql1:5433/repmgr?application_name=node%201&connect_timeout=2";
        var info = ConnectionInfo.Parse(uri);
        Assert.True(info.IsUri);
        Assert.Equal("repmgr", info.User);
        Assert.Equal("p@ss", info["password"]);
        Assert.Equal("pgsql1", info.Host);
        Assert.Equal(5433, info.Port);
        Assert.Equal("repmgr", info.DatabaseName);
        Assert.Equal("node 1", info.ApplicationName);
        Assert.Equal("2", info["connect_timeout"]);
        Assert.Equal(
            "user=repmgr password=p@ss host=pgsql1 port=5433 dbname=repmgr application_name='node 1' connect_timeout=2",
            info.ToKeywordValueString());
        Assert.Equal("user=repmgr host=pgsql1 port=5433 dbname=repmgr application_name='node 1' connect_timeout=2", info.ToString());
    }

    [Fact]
    public void Uri_WithoutPassword_ToStringIsTheOriginal()
    {
        const string uri = "postgres://pgsql1/repmgr";
        Assert.Equal(uri, ConnectionInfo.Parse(uri).ToString());
    }

    [Theory]
    [InlineData("postgresql://", null, null, null, null)]
    [InlineData("postgresql://h", "h", null, null, null)]
    [InlineData("postgresql:///db", null, null, "db", null)]
    [InlineData("postgresql://h/", "h", null, null, null)]
    [InlineData("postgresql://u@h", "h", null, null, "u")]
    [InlineData("postgresql://[::1]:5432/db", "::1", "5432", "db", null)]
    [InlineData("postgresql://[fe80::1%25eth0]/db", "fe80::1%eth0", null, "db", null)]
    [InlineData("postgresql://h1:5432,h2:5433/db", "h1,h2", "5432,5433", "db", null)]
    [InlineData("postgresql://h1:1,h2", "h1,h2", "1,", null, null)]
    [InlineData("postgresql://[::1]:1,[::2]", "::1,::2", "1,", null, null)]
    [InlineData("postgresql://%2Fvar%2Frun%2Fpostgresql/db", "/var/run/postgresql", null, "db", null)]
    [InlineData("postgresql://h?user=a@b", "b", null, null, "h?user=a")] // libpq's reading, '@' before any '/'
    [InlineData("postgresql://h/db?host=other", "other", null, "db", null)]
    [InlineData("postgresql://h/db?", "h", null, "db", null)]
    [InlineData("postgresql://h/d%C3%A9j%C3%A0", "h", null, "d\u00e9j\u00e0", null)]
    [InlineData("postgresql://h/a+b", "h", null, "a+b", null)]
    public void Uri_PartsAsLibpqReadsThem(string uri, string? host, string? port, string? dbname, string? user)
    {
        var info = ConnectionInfo.Parse(uri);
        Assert.Equal(host, info.Host);
        Assert.Equal(port, info["port"]);
        Assert.Equal(dbname, info.DatabaseName);
        Assert.Equal(user, info.User);
        Assert.Equal(uri, info.ToString());
    }

    [Fact]
    public void Uri_JdbcSslTrue_IsSslmodeRequire()
    {
        Assert.Equal("require", ConnectionInfo.Parse("postgresql://h?ssl=true")["sslmode"]);
    }

    [Fact]
    public void Uri_ConvertsToKeywordValueThatParsesToTheSame()
    {
        var uri = ConnectionInfo.Parse("postgresql://us%20er:pw@[::1]:5,h2/my%27db?options=-c%20a%3Db&sslmode=require");
        var again = ConnectionInfo.Parse(uri.ToKeywordValueString());
        Assert.Equal(uri.Parameters, again.Parameters);
        Assert.False(again.IsUri);
    }

    [Fact]
    public void MultipleHosts_PortIsNullButTheListIsKept()
    {
        var info = ConnectionInfo.Parse("host=a,b port=5432,5433");
        Assert.Equal("a,b", info.Host);
        Assert.Null(info.Port);
        Assert.Equal(5432, ConnectionInfo.Parse("host=a,b port=5432").Port);
        Assert.Null(ConnectionInfo.Parse("host=a").Port);
    }

    [Theory]
    [InlineData("postgresql://[::1", "no closing \"]\"", 14)]
    [InlineData("postgresql://[]/db", "is empty", 14)]
    [InlineData("postgresql://[::1]x", "unexpected character \"x\"", 19)]
    [InlineData("postgresql://h/%zz", "invalid percent-encoding in the dbname", 16)]
    [InlineData("postgresql://h/%4", "invalid percent-encoding", 16)]
    [InlineData("postgresql://h/a%00", "%00 is not allowed", 17)]
    [InlineData("postgresql://h/%C3", "not valid UTF-8", 16)]
    [InlineData("postgresql://h/?a", "no \"=\"", 17)]
    [InlineData("postgresql://h/db?&", "no \"=\"", 19)]
    [InlineData("postgresql://h?application_name=a=b", "second \"=\"", 34)]
    [InlineData("postgresql://h?foo=1", "unknown keyword \"foo\"", 16)]
    [InlineData("postgresql://h:abc", "port \"abc\"", 14)]
    public void InvalidUri_SaysWhatAndWhere(string uri, string expectedMessagePart, int expectedPosition)
    {
        var e = Assert.Throws<ConninfoFormatException>(() => ConnectionInfo.Parse(uri));
        Assert.Contains(expectedMessagePart, e.Message);
        Assert.Equal(expectedPosition, e.Position);
    }

    [Fact]
    public void UriPrefix_IsCaseSensitiveAsInLibpq()
    {
        // Not a URI for libpq, so it is read as keyword=value and fails there.
        Assert.Throws<ConninfoFormatException>(() => ConnectionInfo.Parse("POSTGRESQL://h"));
    }

    [Fact]
    public void Parse_RefusesNull()
    {
        Assert.Throws<ArgumentNullException>(() => ConnectionInfo.Parse(null!));
    }
}
