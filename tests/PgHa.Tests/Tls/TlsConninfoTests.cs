using PgHa.Tests.Fixtures;
using Xunit;

namespace PgHa.Tests.Tls;

/// <summary>
/// The same conninfo means the same to psql (libpq 15) and to PgHa: each case runs psql and
/// Get-PgHaNode with it against a server with ssl = on, and both must connect or both must be refused,
/// as the case says. Placeholders: {addr} and {port} of the node, {name} the host name in its certificate,
/// {dir} the folder with ca.crt, wrong-ca.crt, client.crt/key, stranger.crt/key, client-open.key,
/// client-encrypted.key, client-legacy.key, crl-empty.pem and crl-revoked.pem. The PG* variables and
/// ~/.postgresql are compared in a process of their own (<see cref="PsqlAndPgHaAgreeOnTheEnvironmentAndTheHomeDirectory"/>).
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
    // Given empty is not left out: sslmode='' is no mode at all to libpq ("invalid sslmode value").
    [InlineData("hostaddr={addr} user=postgres sslmode=''", false, "PgHaConninfoInvalid")]
    // A sslcrldir that does not exist turns the revocation check on with no list: every chain fails...
    [InlineData("hostaddr={addr} user=postgres sslmode=verify-ca sslrootcert={dir}/ca.crt sslcrldir={dir}/no-such-dir", false, "PgHaServerCertificateRejected")]
    // ...unless a list file beside it has the CA's list; a list file that cannot be loaded turns the check off.
    [InlineData("hostaddr={addr} user=postgres sslmode=verify-ca sslrootcert={dir}/ca.crt sslcrl={dir}/crl-empty.pem sslcrldir={dir}/no-such-dir", true, null)]
    [InlineData("hostaddr={addr} user=postgres sslmode=verify-ca sslrootcert={dir}/ca.crt sslcrl={dir}/missing.pem sslcrldir={dir}/no-such-dir", true, null)]
    // sslsni=0 (and anything not starting with 1) sends no server name; the certificate is still checked.
    [InlineData("host={name} hostaddr={addr} user=postgres sslmode=verify-full sslrootcert={dir}/ca.crt sslsni=0", true, null)]
    [InlineData("host=wrong.test hostaddr={addr} user=postgres sslmode=verify-full sslrootcert={dir}/ca.crt sslsni=''", false, "PgHaServerCertificateRejected")]
    // An encrypted client key: sslpassword opens it, a wrong one does not; an unencrypted key ignores it.
    [InlineData("hostaddr={addr} user=certuser sslmode=require sslcert={dir}/client.crt sslkey={dir}/client-encrypted.key sslpassword=sesame", true, null)]
    [InlineData("hostaddr={addr} user=certuser sslmode=require sslcert={dir}/client.crt sslkey={dir}/client-encrypted.key sslpassword=wrong", false, null)]
    [InlineData("hostaddr={addr} user=certuser sslmode=require sslcert={dir}/client.crt sslkey={dir}/client.key sslpassword=sesame", true, null)]
    public async Task PsqlAndPgHaAgree(string template, bool accepted, string? errorId)
    {
        string conninfo = Expand(template);

        var psql = await Psql(conninfo);
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

    /// <summary>
    /// A key in OpenSSL's legacy encrypted form is the one place PgHa is stricter than psql: .NET cannot read
    /// it, so PgHa refuses before connecting and says how to convert it, instead of failing in the handshake.
    /// </summary>
    [Fact]
    public async Task ALegacyEncryptedKeyIsRefusedWithTheCommandThatConvertsIt()
    {
        string conninfo = Expand("hostaddr={addr} user=certuser sslmode=require sslcert={dir}/client.crt sslkey={dir}/client-legacy.key sslpassword=sesame");
        var psql = await Psql(conninfo);
        Assert.True(psql.Succeeded, psql.StandardError);
        var pgha = fixture.Session.Run("Get-PgHaNode -Conninfo $args[0]", conninfo);
        var error = Assert.Single(pgha.Errors);
        Assert.StartsWith("PgHaTlsConfigurationInvalid,", error.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Contains("openssl pkcs8 -topk8", error.Exception.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// The PGSSL* variables and the files in ~/.postgresql, read by psql and by PgHa in a process of its own
    /// (tools/PgHa.Run) with the same environment: HOME is a folder of the case's own, and the variables are
    /// set in that process only, never in this one, where other tests connect. Each row: the variables, the
    /// files to put in ~/.postgresql (name=file of the fixture), the conninfo, and whether both connect.
    /// </summary>
    [Fact]
    public async Task PsqlAndPgHaAgreeOnTheEnvironmentAndTheHomeDirectory()
    {
        (string Variables, string Home, string Conninfo, bool Accepted)[] rows =
        [
            // sslrootcert given empty hides PGSSLROOTCERT: libpq looks for ~/.postgresql/root.crt instead.
            ("PGSSLROOTCERT={dir}/ca.crt", "", "user=postgres sslmode=verify-ca sslrootcert=''", false),
            ("PGSSLROOTCERT={dir}/wrong-ca.crt", "root.crt=ca.crt", "user=postgres sslmode=verify-ca sslrootcert=''", true),
            ("PGSSLROOTCERT={dir}/ca.crt", "", "user=postgres sslmode=verify-ca", true),
            ("PGSSLROOTCERT={dir}/wrong-ca.crt", "", "user=postgres sslmode=verify-ca", false),
            ("", "root.crt=ca.crt", "user=postgres sslmode=verify-ca", true),
            // require with ~/.postgresql/root.crt verifies the chain.
            ("", "root.crt=wrong-ca.crt", "user=postgres sslmode=require", false),
            ("PGSSLMODE=verify-ca", "root.crt=ca.crt", "user=postgres", true),
            ("PGSSLMODE=verify-full", "root.crt=ca.crt", "user=postgres", false),
            ("PGSSLCERT={dir}/client.crt PGSSLKEY={dir}/client.key", "", "user=certuser sslmode=require", true),
            ("", "postgresql.crt=client.crt postgresql.key=client.key", "user=certuser sslmode=require", true),
            // sslcert given empty hides PGSSLCERT and means ~/.postgresql/postgresql.crt (absent here): no certificate.
            ("PGSSLCERT={dir}/client.crt PGSSLKEY={dir}/client.key", "", "user=certuser sslmode=require sslcert=''", false),
            ("", "root.crt=ca.crt root.crl=crl-revoked.pem", "user=postgres sslmode=verify-ca", false),
            ("PGSSLCRL={dir}/crl-revoked.pem", "root.crt=ca.crt", "user=postgres sslmode=verify-ca", false),
            ("PGSSLCRL={dir}/crl-revoked.pem", "root.crt=ca.crt", "user=postgres sslmode=verify-ca sslcrl=''", true),
            ("PGSSLCRLDIR={dir}/no-such-dir", "root.crt=ca.crt", "user=postgres sslmode=verify-ca", false),
            // A variable set to nothing is an empty value to libpq, not an unset one: PGSSLMODE= is no mode...
            ("PGSSLMODE=", "root.crt=ca.crt", "user=postgres", false),
            // ...and PGSSLCERT= means ~/.postgresql/postgresql.crt, or no certificate when there is none.
            ("PGSSLCERT= PGSSLKEY=", "postgresql.crt=client.crt postgresql.key=client.key", "user=certuser sslmode=require", true),
            ("PGSSLCERT=", "", "user=postgres sslmode=require", true),
            // A PGSSLCERT that does not exist: libpq goes on without a certificate.
            ("PGSSLCERT={dir}/missing.crt", "", "user=postgres sslmode=require", true),
            ("PGSSLCERT={dir}/missing.crt", "", "user=certuser sslmode=require", false),
        ];

        string home = Path.Combine(fixture.CertificateDirectory, "home");
        // One line per case, tab-separated: NAME=value ..., name=file ... for ~/.postgresql, the conninfo.
        var cases = rows.Select(r => string.Join('\t',
            Placeholders(r.Variables),
            string.Join(' ', Pairs(r.Home).Select(p => p.Key + "=" + fixture.File(p.Value))),
            Expand("hostaddr={addr} " + r.Conninfo)));
        string script = Path.Combine(fixture.CertificateDirectory, "environment.ps1");
        await File.WriteAllTextAsync(script, EnvironmentScript);
        string input = Path.Combine(fixture.CertificateDirectory, "environment.txt");
        await File.WriteAllLinesAsync(input, cases);
        Directory.CreateDirectory(home);

        var start = new System.Diagnostics.ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = "/",
        };
        foreach (string argument in new[] { Failover.MonitorProcess.RunnerPath(), script, Path.Combine(PostgresServer.BinDirectory, "psql"), input })
        {
            start.ArgumentList.Add(argument);
        }
        start.Environment["HOME"] = home;
        foreach (string name in start.Environment.Keys.Where(k => k.StartsWith("PG", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(name);
        }
        using var process = System.Diagnostics.Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(deadline.Token);
        string[] lines = (await output).Split('\n').Where(l => l.StartsWith("ROW ", StringComparison.Ordinal)).ToArray();
        Assert.True(lines.Length == rows.Length, $"PgHa.Run printed {lines.Length} of {rows.Length} rows:\n{await output}\n{await errors}");

        var disagreements = new List<string>();
        for (int i = 0; i < rows.Length; i++)
        {
            // ROW <i> psql=<0|1> pgha=<OK|error id> <psql's or PgHa's message>
            string[] parts = lines[i].Split(' ', 5);
            bool psql = parts[2] == "psql=1";
            bool pgha = parts[3] == "pgha=OK";
            // A refusal is PgHa's own error record, never a .NET exception that leaked through.
            if (psql != rows[i].Accepted || pgha != rows[i].Accepted || !parts[3].StartsWith("pgha=PgHa", StringComparison.Ordinal) && !pgha)
            {
                disagreements.Add($"{rows[i]}: expected {(rows[i].Accepted ? "connected" : "refused")}; got {lines[i]}");
            }
        }
        Assert.True(disagreements.Count == 0, string.Join("\n", disagreements));
    }

    // $args[0]: psql; $args[1]: the cases, one a line. Prints one line per case. PgHa.Run's session has the
    // language and PgHa only, so files are handled through .NET.
    private const string EnvironmentScript = """
        $psql = $args[0]
        $dir = [IO.Path]::Combine($env:HOME, '.postgresql')
        $i = 0
        foreach ($line in [IO.File]::ReadAllLines($args[1])) {
            $variables, $files, $conninfo = $line -split "`t"
            if ([IO.Directory]::Exists($dir)) { [IO.Directory]::Delete($dir, $true) }
            $null = [IO.Directory]::CreateDirectory($dir)
            foreach ($pair in -split $files) {
                $name, $source = $pair -split '=', 2
                [IO.File]::Copy($source, [IO.Path]::Combine($dir, $name))
                chmod 600 ([IO.Path]::Combine($dir, $name))
            }
            $names = @()
            foreach ($pair in -split $variables) {
                $name, $value = $pair -split '=', 2
                [Environment]::SetEnvironmentVariable($name, $value)
                $names += $name
            }
            $said = & $psql -X -A -t -w -d $conninfo -c 'SELECT current_user' 2>&1
            $psqlOk = [int]($LASTEXITCODE -eq 0)
            try {
                $null = Get-PgHaNode -Conninfo $conninfo -ErrorAction Stop
                $pgha = 'OK'; $why = ''
            } catch {
                $pgha = ($_.FullyQualifiedErrorId -split ',')[0]
                $why = if ($pgha.StartsWith('PgHa')) { $_.Exception.Message } else { $_.Exception.ToString() }
            }
            # $null would arrive as "", which .NET keeps as an empty variable.
            foreach ($name in $names) { [Environment]::SetEnvironmentVariable($name, [NullString]::Value) }
            "ROW $i psql=$psqlOk pgha=$pgha psql: $(($said -join ' ') -replace '\s+', ' ') / PgHa: $($why -replace '\s+', ' ')"
            $i++
        }
        """;

    private static IEnumerable<KeyValuePair<string, string>> Pairs(string text) =>
        text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=', 2)).Select(p => KeyValuePair.Create(p[0], p[1]));

    private string Placeholders(string text) => text
        .Replace("{addr}", fixture.Server.Address, StringComparison.Ordinal)
        .Replace("{name}", TlsServerFixture.HostName, StringComparison.Ordinal)
        .Replace("{dir}", fixture.CertificateDirectory, StringComparison.Ordinal);

    private string Expand(string template) =>
        Placeholders(template) + $" port={fixture.Server.Port} dbname=postgres connect_timeout=5";

    private static Task<FixtureCommandResult> Psql(string conninfo) =>
        FixtureCommand.RunAsync(Path.Combine(PostgresServer.BinDirectory, "psql"), ["-X", "-A", "-t", "-w", "-d", conninfo, "-c", "SELECT current_user"]);
}
