using PgHa.Conninfo;
using System.Runtime.Versioning;
using Xunit;

namespace PgHa.UnitTests;

// Password files are checked for group/world access, which only exists on Unix.
[UnsupportedOSPlatform("windows")]
public sealed class PgPassFileTests : IDisposable
{
    private const string SocketDirectory = "/var/run/postgresql";
    private readonly string directory = Directory.CreateTempSubdirectory("pgha-pgpass-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private string WriteFile(string content, UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite)
    {
        string path = Path.Combine(directory, Guid.NewGuid().ToString("N"));
        File.WriteAllText(path, content);
        File.SetUnixFileMode(path, mode);
        return path;
    }

    private static string? Find(string path, string? host, string? port = "5432", string database = "repmgr", string user = "repmgr", Action<string>? warn = null) =>
        PgPassFile.FindPassword(path, host, port, database, user, SocketDirectory, warn);

    [Fact]
    public void ExactLine_Matches()
    {
        string path = WriteFile("pgsql1:5432:repmgr:repmgr:secret\n");
        Assert.Equal("secret", Find(path, "pgsql1"));
        Assert.Null(Find(path, "pgsql2"));
        Assert.Null(Find(path, "pgsql1", port: "5433"));
        Assert.Null(Find(path, "pgsql1", database: "postgres"));
        Assert.Null(Find(path, "pgsql1", user: "postgres"));
    }

    [Fact]
    public void FirstMatchWins_AndWildcardsMatchAnything()
    {
        string path = WriteFile("# comment\n\npgsql1:*:*:repmgr:first\n*:*:*:*:fallback\npgsql1:5432:repmgr:repmgr:never\n");
        Assert.Equal("first", Find(path, "pgsql1", port: "6000", database: "x"));
        Assert.Equal("fallback", Find(path, "other"));
        Assert.Equal("fallback", Find(path, "pgsql1", user: "postgres"));
    }

    [Fact]
    public void EscapedColonAndBackslash_InFieldsAndPassword()
    {
        string path = WriteFile("fe80\\:\\:1:5432:d\\\\b:repmgr:pa\\:ss\\\\word\n");
        Assert.Equal("pa:ss\\word", Find(path, "fe80::1", database: "d\\b"));
    }

    [Fact]
    public void PasswordEndsAtAnUnescapedColon_AndCrIsIgnored()
    {
        string path = WriteFile("h:5432:repmgr:repmgr:pw:extra\r\n");
        Assert.Equal("pw", Find(path, "h"));
    }

    [Fact]
    public void StarIsAWildcardOnlyAsTheWholeField()
    {
        string path = WriteFile("pg*:5432:repmgr:repmgr:a\n\\*:5432:repmgr:repmgr:b\n");
        Assert.Null(Find(path, "pgsql1"));
        Assert.Equal("b", Find(path, "*"));
    }

    [Fact]
    public void ShortLines_DoNotMatch()
    {
        string path = WriteFile("h:5432:repmgr:repmgr\nh:5432\n");
        Assert.Null(Find(path, "h"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(SocketDirectory)]
    public void DefaultSocket_IsLookedUpAsLocalhost(string? host)
    {
        string path = WriteFile("localhost:5432:repmgr:repmgr:local\n");
        Assert.Equal("local", Find(path, host));
    }

    [Fact]
    public void OtherSocketDirectory_IsMatchedAsItsPath()
    {
        string path = WriteFile("localhost:5432:repmgr:repmgr:local\n/tmp/node1:5432:repmgr:repmgr:node1\n");
        Assert.Equal("node1", Find(path, "/tmp/node1"));
    }

    [Fact]
    public void EmptyPort_IsLookedUpAs5432()
    {
        string path = WriteFile("h:5432:repmgr:repmgr:pw\n");
        Assert.Equal("pw", Find(path, "h", port: ""));
        Assert.Equal("pw", Find(path, "h", port: null));
    }

    [Fact]
    public void MissingFile_GivesNothing()
    {
        Assert.Null(Find(Path.Combine(directory, "absent"), "h"));
    }

    [Fact]
    public void GroupOrWorldReadableFile_IsIgnoredWithAWarning()
    {
        var warnings = new List<string>();
        string path = WriteFile("*:*:*:*:pw\n", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        Assert.Null(Find(path, "h", warn: warnings.Add));
        string warning = Assert.Single(warnings);
        Assert.Contains(path, warning);
        Assert.Contains("0600", warning);
        Assert.DoesNotContain("pw", warning.Replace("password", "", StringComparison.Ordinal));
    }
}
