using PgHa.Configuration;
using Xunit;

namespace PgHa.UnitTests.Configuration;

public sealed class PgHaDataFileParserTests
{
    private const string Source = "/etc/pgha/node1.psd1";

    private static ConfigParseResult Parse(string text) => PgHaDataFileParser.Parse(text, Source);

    [Fact]
    public void ReadsAFullFileWithTheNestedSshTable()
    {
        var result = Parse("""
            @{
                NodeId              = 2
                NodeName            = 'pgsql2'
                Conninfo            = 'host=192.168.220.12 user=repmgr dbname=repmgr connect_timeout=2'
                DataDirectory       = '/data/pgsql'
                Location            = 'dc1'
                Priority            = 50
                PgBinDir            = '/usr/pgsql-12/bin'
                ReplicationUser     = 'repl'
                UseReplicationSlots = $true
                Failover            = 'Automatic'
                ReconnectAttempts   = 3
                ReconnectInterval   = 5
                MonitorInterval     = 2
                PromoteCommand      = 'pwsh -c Invoke-PgHaPromote'
                FollowCommand       = 'pwsh -c Invoke-PgHaFollow'
                EventHookCommand    = '/usr/local/bin/notify %n %e'
                EventNotifications  = @('standby_promote', 'standby_follow')
                MetadataDatabase    = 'hameta'
                Ssh = @{
                    Host           = 'pgsql2.example.net'
                    Port           = 2222
                    User           = 'postgres'
                    KeyFile        = '~/.ssh/id_ed25519'
                    KnownHostsFile = '~/.ssh/known_hosts'
                }
            }
            """);

        Assert.True(result.Succeeded, string.Join(Environment.NewLine, result.Errors));
        Assert.Empty(result.Warnings);
        var config = result.Config!;
        Assert.Equal(2, config.NodeId);
        Assert.Equal("pgsql2", config.NodeName);
        Assert.Equal("dc1", config.Location);
        Assert.Equal(50, config.Priority);
        Assert.Equal("repl", config.ReplicationUser);
        Assert.True(config.UseReplicationSlots);
        Assert.Equal(PgHaFailoverMode.Automatic, config.Failover);
        Assert.Equal(3, config.ReconnectAttempts);
        Assert.Equal(5, config.ReconnectInterval);
        Assert.Equal(2, config.MonitorInterval);
        Assert.Equal("/usr/local/bin/notify %n %e", config.EventHookCommand);
        Assert.Equal(["standby_promote", "standby_follow"], config.EventNotifications);
        Assert.Equal("hameta", config.MetadataDatabase);
        Assert.Equal("pgsql2.example.net", config.SshHost);
        Assert.Equal(2222, config.SshPort);
        Assert.Equal("postgres", config.SshUser);
        Assert.Equal("~/.ssh/id_ed25519", config.SshKeyFile);
        Assert.Equal("~/.ssh/known_hosts", config.SshKnownHostsFile);
        Assert.Equal(PgHaConfigFormat.PgHa, config.Format);
    }

    private const string Required = """
        NodeId = 1
        NodeName = 'pgsql1'
        Conninfo = 'host=pgsql1 user=repmgr dbname=repmgr'
        DataDirectory = '/data/pgsql'
        """;

    [Fact]
    public void KeysIgnoreCaseLikePowerShell()
    {
        var config = Parse("@{ nodeid = 1; NODENAME = 'a'; conninfo = 'host=a'; datadirectory = '/d'; failover = 'manual' }").Config!;
        Assert.Equal(1, config.NodeId);
        Assert.Equal(PgHaFailoverMode.Manual, config.Failover);
    }

    [Fact]
    public void UnknownKeysAreKeptAndWarnedWithTheirLine()
    {
        var result = Parse("@{\n" + Required + "\nSettings = @{ Anything = 1 }\nSsh = @{ Hostname = 'x' }\n}");

        Assert.True(result.Succeeded, string.Join(Environment.NewLine, result.Errors));
        Assert.Equal(["Settings", "Ssh.Hostname"], result.Config!.UnknownKeys);
        Assert.StartsWith(Source + ":6: unknown key 'Settings'", result.Warnings[0]);
        Assert.StartsWith(Source + ":7: unknown key 'Ssh.Hostname'", result.Warnings[1]);
    }

    [Theory]
    [InlineData("NodeId = $(Get-Process)")]
    [InlineData("NodeId = (Get-Date).Year")]
    [InlineData("NodeName = \"$env:HOSTNAME\"")]
    [InlineData("Ssh = @{ KeyFile = [IO.Path]::Combine('a', 'b') }")]
    [InlineData("Unused = { Remove-Item / -Recurse }")]
    public void CodeIsRejectedAsNotASafeDataFile(string line)
    {
        var result = Parse("@{\n" + line + "\n}");

        Assert.Null(result.Config);
        Assert.Contains(result.Errors, e => e.StartsWith(Source + ":2:") && e.Contains("is code, not data"));
    }

    [Theory]
    [InlineData("Get-Process\n@{ NodeId = 1 }")]
    [InlineData("param($x)\n@{ NodeId = 1 }")]
    [InlineData("'just a string'")]
    public void AnythingButASingleHashtableIsRejected(string text)
    {
        var result = Parse(text);

        Assert.Contains(result.Errors, e => e.Contains("exactly one hashtable"));
    }

    [Fact]
    public void SyntaxErrorsAreReportedWithTheirLine()
    {
        var result = Parse("@{\nNodeId = 1\nNodeName = 'a\n");

        Assert.Null(result.Config);
        Assert.Contains(result.Errors, e => e.StartsWith(Source + ":3:") || e.StartsWith(Source + ":4:"));
    }

