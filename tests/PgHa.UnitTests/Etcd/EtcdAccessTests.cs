using PgHa.Core;
using PgHa.Etcd;
using Xunit;

namespace PgHa.UnitTests.Etcd;

/// <summary>How the sources of etcd access combine, and that the password shows nowhere.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class EtcdAccessTests
{
    private static readonly IReadOnlyList<Uri> Endpoints = EtcdClientSettings.ParseEndpoints("https://10.0.0.1:2379,https://10.0.0.2:2379");

    [Fact]
    public void TheRecordedTlsFilesAreUsedUnlessThisHostNamesItsOwn()
    {
        EtcdClientSettings recorded = EtcdAccess.None.ToClientSettings(Endpoints, "/etc/pgha/ca.crt", "/etc/pgha/c.crt", "/etc/pgha/c.key");
        Assert.Equal(("/etc/pgha/ca.crt", "/etc/pgha/c.crt", "/etc/pgha/c.key"), (recorded.CaFile, recorded.CertFile, recorded.KeyFile));
        Assert.Null(recorded.UserName);

        // A certificate of this host's own: its key goes with it (none given: the key is in the certificate's file), never the recorded key.
        EtcdClientSettings own = new EtcdAccess { CertFile = "/home/me/both.pem" }.ToClientSettings(Endpoints, "/etc/pgha/ca.crt", "/etc/pgha/c.crt", "/etc/pgha/c.key");
        Assert.Equal(("/etc/pgha/ca.crt", "/home/me/both.pem", null), (own.CaFile, own.CertFile, own.KeyFile));
    }

    [Fact]
    public void TheNearerSourceWinsAndAUserKeepsItsOwnPassword()
    {
        var fromConfig = new EtcdAccess { CaFile = "/etc/pgha/ca.crt", UserName = "pgha", Password = "from-file" };
        var fromParameter = new EtcdAccess { UserName = "admin", Password = "typed" };

        EtcdAccess both = fromParameter.Over(fromConfig);
        Assert.Equal(("/etc/pgha/ca.crt", "admin", "typed"), (both.CaFile, both.UserName, both.Password));

        // A user without a password (none given) does not borrow another user's.
        EtcdAccess userOnly = new EtcdAccess { UserName = "other" }.Over(fromConfig);
        Assert.Equal(("other", null), (userOnly.UserName, userOnly.Password));
        Assert.Equal(("pgha", "from-file"), (EtcdAccess.None.Over(fromConfig).UserName, EtcdAccess.None.Over(fromConfig).Password));
    }

    [Fact]
    public void NeitherTheAccessNorTheSettingsShowThePassword()
    {
        var access = new EtcdAccess { UserName = "pgha", Password = "s3cret pass'word", CaFile = "/etc/pgha/ca.crt" };
        EtcdClientSettings settings = access.ToClientSettings(Endpoints, null, null, null);

        Assert.Equal("s3cret pass'word", settings.Password);
        Assert.DoesNotContain("s3cret", access.ToString());
        Assert.Contains("password set", access.ToString());
        Assert.DoesNotContain("s3cret", settings.ToString());
    }

    [Fact]
    public void APasswordFileGivesItsFirstLineWithItsSpaces()
    {
        string file = WriteFile(" two words \nsecond line\n", UnixFileMode.UserRead | UnixFileMode.UserWrite);
        try
        {
            Assert.Equal(" two words ", EtcdPasswordFile.Read(file));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void APasswordFileOthersCanReadIsRefusedWithoutShowingThePassword()
    {
        string file = WriteFile("hunter2\n", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        try
        {
            PgHaException error = Assert.Throws<PgHaException>(() => EtcdPasswordFile.Read(file));
            Assert.Equal(PgHaErrorIds.EtcdPasswordFileExposed, error.ErrorId);
            Assert.Contains("chmod 600", error.Message);
            Assert.DoesNotContain("hunter2", error.Message);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void AMissingOrEmptyPasswordFileSaysWhatToWrite()
    {
        string missing = Path.Combine(Path.GetTempPath(), "pgha-no-such-" + Guid.NewGuid().ToString("N"));
        Assert.Equal(PgHaErrorIds.EtcdPasswordFileInvalid, Assert.Throws<PgHaException>(() => EtcdPasswordFile.Read(missing)).ErrorId);
        string empty = WriteFile("\nnot the first line\n", UnixFileMode.UserRead | UnixFileMode.UserWrite);
        try
        {
            PgHaException error = Assert.Throws<PgHaException>(() => EtcdPasswordFile.Read(empty));
            Assert.Equal(PgHaErrorIds.EtcdPasswordFileInvalid, error.ErrorId);
            Assert.Contains("first line", error.Message);
        }
        finally
        {
            File.Delete(empty);
        }
    }

    private static string WriteFile(string text, UnixFileMode mode)
    {
        string path = Path.Combine(Path.GetTempPath(), "pgha-etcd-pw-" + Guid.NewGuid().ToString("N"));
        File.WriteAllText(path, text);
        File.SetUnixFileMode(path, mode);
        return path;
    }
}
