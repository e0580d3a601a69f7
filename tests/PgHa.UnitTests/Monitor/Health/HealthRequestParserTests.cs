using System.Text;
using PgHa.Operations.Monitor.Health;
using Xunit;

namespace PgHa.UnitTests.Monitor.Health;

public sealed class HealthRequestParserTests
{
    private static HealthRequest? Parse(string head, out (int Status, string Reason)? error) =>
        HealthRequestParser.Parse(Encoding.UTF8.GetBytes(head), out error);

    [Fact]
    public void HaproxyCheck_PathAndQuery()
    {
        HealthRequest? request = Parse("GET /replica?lag=16MB&x=a%20b HTTP/1.0\r\nHost: n\r\n\r\n", out var error);
        Assert.Null(error);
        Assert.Equal("GET", request!.Method);
        Assert.Equal("/replica", request.Path);
        Assert.Equal("16MB", request.Query["lag"]);
        Assert.Equal("a b", request.Query["x"]);
    }

    [Theory]
    [InlineData("GET /primary/ HTTP/1.1\r\n\r\n", "/primary")]
    [InlineData("HEAD / HTTP/1.1\r\n\r\n", "/")]
    [InlineData("GET /read-only HTTP/1.1\n\n", "/read-only")]
    public void Paths(string head, string path)
    {
        Assert.Equal(path, Parse(head, out _)!.Path);
    }

    [Theory]
    [InlineData("GET /primary\r\n\r\n", 400)]
    [InlineData("get /primary HTTP/1.1\r\n\r\n", 400)]
    [InlineData("GET primary HTTP/1.1\r\n\r\n", 400)]
    [InlineData("GET /primary HTTP/2.0\r\n\r\n", 505)]
    [InlineData("GET  /primary HTTP/1.1\r\n\r\n", 400)]
    public void Malformed_StatusSaysWhy(string head, int status)
    {
        Assert.Null(Parse(head, out var error));
        Assert.Equal(status, error!.Value.Status);
        Assert.False(string.IsNullOrWhiteSpace(error.Value.Reason));
    }

    [Fact]
    public void InvalidUtf8_400()
    {
        Assert.Null(HealthRequestParser.Parse([(byte)'G', (byte)'E', (byte)'T', (byte)' ', (byte)'/', 0xff, (byte)' ', (byte)'H', (byte)'\r', (byte)'\n'], out var error));
        Assert.Equal(400, error!.Value.Status);
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\n\r\n", 27)]
    [InlineData("GET / HTTP/1.1\n\n", 16)]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\n", -1)]
    public void HeadLength(string text, int length)
    {
        Assert.Equal(length, HealthRequestParser.HeadLength(Encoding.ASCII.GetBytes(text)));
    }
}
