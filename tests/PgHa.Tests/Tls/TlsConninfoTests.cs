using PgHa.Tests.Fixtures;
using Xunit;

namespace PgHa.Tests.Tls;

/// <summary>
/// The same conninfo means the same to psql (libpq 15) and to PgHa: each case runs psql and
/// Get-PgHaNode with it against a server with ssl = on, and both must connect or both must be refused,
/// as the case says. Placeholders: {addr} and {port} of the node, {name} the host name in its certificate,
/// {dir} the folder with ca.crt, wrong-ca.crt, client.crt/key, stranger.crt/key, client-open.key.
/// </summary>
public sealed class TlsConninfoTests : IClassFixture<TlsServerFixture>
{
    private readonly TlsServerFixture fixture;

    public TlsConninfoTests(TlsServerFixture fixture) => this.fixture = fixture;

    [Theory]
    // require without a root certificate encrypts but verifies nothing.
    [InlineData("hostaddr={addr} user=postgres sslmode=require", true, null)]
    // require with sslrootcert is verify-ca to libpq: a CA that did not sign the server is refused.
    [InlineData("hostaddr={addr} user=postgres sslmode=require sslrootcert={dir}/wrong-ca.crt", false, "PgHaServerCertificateRejected")]
    [InlineData("hostaddr={addr} user=postgres sslmode=require sslrootcert={dir}/ca.crt", true, null)]
    // A root certificate file that does not exist: require goes on unverified, verify-ca refuses.
    [InlineData("hostaddr={addr} user=postgres sslmode=require sslrootcert={dir}/missing.crt", true, null)]
    [InlineData("hostaddr={addr} user=postgres sslmode=verify-ca sslrootcert={dir}/missing.crt", false, "PgHaTlsConfigurationInvalid")]
    // verify-ca checks the chain, not the name.
    [InlineData("host=wrong.test hostaddr={addr} user=postgres sslmode=verify-ca sslrootcert={dir}/ca.crt", true, null)]
    [InlineData("hostaddr={addr} user=postgres sslmode=verify-ca sslrootcert={dir}/wrong-ca.crt", false, "PgHaServerCertificateRejected")]
    // verify-full checks the host name (not hostaddr) against the certificate's names.
    [InlineData("host={name} hostaddr={addr} user=postgres sslmode=verify-full sslrootcert={dir}/ca.crt", true, null)]
    [InlineData("host=wrong.test hostaddr={addr} user=postgres sslmode=verify-full sslrootcert={dir}/ca.crt", false, "PgHaServerCertificateRejected")]
    [InlineData("host={addr} user=postgres sslmode=verify-full sslrootcert={dir}/ca.crt", true, null)]
    [InlineData("hostaddr={addr} user=postgres sslmode=verify-full sslrootcert={dir}/ca.crt", false, "PgHaTlsConfigurationInvalid")]
    // prefer: a failed handshake is retried without TLS, which pg_hba.conf allows for plain only.
    [InlineData("hostaddr={addr} user=plain sslmode=prefer sslrootcert={dir}/wrong-ca.crt", true, null)]
    [InlineData("hostaddr={addr} user=postgres sslmode=prefer sslrootcert={dir}/wrong-ca.crt", false, null)]
    [InlineData("hostaddr={addr} user=postgres sslmode=disable", false, "PgHaAuthenticationFailed")]
    [InlineData("hostaddr={addr} user=plain sslmode=disable", true, null)]
    // allow: without TLS first, then with it (and a root certificate is then checked).
    [InlineData("hostaddr={addr} user=postgres sslmode=allow", true, null)]
    [InlineData("hostaddr={addr} user=postgres sslmode=allow sslrootcert={dir}/wrong-ca.crt", false, "PgHaServerCertificateRejected")]
    // cert authentication: the client certificate is what logs certuser in.
    [InlineData("host={addr} user=certuser sslmode=verify-full sslrootcert={dir}/ca.crt sslcert={dir}/client.crt sslkey={dir}/client.key", true, null)]
    [InlineData("hostaddr={addr} user=certuser sslmode=require", false, "PgHaAuthenticationFailed")]
    [InlineData("hostaddr={addr} user=certuser sslmode=require sslcert={dir}/stranger.crt sslkey={dir}/stranger.key", false, null)]
    [InlineData("hostaddr={addr} user=certuser sslmode=require sslcert={dir}/client.crt sslkey={dir}/client-open.key", false, "PgHaTlsConfigurationInvalid")]
    // Revocation lists are checked whenever the chain is (not without a root certificate).
    [InlineData("hostaddr={addr} user=postgres sslmode=verify-ca sslrootcert={dir}/ca.crt sslcrl={dir}/crl-empty.pem", true, null)]
    [InlineData("hostaddr={addr} user=postgres sslmode=verify-ca sslrootcert={dir}/ca.crt sslcrl={dir}/crl-revoked.pem", false, "PgHaServerCertificateRejected")]
    [InlineData("hostaddr={addr} user=postgres sslmode=require sslcrl={dir}/crl-revoked.pem", true, null)]
    // A client certificate file that does not exist: libpq goes on without one.
    [InlineData("hostaddr={addr} user=postgres sslmode=require sslcert={dir}/missing.crt sslkey={dir}/missing.key", true, null)]
    public async Task PsqlAndPgHaAgree(string template, bool accepted, string? errorId)
    {
        string conninfo = template
            .Replace("{addr}", fixture.Server.Address, StringComparison.Ordinal)
            .Replace("{name}", TlsServerFixture.HostName, StringComparison.Ordinal)
            .Replace("{dir}", fixture.CertificateDirectory, StringComparison.Ordinal)
            + $" port={fixture.Server.Port} dbname=postgres connect_timeout=5";

        var psql = await FixtureCommand.RunAsync(Path.Combine(PostgresServer.BinDirectory, "psql"),
            ["-X", "-A", "-t", "-w", "-d", conninfo, "-c", "SELECT current_user"]);
        Assert.True(psql.Succeeded == accepted, $"psql {(psql.Succeeded ? "connected" : "was refused")} with {conninfo}: {psql.StandardError.Trim()}");

        var pgha = fixture.Session.Run("Get-PgHaNode -Conninfo $args[0]", conninfo);
        string errors = string.Join("; ", pgha.Errors.Select(e => $"{e.FullyQualifiedErrorId}: {e.Exception?.Message}"));
        if (accepted)
        {
            Assert.True(pgha.Errors.Count == 0, $"PgHa was refused where psql connected, with {conninfo}: {errors}");
            Assert.Contains(pgha.Output, node => (string)node.Properties["Name"].Value == "tls1");
        }
        else
        {
            Assert.True(pgha.Errors.Count == 1, $"PgHa connected where psql was refused ({psql.StandardError.Trim()}), with {conninfo}");
            if (errorId is not null)
            {
                Assert.StartsWith(errorId + ",", pgha.Errors[0].FullyQualifiedErrorId, StringComparison.Ordinal);
            }
        }
    }
}
