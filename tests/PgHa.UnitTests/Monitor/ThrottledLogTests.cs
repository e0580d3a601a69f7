using PgHa.Operations.Monitor;
using Xunit;

namespace PgHa.UnitTests.Monitor;

public sealed class ThrottledLogTests
{
    [Fact]
    public void OneLinePerIntervalTheNewestWithHowManyWereLeftOut()
    {
        long now = 0;
        var written = new List<string>();
        var log = new ThrottledLog(written.Add, TimeSpan.FromSeconds(10), () => now);

        log.Note("Check failed: a"); // a primary's failing check, every 250 ms
        for (int i = 0; i < 39; i++)
        {
            now += 250;
            log.Note(i < 20 ? "Check failed: a" : "Check failed: b");
        }
        Assert.Equal(["Check failed: a"], written);

        now += 250; // 10 s after the first line
        log.Note("Check failed: b");
        Assert.Equal(["Check failed: a", "Check failed: b (39 more such line(s) left out since the last one.)"], written);

        now += 20_000; // a quiet stretch: the next one is written at once, with nothing left out
        log.Note("Check failed: c");
        Assert.Equal("Check failed: c", written[^1]);
    }
}
