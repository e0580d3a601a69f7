using PgHa.Tests.Hosting;
using Xunit;

namespace PgHa.Tests;

public sealed class ImportPgHaConfigTests : IClassFixture<PgHaSession>, IDisposable
{
    private const string Cmdlet = "PgHa.Cmdlets.ImportPgHaConfigCommand";

    private const string RepmgrConf = """
        node_id=1
        node_name='pgsql1'
        conninfo='host=127.0.0.1 user=repmgr dbname=repmgr connect_timeout=2'
        data_directory='/data/pgsql'
        failover='automatic'
        priority=90
        """;

    private const string PgHaPsd1 = """
        @{
            NodeId        = 2
            NodeName      = 'pgsql2'
            Conninfo      = 'host=127.0.0.2 user=repmgr dbname=repmgr'
            DataDirectory = '/data/pgsql'
            Location      = 'dc2'
            Ssh           = @{ Host = '127.0.0.2'; Port = 2222; User = 'postgres' }
        }
        """;

    private readonly PgHaSession _session;
    private readonly string _directory = Directory.CreateTempSubdirectory("pgha-config-").FullName;

    public ImportPgHaConfigTests(PgHaSession session) => _session = session;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string WriteFile(string name, string text)
    {
        string path = Path.Combine(_directory, name);
        File.WriteAllText(path, text);
        return path;
    }

    private static object? Property(System.Management.Automation.PSObject item, string name) => item.Properties[name].Value;

    [Fact]
    public void ImportsARepmgrConfAndAPsd1()
    {
        string conf = WriteFile("repmgr.conf", RepmgrConf);
        string psd1 = WriteFile("node2.psd1", PgHaPsd1);

        var result = _session.Run("Import-PgHaConfig -Path $args[0], $args[1]", conf, psd1).ThrowIfErrors();

        Assert.Equal(2, result.Output.Count);
        Assert.All(result.Output, o => Assert.Equal("PgHa.PgHaNodeConfig", o.BaseObject.GetType().FullName));
        var first = result.Output[0];
        Assert.Equal(1, Property(first, "NodeId"));
        Assert.Equal("Automatic", Property(first, "Failover")!.ToString());
        Assert.Equal(90, Property(first, "Priority"));
        Assert.Equal("Repmgr", Property(first, "Format")!.ToString());
        Assert.Equal(conf, Property(first, "Source"));
        var second = result.Output[1];
        Assert.Equal("pgsql2", Property(second, "NodeName"));
        Assert.Equal("dc2", Property(second, "Location"));
        Assert.Equal(2222, Property(second, "SshPort"));
        Assert.Equal("PgHa", Property(second, "Format")!.ToString());
        Assert.Empty(result.Warnings);
    }

    [Fact]
    public void TakesFullNameFromThePipelineAndExpandsWildcards()
    {
        string conf = WriteFile("repmgr.conf", RepmgrConf);
        WriteFile("node2.psd1", PgHaPsd1);

        var byName = _session.Run("[pscustomobject]@{ FullName = $args[0] } | Import-PgHaConfig", conf).ThrowIfErrors();
        var byWildcard = _session.Run("Import-PgHaConfig -Path ($args[0] + '/*')", _directory).ThrowIfErrors();
        var byValue = _session.Run("$args[0] | Import-PgHaConfig", conf).ThrowIfErrors();

        Assert.Equal(1, Property(byName.Single(), "NodeId"));
        Assert.Equal(2, byWildcard.Output.Count);
        Assert.Equal(1, Property(byValue.Single(), "NodeId"));
    }

    [Fact]
    public void FormatOverridesTheExtension()
    {
        string conf = WriteFile("node1.txt", RepmgrConf);
        string psd1AsConf = WriteFile("node2.cfg", PgHaPsd1);

        var asRepmgr = _session.Run("Import-PgHaConfig $args[0]", conf).ThrowIfErrors();
        var asPgHa = _session.Run("Import-PgHaConfig $args[0] -Format PgHa", psd1AsConf).ThrowIfErrors();

        Assert.Equal(1, Property(asRepmgr.Single(), "NodeId"));
        Assert.Equal(2, Property(asPgHa.Single(), "NodeId"));
    }

    [Fact]
    public void UnknownKeysAndPasswordsGoToTheWarningStream()
    {
        string conf = WriteFile("repmgr.conf", RepmgrConf.Replace("connect_timeout=2", "password=hunter2") + "\nnode_colour=blue\n");

        var result = _session.Run("Import-PgHaConfig $args[0]", conf).ThrowIfErrors();

        var config = result.Single();
        Assert.Equal("host=127.0.0.1 user=repmgr dbname=repmgr", Property(config, "Conninfo"));
        Assert.Equal(new[] { "node_colour" }, (string[])Property(config, "UnknownKeys")!);
        Assert.Equal(2, result.Warnings.Count);
        Assert.Contains(result.Warnings, w => w.StartsWith(conf + ":7: unknown key 'node_colour'"));
        Assert.Contains(result.Warnings, w => w.StartsWith(conf + ":3:") && w.Contains(".pgpass"));
        Assert.DoesNotContain(result.Warnings, w => w.Contains("hunter2"));
    }

    [Fact]
    public void AMissingFileIsANotFoundError()
    {
        string missing = Path.Combine(_directory, "nothere.conf");

        var result = _session.Run("Import-PgHaConfig $args[0]", missing);

        var error = Assert.Single(result.Errors);
        Assert.Equal($"PgHaConfigNotFound,{Cmdlet}", error.FullyQualifiedErrorId);
        Assert.Equal(System.Management.Automation.ErrorCategory.ObjectNotFound, error.CategoryInfo.Category);
        Assert.Empty(result.Output);
    }

    [Fact]
    public void ABadFileIsAnInvalidErrorAndTheOtherFilesStillComeOut()
    {
        string good = WriteFile("good.conf", RepmgrConf);
        string bad = WriteFile("bad.conf", RepmgrConf.Replace("priority=90", "priority=-1"));
        string code = WriteFile("code.psd1", "@{ NodeId = $(Get-Process) }");
        string alsoGood = WriteFile("node2.psd1", PgHaPsd1);

        var result = _session.Run("Import-PgHaConfig $args[0], $args[1], $args[2], $args[3]", good, bad, code, alsoGood);

        Assert.Equal(2, result.Output.Count);
        Assert.Equal(2, result.Errors.Count);
        Assert.All(result.Errors, e => Assert.Equal($"PgHaConfigInvalid,{Cmdlet}", e.FullyQualifiedErrorId));
        Assert.Equal(bad, result.Errors[0].TargetObject);
        Assert.Contains(bad + ":6:", result.Errors[0].Exception.Message);
        Assert.Contains("'priority'", result.Errors[0].Exception.Message);
        Assert.Contains("code, not data", result.Errors[1].Exception.Message);
        Assert.Equal(System.Management.Automation.ErrorCategory.InvalidData, result.Errors[0].CategoryInfo.Category);
    }
}
