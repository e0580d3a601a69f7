using PgHa.Configuration;
using Xunit;

namespace PgHa.UnitTests.Configuration;

public sealed class RepmgrConfParserTests
{
    private const string Source = "/etc/repmgr/12/repmgr.conf";

    private static ConfigParseResult Parse(string text) => RepmgrConfParser.Parse(text, Source);

    private static PgHaNodeConfig ParseValid(string text)
    {
        var result = Parse(text);
        Assert.True(result.Succeeded, string.Join(Environment.NewLine, result.Errors));
        return result.Config!;
    }

    private const string Required = """
        node_id=1
        node_name='pgsql1'
        conninfo='host=pgsql1 user=repmgr dbname=repmgr'
        data_directory='/data/pgsql'

        """;

    [Fact]
    public void ReadsTheSeedFileWithItsFailoverSection()
    {
        // The seed's node 1 file, then its section 4.3 (logging and repmgrd).
        var config = ParseValid("""
            node_id=1
            node_name='192.168.220.11'
            conninfo='host=192.168.220.11 user=repmgr dbname=repmgr connect_timeout=2'
            data_directory='/data/pgsql'

            # 配置log，这个配置默认只给repmgr使用
            log_level='INFO'
            log_facility='STDERR'
            log_file='/var/log/repmgr/repmgr.log'
            log_status_interval=300

            # repmgrd配置
            failover='automatic'
            connection_check_type=ping
            promote_command='repmgr -f /etc/repmgr/12/repmgr.conf standby promote --log-to-file'
            follow_command='repmgr -f /etc/repmgr/12/repmgr.conf standby follow --log-to-file --upstream-node-id=%n'
            """);

        Assert.Equal(1, config.NodeId);
        Assert.Equal("192.168.220.11", config.NodeName);
        Assert.Equal("host=192.168.220.11 user=repmgr dbname=repmgr connect_timeout=2", config.Conninfo);
        Assert.Equal("/data/pgsql", config.DataDirectory);
        Assert.Equal("INFO", config.LogLevel);
        Assert.Equal("STDERR", config.LogFacility);
        Assert.Equal("/var/log/repmgr/repmgr.log", config.LogFile);
        Assert.Equal(300, config.LogStatusInterval);
        Assert.Equal(PgHaFailoverMode.Automatic, config.Failover);
        Assert.Equal("ping", config.ConnectionCheckType);
        Assert.Equal("repmgr -f /etc/repmgr/12/repmgr.conf standby promote --log-to-file", config.PromoteCommand);
        Assert.EndsWith("--upstream-node-id=%n", config.FollowCommand);
        Assert.Equal(Source, config.Source);
        Assert.Equal(PgHaConfigFormat.Repmgr, config.Format);
        Assert.Empty(config.UnknownKeys);
    }

    [Fact]
    public void MissingSettingsTakeRepmgrDefaultsOrStayUnset()
    {
        var config = ParseValid(Required);

        Assert.Equal("default", config.Location);
        Assert.Equal(100, config.Priority);
        Assert.Equal(PgHaFailoverMode.Manual, config.Failover);
        Assert.False(config.UseReplicationSlots);
        Assert.Equal("pgha", config.MetadataDatabase);
        Assert.Null(config.ReconnectAttempts);
        Assert.Null(config.MonitorInterval);
        Assert.Null(config.PgBinDir);
        Assert.Empty(config.EventNotifications);
    }

    [Fact]
    public void AcceptsEveryWayOfWritingAKeyAndValue()
    {
        var config = ParseValid("""
            node_id=7
            node_name= node7
              conninfo ='host=node7 dbname=repmgr user=repmgr connect_timeout=2'
            data_directory	=	'/var/lib/pgsql/12/data'
            location dc1
            priority = 0
            use_replication_slots=on
            reconnect_attempts = 3 # fewer retries on a LAN
            event_notifications='standby_promote, repmgrd_failover_promote'
            """);

        Assert.Equal(7, config.NodeId);
        Assert.Equal("node7", config.NodeName);
        Assert.Equal("/var/lib/pgsql/12/data", config.DataDirectory);
        Assert.Equal("dc1", config.Location);
        Assert.Equal(0, config.Priority);
        Assert.True(config.UseReplicationSlots);
        Assert.Equal(3, config.ReconnectAttempts);
        Assert.Equal(["standby_promote", "repmgrd_failover_promote"], config.EventNotifications);
    }

    [Theory]
    [InlineData("'it''s'", "it's")]
    [InlineData(@"'it\'s'", "it's")]
    [InlineData("'a # not a comment'", "a # not a comment")]
    [InlineData("'a'  # a comment", "a")]
    [InlineData("''", "")]
    [InlineData(@"'tab\there'", "tab\there")]
    [InlineData(@"'back\\slash'", @"back\slash")]
    public void UnquotesLikePostgreSql(string written, string expected)
    {
        var config = ParseValid(Required + "promote_command=" + written);
        Assert.Equal(expected, config.PromoteCommand);
    }

    [Fact]
    public void CommentsAndBlankLinesAreIgnoredAndCrLfIsAccepted()
    {
        var config = ParseValid("# repmgr.conf\r\n\r\n   # indented comment\r\n" + Required.Replace("\n", "\r\n") + "#node_id=2\r\n");
        Assert.Equal(1, config.NodeId);
    }