    [Theory]
    [InlineData("Priority = -5", "Priority")]
    [InlineData("Failover = 'Sometimes'", "Failover")]
    [InlineData("UseReplicationSlots = 'perhaps'", "UseReplicationSlots")]
    [InlineData("Location = @('a', 'b')", "Location")]
    [InlineData("Ssh = 'pgsql1'", "Ssh")]
    [InlineData("Ssh = @{ Port = 0 }", "Ssh.Port")]
    [InlineData("FenceTimeout = 0", "FenceTimeout")]
    [InlineData("FenceTimeout = 'soon'", "FenceTimeout")]
    [InlineData("StalePrimary = 'Delete'", "StalePrimary")]
    [InlineData("SynchronousPolicy = 'Sometimes'", "SynchronousPolicy")]
    public void InvalidValuesAreErrorsWithTheLine(string line, string key)
    {
        var result = Parse("@{\n" + Required + "\n" + line + "\n}");

        Assert.Null(result.Config);
        Assert.Contains(result.Errors, e => e.StartsWith(Source + ":6:") && e.Contains($"'{key}'"));
    }

    [Fact]
    public void ReadsTheNestedEtcdTableWithAPasswordFileButNoPassword()
    {
        var result = Parse("@{\n" + Required + "\nEtcd = @{ CaFile = '/etc/pgha/ca.crt'; CertFile = '/etc/pgha/c.crt'; KeyFile = '/etc/pgha/c.key'; User = 'pgha'; PasswordFile = '/etc/pgha/etcd-pw'; Password = 'leaked' }\n}");

        Assert.Empty(result.Errors);
        PgHaNodeConfig config = result.Config!;
        Assert.Equal("/etc/pgha/ca.crt", config.EtcdCaFile);
        Assert.Equal("/etc/pgha/c.crt", config.EtcdCertFile);
        Assert.Equal("/etc/pgha/c.key", config.EtcdKeyFile);
        Assert.Equal("pgha", config.EtcdUser);
        Assert.Equal("/etc/pgha/etcd-pw", config.EtcdPasswordFile);
        // A password written into the file is not a setting: named as unknown (with what to use), its value nowhere.
        Assert.Equal(["Etcd.Password"], config.UnknownKeys);
        string warning = Assert.Single(result.Warnings);
        Assert.Contains("PasswordFile", warning);
        Assert.DoesNotContain("leaked", warning);
    }

    [Fact]
    public void AnEtcdValueThatIsNotATableIsAnErrorWithAnExample()
    {
        var result = Parse("@{\n" + Required + "\nEtcd = 'http://127.0.0.1:2379'\n}");

        Assert.Null(result.Config);
        Assert.Contains(result.Errors, e => e.StartsWith(Source + ":6:") && e.Contains("'Etcd' must be a hashtable") && e.Contains("PasswordFile"));
    }

    [Fact]
    public void ReadsTheMonitorsOwnSettings()
    {
        var result = Parse("@{\n" + Required + "\nFenceTimeout = 2.5\nStalePrimary = 'fence'\nSynchronousPolicy = 'Degrade'\nSynchronousTimeout = 20\n}");

        Assert.Empty(result.Errors);
        Assert.Empty(result.Config!.UnknownKeys);
        Assert.Equal(2.5, result.Config.FenceTimeout);
        Assert.Equal(PgHa.PgHaStalePrimaryAction.Fence, result.Config.StalePrimary);
        Assert.Equal(PgHa.PgHaSynchronousPolicy.Degrade, result.Config.SynchronousPolicy);
        Assert.Equal(20, result.Config.SynchronousTimeout);
    }

    [Fact]
    public void ADuplicateKeyIsRejectedByThePowerShellParser()
    {
        var result = Parse("@{\n" + Required + "\nnodeid = 2\n}");

        Assert.Null(result.Config);
        Assert.Contains(result.Errors, e => e.StartsWith(Source + ":6:"));
    }

    [Fact]
    public void APasswordIsStrippedWithAWarning()
    {
        var result = Parse("@{\n" + Required.Replace("user=repmgr", "password=hunter2 user=repmgr") + "\n}");

        Assert.Equal("host=pgsql1 user=repmgr dbname=repmgr", result.Config!.Conninfo);
        Assert.Contains(result.Warnings, w => w.StartsWith(Source + ":4:") && w.Contains("-Credential") && !w.Contains("hunter2"));
    }

    [Fact]
    public void TheFormatIsChosenByExtension()
    {
        Assert.Equal(PgHaConfigFormat.PgHa, NodeConfigReader.FormatOf("/etc/pgha/node1.PSD1"));
        Assert.Equal(PgHaConfigFormat.Repmgr, NodeConfigReader.FormatOf("/etc/repmgr/12/repmgr.conf"));
        Assert.Equal(PgHaConfigFormat.Repmgr, NodeConfigReader.FormatOf("/etc/repmgr/node1"));
    }

    [Fact]
    public void ParseFileReadsFromDisk()
    {
        string path = Path.Combine(Path.GetTempPath(), $"pgha-{Guid.NewGuid():N}.psd1");
        File.WriteAllText(path, "@{\n" + Required + "\n}");
        try
        {
            var result = NodeConfigReader.ReadFile(path);
            Assert.Equal(path, result.Config!.Source);
            Assert.Equal(PgHaConfigFormat.PgHa, result.Config.Format);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
