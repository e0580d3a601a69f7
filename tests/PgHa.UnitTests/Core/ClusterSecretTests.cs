using PgHa.Core;
using Xunit;

namespace PgHa.UnitTests.Core;

/// <summary>The cluster secret's file: made 0600 and never overwritten; refused when missing, exposed or too short, and never quoted.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class ClusterSecretTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "pgha-secret-test-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private string PathOf(string name) => Path.Combine(_directory, name);

    [Fact]
    public void ACreatedSecretIsReadableByItsOwnerOnlyAndLoadsAgain()
    {
        string path = PathOf("sub/cluster-secret");

        ClusterSecret created = ClusterSecret.Create(path);
        ClusterSecret loaded = ClusterSecret.Load(path);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.True(Convert.FromBase64String(File.ReadAllText(path).Trim()).Length >= ClusterSecret.MinimumBytes);
        byte[] data = "x"u8.ToArray();
        Assert.True(loaded.Verify(data, created.Mac(data)));
    }

    [Fact]
    public void AnExistingSecretIsNeverOverwritten()
    {
        string path = PathOf("cluster-secret");
        ClusterSecret.Create(path);
        string before = File.ReadAllText(path);

        var ex = Assert.Throws<PgHaException>(() => ClusterSecret.Create(path));

        Assert.Equal("PgHaClusterSecretExists", ex.ErrorId);
        Assert.Equal(before, File.ReadAllText(path));
    }

    [Fact]
    public void AMissingSecretSaysHowToMakeOne()
    {
        var ex = Assert.Throws<PgHaException>(() => ClusterSecret.Load(PathOf("none")));

        Assert.Equal("PgHaClusterSecretMissing", ex.ErrorId);
        Assert.Contains("openssl rand -base64", ex.Message);
    }

    [Fact]
    public void ASecretOthersMayReadIsRefused()
    {
        string path = PathOf("cluster-secret");
        ClusterSecret.Create(path);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);

        var ex = Assert.Throws<PgHaException>(() => ClusterSecret.Load(path));

        Assert.Equal("PgHaClusterSecretExposed", ex.ErrorId);
        Assert.Contains("chmod 600", ex.Message);
    }

    [Theory]
    [InlineData("c2hvcnQ=")] // "short"
    [InlineData("not base64 at all, but long enough to be mistaken for a key")]
    public void AShortOrMalformedSecretIsRefusedWithoutQuotingIt(string content)
    {
        Directory.CreateDirectory(_directory);
        string path = PathOf("cluster-secret");
        File.WriteAllText(path, content);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        var ex = Assert.Throws<PgHaException>(() => ClusterSecret.Load(path));

        Assert.Equal("PgHaClusterSecretInvalid", ex.ErrorId);
        Assert.DoesNotContain(content, ex.Message);
    }

    [Fact]
    public void TheLocationIsTheParameterThenTheSessionThenTheEnvironmentThenTheHome()
    {
        Assert.Equal(("/p", true), ClusterSecretLocation.Resolve("/p", "/s"));
        Assert.Equal(("/s", true), ClusterSecretLocation.Resolve(null, "/s"));
        if (Environment.GetEnvironmentVariable(ClusterSecretLocation.EnvironmentVariable) is null)
        {
            Assert.Equal((ClusterSecretLocation.DefaultPath, false), ClusterSecretLocation.Resolve(null, " "));
            Assert.EndsWith("/.pgha/cluster-secret", ClusterSecretLocation.DefaultPath);
        }
    }
}