    [Fact]
    public void NestedSingleQuotesAreAnErrorWithTheLineAndTheFix()
    {
        var result = Parse(Required + "promote_command='su - postgres -c 'repmgr standby promote''");

        Assert.Null(result.Config);
        string error = Assert.Single(result.Errors);
        Assert.StartsWith(Source + ":5:", error);
        Assert.Contains("''", error);
        Assert.Contains("promote_command", error);
    }

    [Fact]
    public void UnknownKeysAreKeptAndWarnedWithTheirLine()
    {
        var result = Parse(Required + "node_colour=blue\nrepmgrd_pid_file='/run/repmgrd.pid'\nNode_Name='x'\n");

        Assert.True(result.Succeeded);
        Assert.Equal(["node_colour", "repmgrd_pid_file", "Node_Name"], result.Config!.UnknownKeys);
        Assert.Equal(3, result.Warnings.Count);
        Assert.StartsWith(Source + ":5: unknown key 'node_colour'", result.Warnings[0]);
        Assert.Contains("repmgr setting PgHa does not use", result.Warnings[1]);
        Assert.StartsWith(Source + ":7:", result.Warnings[2]);
        Assert.Contains("did you mean 'node_name'", result.Warnings[2]);
    }

    [Fact]
    public void IncludeDirectivesAreWarnedAboutNotFollowed()
    {
        var result = Parse(Required + "include 'common.conf'\n");

        Assert.True(result.Succeeded);
        Assert.Contains(result.Warnings, w => w.StartsWith(Source + ":5:") && w.Contains("'include'"));
    }

    [Theory]
    [InlineData("node_id=0", "node_id")]
    [InlineData("node_id=abc", "node_id")]
    [InlineData("node_id=-3", "node_id")]
    [InlineData("node_id=1.5", "node_id")]
    [InlineData("priority=-1", "priority")]
    [InlineData("failover=sometimes", "failover")]
    [InlineData("use_replication_slots=maybe", "use_replication_slots")]
    [InlineData("connection_check_type=telepathy", "connection_check_type")]
    [InlineData("monitor_interval_secs=0", "monitor_interval_secs")]
    [InlineData("replication_type=logical", "replication_type")]
    [InlineData("log_level=chatty", "log_level")]
    [InlineData("data_directory=/data/pgsql", "data_directory")]
    [InlineData("node_name=\"pgsql1\"", "node_name")]
    [InlineData("location='dc1", "location")]
    [InlineData("location=dc 1", "location")]
    [InlineData("location=", "location")]
    public void InvalidValuesAreErrorsWithTheLineNumber(string line, string key)
    {
        // The bad line comes first so it overrides nothing; data_directory/node_name repeat a required key.
        string rest = Required.Replace("data_directory='/data/pgsql'", key == "data_directory" ? "" : "data_directory='/data/pgsql'")
            .Replace("node_name='pgsql1'", key == "node_name" ? "" : "node_name='pgsql1'")
            .Replace("node_id=1", key == "node_id" ? "" : "node_id=1");
        var result = Parse("# first\n" + line + "\n" + rest);

        Assert.Null(result.Config);
        Assert.Contains(result.Errors, e => e.StartsWith(Source + ":2: ") && e.Contains($"'{key}'"));
    }

    [Fact]
    public void ADuplicateKeyIsAnErrorNamingBothLines()
    {
        var result = Parse(Required + "node_id=2\n");

        string error = Assert.Single(result.Errors);
        Assert.StartsWith(Source + ":5:", error);
        Assert.Contains("line 1", error);
    }

    [Fact]
    public void MissingRequiredKeysAreErrors()
    {
        var result = Parse("node_id=1\n");

        Assert.Equal(3, result.Errors.Count);
        Assert.Contains(result.Errors, e => e.Contains("'conninfo' is required"));
    }

    [Fact]
    public void APasswordIsStrippedFromConninfoWithAWarning()
    {
        // Inside the quoted value the password's own quotes are doubled, as repmgr.conf requires.
        var result = Parse(Required.Replace("user=repmgr dbname", "user=repmgr password=''s3cr et'' dbname"));

        var config = result.Config!;
        Assert.Equal("host=pgsql1 user=repmgr dbname=repmgr", config.Conninfo);
        string warning = Assert.Single(result.Warnings);
        Assert.StartsWith(Source + ":3:", warning);
        Assert.Contains(".pgpass", warning);
        Assert.DoesNotContain("s3cr", warning);
    }

    [Fact]
    public void APasswordInAUriConninfoIsStrippedToo()
    {
        var config = Parse(Required.Replace("'host=pgsql1 user=repmgr dbname=repmgr'",
            "'postgresql://repmgr:s3cret@pgsql1/repmgr?password=other&sslmode=require'")).Config!;

        // Rewritten without the secrets in keyword=value form, the form PgHa stores.
        Assert.Equal("user=repmgr host=pgsql1 dbname=repmgr sslmode=require", config.Conninfo);
    }

    [Fact]
    public void ErrorsDoNotEchoTheConninfo()
    {
        var result = Parse(Required.Replace("conninfo='host=pgsql1 user=repmgr dbname=repmgr'", "conninfo='password='secret''"));

        Assert.DoesNotContain(result.Errors, e => e.Contains("secret"));
    }
}
