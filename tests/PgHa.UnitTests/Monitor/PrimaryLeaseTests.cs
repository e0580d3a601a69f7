using PgHa.Operations.Monitor;
using Xunit;

namespace PgHa.UnitTests.Monitor;

public sealed class PrimaryLeaseTests
{
    private static readonly TimeSpan Forget = TimeSpan.FromSeconds(12);

    [Theory]
    [InlineData(1000, 999, false)]
    [InlineData(1000, 1000, true)]
    [InlineData(1000, 5000, true)]
    public void ExpiresAtItsEnd(long expiresAt, long now, bool expired)
    {
        Assert.Equal(expired, new PrimaryLease(expiresAt).HasExpired(now));
    }

    [Fact]
    public void IsNeverShortened()
    {
        var lease = new PrimaryLease(5000);

        Assert.False(lease.ExtendTo(4000));
        Assert.Equal(5000, lease.ExpiresAtMs);
        Assert.True(lease.ExtendTo(6000));
        Assert.Equal(6000, lease.ExpiresAtMs);
    }

    [Fact]
    public void ARecordOfThisBootIsReadBack()
    {
        string path = Path.Combine(Path.GetTempPath(), $"pgha-lease-{Guid.NewGuid():N}");
        try
        {
            var record = new LeaseRecord(path);
            Assert.Null(record.Load(0, Forget));

            record.Save(123_456);
            Assert.Equal(123_456, new LeaseRecord(path).Load(0, Forget));

            record.Save(123_700); // less than half a second later: not written, the file keeps the earlier (safer) end
            Assert.Equal(123_456, new LeaseRecord(path).Load(0, Forget));

            record.Save(120_000); // replaced by a shorter lease (an election won after a start's window): written at once
            Assert.Equal(120_000, new LeaseRecord(path).Load(0, Forget));

            record.Delete();
            Assert.Null(new LeaseRecord(path).Load(0, Forget));
        }
        finally
        {
            File.Delete(path);
            File.Delete(path + ".tmp");
        }
    }

    [Fact]
    public void ALeaseKeptAtAStopIsTakenByAQuickRestartOnly()
    {
        // systemctl restart of the primary's monitor: the restart keeps the lease a majority granted; a start long
        // after the stop (maintenance, the whole cluster's monitors stopped) is a start like the first.
        string path = Path.Combine(Path.GetTempPath(), $"pgha-lease-{Guid.NewGuid():N}");
        try
        {
            new LeaseRecord(path).SaveStopped(expiresAtMs: 53_500, stoppedAtMs: 50_000);
            Assert.Equal(53_500, new LeaseRecord(path).Load(52_000, Forget));
            Assert.Equal(53_500, new LeaseRecord(path).Load(61_999, Forget));
            Assert.Null(new LeaseRecord(path).Load(62_000, Forget));
        }
        finally
        {
            File.Delete(path);
            File.Delete(path + ".tmp");
        }
    }

    [Fact]
    public void ARecordOfAnotherBootIsIgnored()
    {
        string path = Path.Combine(Path.GetTempPath(), $"pgha-lease-{Guid.NewGuid():N}");
        try
        {
            File.WriteAllText(path, """{"bootId":"00000000-0000-0000-0000-000000000000","expiresAtMs":99999999}""");
            Assert.Null(new LeaseRecord(path).Load(0, Forget));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
