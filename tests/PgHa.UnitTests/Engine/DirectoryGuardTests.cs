using System.Management.Automation;
using PgHa.Core;
using PgHa.Operations.Host;
using PgHa.Operations.Sandbox;
using Xunit;

namespace PgHa.UnitTests.Engine;

/// <summary>The guard's pure parts: path containment, the scan script's output, and the rule table.</summary>
public sealed class DirectoryGuardTests
{
    [Theory]
    [InlineData("/a/b", "/a/b", true)]
    [InlineData("/a/b/c", "/a/b", true)]
    [InlineData("/a/b/", "/a/b", true)]
    [InlineData("/a//b/c", "/a/b/", true)]
    [InlineData("/a/bc", "/a/b", false)]
    [InlineData("/a", "/a/b", false)]
    [InlineData("/anything", "/", true)]
    [InlineData("/", "/", true)]
    [InlineData("/", "/a", false)]
    public void IsSameOrInsideComparesWholeSegments(string path, string directory, bool inside) =>
        Assert.Equal(inside, PosixPath.IsSameOrInside(path, directory));

    [Theory]
    [InlineData("/srv/pg/data", "/srv/pg", true)]
    [InlineData("/srv/pg", "/srv/pg/data", true)]
    [InlineData("/srv/pg-data", "/srv/pg", false)]
    public void OverlapWorksBothWays(string a, string b, bool overlap) => Assert.Equal(overlap, PosixPath.Overlap(a, b));

    [Theory]
    [InlineData("/a/../b", true)]
    [InlineData("/a/./b", true)]
    [InlineData("/a/..b/c", false)]
    [InlineData("/a/b", false)]
    public void DotSegmentsAreWholeSegments(string path, bool dots) => Assert.Equal(dots, PosixPath.HasDotSegments(path));

    private const string ScanOutput = """
        target 0 /srv/new dir
        exists 0 -
        isdir 0 -
        entry 0 /srv/new dir/notes.txt
        primary 0 /srv/primary/data
        server 101 /srv/pg/data
        wal 101 /srv/wal/pg_wal
        tablespace 101 /srv/ts one
        tablespace 101 /srv/ts2
        server 101 /srv/pg/data
        deleted 202 /srv/gone/data
        unreadable 303 /home/other/data
        hidden 404 -

        """;

    [Fact]
    public void ParsesTheScanKeepingSpacesAndMergingRepeats()
    {
        DirectoryScan scan = DirectoryScan.Parse(ScanOutput);
        Assert.Equal("/srv/new dir", scan.ResolvedPath);
        Assert.True(scan.Exists && scan.IsDirectory && scan.Readable && scan.NotEmpty);
        Assert.False(scan.IsDataDirectory);
        Assert.Equal(["/srv/new dir/notes.txt"], scan.Entries);
        Assert.Equal(3, scan.Servers.Count);
        HostServer running = Assert.Single(scan.Servers, s => s.Kind == HostServerKind.Running);
        Assert.Equal(101, running.Pid);
        Assert.Equal("/srv/pg/data", running.DataDirectory);
        Assert.Equal(["/srv/ts one", "/srv/ts2"], running.Tablespaces);
        Assert.Equal("/srv/wal/pg_wal", running.WalDirectory);
        Assert.Equal("/srv/gone/data", Assert.Single(scan.Servers, s => s.Kind == HostServerKind.Deleted).DataDirectory);
        Assert.Equal("/srv/primary/data", Assert.Single(scan.Servers, s => s.Kind == HostServerKind.Primary).DataDirectory);
        Assert.Equal(["/home/other/data"], scan.Unreadable);
        Assert.Equal([404], scan.Hidden);
    }

    [Fact]
    public void AScanWithoutAResolvedPathIsNotSafe() =>
        Assert.Throws<FormatException>(() => DirectoryScan.Parse("server 1 /x\n"));

