using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace PgHa.Conninfo;

/// <summary>
/// A throwaway certificate and key, made once per process in a private temporary folder, that PgHa hands
/// Npgsql where libpq would send no client certificate. Given none, Npgsql loads PGSSLCERT (even an empty
/// or missing one, and then fails with a raw .NET exception), else ~/.postgresql/postgresql.crt, before
/// PgHa's handshake callback can say "none"; given this one it looks no further, and
/// <see cref="LibpqTlsPolicy.Apply"/> then sends no certificate at all.
/// </summary>
internal static class UnsentClientCertificate
{
    private static readonly Lazy<(string Certificate, string Key)> LazyFiles = new(Create, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The certificate and key files (PEM), made on first use and deleted when the process ends.</summary>
    public static (string Certificate, string Key) Files => LazyFiles.Value;

    /// <summary>True when Npgsql, given no client certificate, would load one of its own: PGSSLCERT is set, or ~/.postgresql/postgresql.crt exists.</summary>
    public static bool NpgsqlWouldLoadOne(LibpqEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (environment.Variable("PGSSLCERT") is not null)
        {
            return true;
        }

        string? home = environment.HomeDirectory;
        return !string.IsNullOrEmpty(home)
            && File.Exists(OperatingSystem.IsWindows() ? Path.Combine(home, "postgresql", "postgresql.crt") : Path.Combine(home, ".postgresql", "postgresql.crt"));
    }

    private static (string Certificate, string Key) Create()
    {
        // Made with mode 0700 on Unix.
        DirectoryInfo folder = Directory.CreateTempSubdirectory("pgha-unsent-");
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=PgHa sends no client certificate", key, HashAlgorithmName.SHA256);
        using X509Certificate2 certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(10));
        string certificatePath = Path.Combine(folder.FullName, "unsent.crt");
        string keyPath = Path.Combine(folder.FullName, "unsent.key");
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                folder.Delete(recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Left in the temporary folder: it holds nothing anyone could use.
            }
        };
        return (certificatePath, keyPath);
    }
}