    [Fact]
    public void RealpathOutputIsTakenAsResolved()
    {
        // realpath ran on the host: a symlink or ".." the caller gave shows up only as the resolved path.
        DirectoryScan scan = DirectoryScan.Parse("target 0 /srv/pg/data\nserver 7 /srv/pg/data\n");
        DirectoryRefusal refusal = DirectoryGuardRules.Check(scan, "/srv/link/../link-to-data", "local", null)!;
        Assert.Equal(PgHaErrorIds.DirectoryIsRunningServer, refusal.ErrorId);
        Assert.Contains("'/srv/link/../link-to-data' (on local that is '/srv/pg/data')", refusal.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/srv/pg/data", PgHaErrorIds.DirectoryIsRunningServer)]
    [InlineData("/srv/pg/data/base", PgHaErrorIds.DirectoryInsideRunningServer)]
    [InlineData("/srv/pg", PgHaErrorIds.DirectoryContainsRunningServer)]
    [InlineData("/srv", PgHaErrorIds.DirectoryOfPrimary)]
    [InlineData("/", PgHaErrorIds.DirectoryOfPrimary)]
    [InlineData("/srv/ts one", PgHaErrorIds.DirectoryHoldsTablespace)]
    [InlineData("/srv/ts2/PG_15_202209061", PgHaErrorIds.DirectoryHoldsTablespace)]
    [InlineData("/srv/wal", PgHaErrorIds.DirectoryHoldsWal)]
    [InlineData("/srv/wal/pg_wal/archive_status", PgHaErrorIds.DirectoryHoldsWal)]
    [InlineData("/srv/gone", PgHaErrorIds.DirectoryContainsRunningServer)]
    [InlineData("/srv/gone/data", PgHaErrorIds.DirectoryIsRunningServer)]
    [InlineData("/srv/primary/data/pg_wal", PgHaErrorIds.DirectoryOfPrimary)]
    [InlineData("/srv/other", null)]
    [InlineData("/srv/pg-data", null)]
    [InlineData("/srv/ts", null)]
    public void RefusesEveryOverlapWithItsOwnErrorId(string target, string? errorId)
    {
        string output = ScanOutput.Replace("target 0 /srv/new dir", "target 0 " + target, StringComparison.Ordinal)
            .Replace("entry 0 /srv/new dir/notes.txt\n", string.Empty, StringComparison.Ordinal)
            .Replace("unreadable 303 /home/other/data\nhidden 404 -\n", string.Empty, StringComparison.Ordinal);
        DirectoryRefusal? refusal = DirectoryGuardRules.Check(DirectoryScan.Parse(output), target, "local", "-AllowNonEmpty");
        Assert.Equal(errorId, refusal?.ErrorId);
        if (refusal is not null)
        {
            Assert.NotEqual(ErrorCategory.NotSpecified, refusal.Category);
            Assert.Contains("nothing was deleted", refusal.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("hidden 404 -", "pid 404", "absolute -D")]
    [InlineData("server 303 /home/other/data\nunreadable 303 /home/other/data", "(pid 303) with data directory '/home/other/data'", "--allow-group-access")]
    [InlineData("unreadable 0 /home/other/data", "the data directory '/home/other/data'", "--allow-group-access")]
    public void AServerTheScanCannotSeeIntoIsARefusalNotAPass(string lines, string names, string remedy)
    {
        // Nothing visible overlaps /srv/new, but a server of another OS user might: its data directory is
        // unknown, or its tablespaces and WAL directory are.
        DirectoryRefusal refusal = DirectoryGuardRules.Check(DirectoryScan.Parse("target 0 /srv/new\n" + lines + "\n"), "/srv/new", "ssh postgres@db2:22", null)!;
        Assert.Equal(PgHaErrorIds.DirectoryCheckFailed, refusal.ErrorId);
        Assert.Equal(ErrorCategory.ReadError, refusal.Category);
        Assert.Contains(names, refusal.Message, StringComparison.Ordinal);
        Assert.Contains(remedy, refusal.Message, StringComparison.Ordinal);
        Assert.Contains("'/srv/new' on ssh postgres@db2:22", refusal.Message, StringComparison.Ordinal);
        Assert.Contains("nothing was deleted", refusal.Message, StringComparison.Ordinal);

        // A server that was seen and overlaps says so first: its refusal is the more useful one.
        Assert.Equal(PgHaErrorIds.DirectoryIsRunningServer,
            DirectoryGuardRules.Check(DirectoryScan.Parse("target 0 /srv/pg/data\nserver 101 /srv/pg/data\n" + lines + "\n"), "/srv/pg/data", "local", null)?.ErrorId);
    }

    [Fact]
    public void ADeletedServersMessageSaysHowToStopIt()
    {
        DirectoryRefusal refusal = DirectoryGuardRules.Check(DirectoryScan.Parse("target 0 /srv/gone\ndeleted 202 /srv/gone/data\n"), "/srv/gone", "local", null)!;
        Assert.Contains("was deleted while it ran", refusal.Message, StringComparison.Ordinal);
        Assert.Contains("kill -QUIT 202", refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ANonEmptyDirectoryThatIsNotADataDirectoryNeedsItsOwnSwitch()
    {
        DirectoryScan scan = DirectoryScan.Parse("target 0 /srv/mine\nexists 0 -\nisdir 0 -\nentry 0 /srv/mine/thesis.tex\n");
        DirectoryRefusal refusal = DirectoryGuardRules.Check(scan, "/srv/mine", "local", "-AllowNonEmpty")!;
        Assert.Equal(PgHaErrorIds.DirectoryNotDataDirectory, refusal.ErrorId);
        Assert.Equal(ErrorCategory.ResourceExists, refusal.Category);
        Assert.Contains("'thesis.tex'", refusal.Message, StringComparison.Ordinal);
        Assert.Contains("-AllowNonEmpty", refusal.Message, StringComparison.Ordinal);
        // Allowed (no switch asked for): rejoin and sandbox removal, where the directory is known to be PgHa's.
        Assert.Null(DirectoryGuardRules.Check(scan, "/srv/mine", "local", null));
        // A data directory, or a clone PgHa left unfinished, is not "anything": -Force decides there.
        Assert.Null(DirectoryGuardRules.Check(DirectoryScan.Parse("target 0 /d\nexists 0 -\nisdir 0 -\npgversion 0 -\nentry 0 /d/base\n"), "/d", "local", "-AllowNonEmpty"));
        Assert.Null(DirectoryGuardRules.Check(DirectoryScan.Parse("target 0 /d\nexists 0 -\nisdir 0 -\nmarker 0 -\nentry 0 /d/pgha.clone-incomplete\n"), "/d", "local", "-AllowNonEmpty"));
    }

    [Fact]
    public void AFileOrAnUnreadableDirectoryIsRefused()
    {
        Assert.Equal(PgHaErrorIds.DirectoryNotDataDirectory,
            DirectoryGuardRules.Check(DirectoryScan.Parse("target 0 /f\nexists 0 -\n"), "/f", "local", "-AllowNonEmpty")?.ErrorId);
        Assert.Equal(PgHaErrorIds.DirectoryCheckFailed,
            DirectoryGuardRules.Check(DirectoryScan.Parse("target 0 /d\nexists 0 -\nisdir 0 -\nnoaccess 0 -\n"), "/d", "local", null)?.ErrorId);
    }

    [Theory]
    [InlineData("relative/path")]
    [InlineData("")]
    [InlineData("/two\nlines")]
    public void OnlyAnAbsolutePathOnOneLineIsChecked(string path) =>
        Assert.Equal(PgHaErrorIds.DirectoryPathInvalid, DirectoryGuard.RefusePath(path)?.ErrorId);

    [Theory]
    [InlineData("/tmp/sb/node1/data", true)]
    [InlineData("/tmp/sb/../victim/data", false)]
    [InlineData("/tmp/sb/node1/../../victim", false)]
    [InlineData("/tmp/sb/./node1/data", false)]
    [InlineData("/tmp/sb//node1/data", false)]
    [InlineData("/tmp/sb", false)]
    [InlineData("/tmp/sbx/node1/data", false)]
    [InlineData("/var/lib/postgresql/15/main", false)]
    public void ASandboxManifestNamesOnlyPlainPathsBelowItsFolder(string dataDirectory, bool accepted) =>
        Assert.Equal(accepted, SandboxRemover.IsBelow(dataDirectory, "/tmp/sb"));
}
