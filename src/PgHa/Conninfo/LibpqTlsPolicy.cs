using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Npgsql;

namespace PgHa.Conninfo;

/// <summary>
/// What libpq 15 checks in the TLS handshake for one conninfo (fe-secure-openssl.c), resolved from the
/// conninfo, the PGSSL* variables and ~/.postgresql, and applied to every handshake Npgsql makes for it.
/// </summary>
/// <remarks>
/// Npgsql's own meaning of the modes differs: its Require never verifies, even with a root certificate,
/// and its VerifyCA without one trusts the system store. So PgHa gives Npgsql only the modes that decide
/// whether TLS is tried (Disable, Allow, Prefer, Require) and verifies the server itself, as libpq does:
/// <list type="bullet">
/// <item>a root certificate file (sslrootcert, else ~/.postgresql/root.crt) that exists is always used to
/// verify the chain, in every mode that ends up on TLS (require with a root file is verify-ca);</item>
/// <item>verify-ca and verify-full without that file are refused before connecting;</item>
/// <item>verify-full also matches the conninfo's host name (not hostaddr) with libpq's rules;</item>
/// <item>a client certificate (sslcert, else ~/.postgresql/postgresql.crt) is sent only when its file
/// exists, and then its key must exist and be private.</item>
/// </list>
/// Revocation lists (sslcrl, else ~/.postgresql/root.crl) are checked as libpq has OpenSSL check them. What
/// PgHa cannot check (a hashed sslcrldir) is refused where libpq would use it, so PgHa is never less strict
/// than psql with the same conninfo. A keyword given empty means what libpq makes of it: the file in
/// ~/.postgresql for the file keywords, while its PG* variable stays unread (the caller's setting does that).
/// </remarks>
internal sealed class LibpqTlsPolicy
{
    private const string ServerAuthenticationOid = "1.3.6.1.5.5.7.3.1";
    private const string CommonNameOid = "2.5.4.3";

    private readonly X509Certificate2Collection? rootCertificates;
    private readonly RevocationListFile? revocationLists;
    private readonly IReadOnlyDictionary<string, string> hostNameByTarget;
    private readonly bool sendServerName;
    private volatile string? rejection;

    private LibpqTlsPolicy(
        string mode,
        string? rootCertificatePath,
        X509Certificate2Collection? rootCertificates,
        RevocationListFile? revocationLists,
        string? clientCertificatePath,
        string? clientKeyPath,
        IReadOnlyDictionary<string, string> hostNameByTarget,
        bool sendServerName,
        bool clientKeyIsEncrypted = false)
    {
        Mode = mode;
        RootCertificatePath = rootCertificatePath;
        this.rootCertificates = rootCertificates;
        this.revocationLists = revocationLists;
        ClientCertificatePath = clientCertificatePath;
        ClientKeyPath = clientKeyPath;
        this.hostNameByTarget = hostNameByTarget;
        this.sendServerName = sendServerName;
        ClientKeyIsEncrypted = clientKeyIsEncrypted;
    }

    /// <summary>libpq's sslmode: disable, allow, prefer, require, verify-ca or verify-full.</summary>
    public string Mode { get; }

    /// <summary>The mode Npgsql is given: it only decides whether TLS is tried; verifying is PgHa's.</summary>
    public SslMode NpgsqlMode => Mode switch
    {
        "disable" => SslMode.Disable,
        "allow" => SslMode.Allow,
        "prefer" => SslMode.Prefer,
        _ => SslMode.Require,
    };

    /// <summary>The root certificate file libpq loads, or null when it verifies nothing.</summary>
    public string? RootCertificatePath { get; }

    /// <summary>The client certificate file libpq sends, or null when it sends none.</summary>
    public string? ClientCertificatePath { get; }

    /// <summary>The key of <see cref="ClientCertificatePath"/>.</summary>
    public string? ClientKeyPath { get; }

    /// <summary>True when <see cref="ClientKeyPath"/> is an encrypted PKCS#8 key: only then is sslpassword used.</summary>
    public bool ClientKeyIsEncrypted { get; }

    /// <summary>True for verify-full: the server certificate must name the conninfo's host.</summary>
    public bool VerifiesHostName => Mode == "verify-full";

    /// <summary>Why the last handshake's server certificate was refused, or null.</summary>
    public string? Rejection => rejection;

    /// <param name="setting">The conninfo's value of a keyword (empty when given empty), else its PG* environment variable.</param>
    /// <param name="endpoints">Npgsql's host for each endpoint and the conninfo host name libpq checks for it.</param>
    /// <exception cref="LibpqTlsException">libpq would refuse this TLS setup, or PgHa cannot honour it.</exception>
    public static LibpqTlsPolicy Resolve(Func<string, string?> setting, LibpqEnvironment environment, IReadOnlyList<(string Target, string HostName)> endpoints)
    {
        ArgumentNullException.ThrowIfNull(setting);
        ArgumentNullException.ThrowIfNull(environment);
        string mode = setting("sslmode") ?? "prefer";
        string[] modes = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"];
        if (!modes.Contains(mode, StringComparer.Ordinal))
        {
            throw new ConninfoFormatException($"\"{mode}\" is not a valid value for \"sslmode\" (use one of: {string.Join(", ", modes)})");
        }

        var hostNames = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (target, hostName) in endpoints)
        {
            hostNames.TryAdd(target, hostName);
        }

        // libpq sends SNI only when sslsni starts with '1' (its default); "0", "" or "off" send none.
        bool sendServerName = setting("sslsni") is not { } sni || sni.StartsWith('1');
        if (mode == "disable")
        {
            return new LibpqTlsPolicy(mode, null, null, null, null, null, hostNames, sendServerName);
        }

        string? home = string.IsNullOrEmpty(environment.HomeDirectory) ? null : DefaultDirectory(environment.HomeDirectory);
        var (rootPath, roots) = RootCertificates(mode, NonEmpty(setting("sslrootcert")), home);
        RevocationListFile? revocationLists = roots is null ? null : RevocationLists(NonEmpty(setting("sslcrl")), NonEmpty(setting("sslcrldir")), home);

        if (mode == "verify-full")
        {
            string? withoutName = endpoints.Where(e => e.HostName.Length == 0).Select(e => e.Target).FirstOrDefault();
            if (withoutName is not null)
            {
                throw new LibpqTlsException(
                    $"sslmode=verify-full checks the server certificate against the conninfo's host name, but {withoutName} is given by hostaddr only. Add host=<the name in the certificate> beside hostaddr, or use sslmode=verify-ca.");
            }
        }

        var (certificatePath, keyPath, keyIsEncrypted) = ClientCertificate(NonEmpty(setting("sslcert")), NonEmpty(setting("sslkey")), home);
        return new LibpqTlsPolicy(mode, rootPath, roots, revocationLists, certificatePath, keyPath, hostNames, sendServerName, keyIsEncrypted);
    }

    /// <summary>
    /// Called by Npgsql before each handshake (NpgsqlConnection.SslClientAuthenticationOptionsCallback):
    /// the client certificate libpq would send and the server check libpq would make.
    /// </summary>
    public void Apply(SslClientAuthenticationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        string target = options.TargetHost ?? "";
        string hostName = hostNameByTarget.TryGetValue(target, out string? name) && name.Length > 0 ? name : target;
        if (ClientCertificatePath is null)
        {
            // Npgsql falls back to PGSSLCERT and ~/.postgresql/postgresql.crt on its own; libpq sent none here.
            options.ClientCertificateContext = null;
            options.ClientCertificates = null;
        }

        // libpq sends the host name (never an address) as SNI unless sslsni says no; .NET sends the target
        // host unless it is empty or an address. The certificate is checked against hostName below either way.
        if (!sendServerName)
        {
            options.TargetHost = string.Empty;
        }
        else if (hostName.Length > 0 && !IPAddress.TryParse(hostName, out _))
        {
            options.TargetHost = hostName;
        }

        options.RemoteCertificateValidationCallback = (_, certificate, chain, _) => Accept(certificate, chain, hostName);
    }

    /// <summary>libpq's verdict on a server certificate; the reason of a refusal is kept in <see cref="Rejection"/>.</summary>
    public bool Accept(X509Certificate? certificate, X509Chain? presented, string hostName)
    {
        if (rootCertificates is null)
        {
            // No root certificate file: libpq encrypts but verifies nothing (allow, prefer, require).
            return true;
        }

        if (certificate is null)
        {
            return Reject("the server sent no certificate");
        }

        using var server = new X509Certificate2(certificate);
        string? problem = ChainProblem(server, presented);
        if (problem is null && VerifiesHostName)
        {
            problem = HostNameProblem(server, hostName);
        }

        return problem is null || Reject(problem);
    }

    private bool Reject(string problem)
    {
        rejection = problem;
        return false;
    }

    private string? ChainProblem(X509Certificate2 server, X509Chain? presented)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        // OpenSSL's client checks the "SSL server" purpose: an extended key usage, when present, must allow it.
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid(ServerAuthenticationOid));
        foreach (var root in rootCertificates!)
        {
            // OpenSSL trusts the self-signed certificates of the file; the others only help build the chain.
            (IsSelfSigned(root) ? chain.ChainPolicy.CustomTrustStore : chain.ChainPolicy.ExtraStore).Add(root);
        }

        if (presented is not null)
        {
            chain.ChainPolicy.ExtraStore.AddRange(presented.ChainPolicy.ExtraStore);
            foreach (var element in presented.ChainElements)
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        if (chain.Build(server))
        {
            return revocationLists?.Check(chain.ChainElements.Select(e => e.Certificate).ToList(), DateTimeOffset.UtcNow) is { } revoked
                ? "its certificate chain fails the revocation check: " + revoked
                : null;
        }

        string statuses = string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct());
        return $"its certificate ({server.Subject}) does not verify against the root certificate file {RootCertificatePath}: {statuses}";
    }

    // pq_verify_peer_name_matches_certificate of libpq 15: subjectAltName entries of the host's kind (dNSName
    // for a name, iPAddress for an address) are matched; the Common Name only when there is none of that kind.
    private static string? HostNameProblem(X509Certificate2 server, string hostName)
    {
        bool hostIsAddress = IPAddress.TryParse(hostName, out IPAddress? hostAddress);
        bool checkCommonName = true;
        var examined = new List<string>();
        var alternativeNames = server.Extensions.OfType<X509SubjectAlternativeNameExtension>().FirstOrDefault();
        if (alternativeNames is not null)
        {
            foreach (string dnsName in alternativeNames.EnumerateDnsNames())
            {
                checkCommonName &= hostIsAddress;
                examined.Add(dnsName);
                if (NameMatches(dnsName, hostName))
                {
                    return null;
                }
            }

            foreach (IPAddress address in alternativeNames.EnumerateIPAddresses())
            {
                checkCommonName &= !hostIsAddress;
                examined.Add(address.ToString());
                if (hostAddress is not null && address.AddressFamily == hostAddress.AddressFamily && address.Equals(hostAddress))
                {
                    return null;
                }
            }
        }

        if (checkCommonName)
        {
            string? commonName = server.SubjectName.EnumerateRelativeDistinguishedNames()
                .Where(n => n.GetSingleElementType().Value == CommonNameOid)
                .Select(n => n.GetSingleElementValue())
                .FirstOrDefault();
            if (commonName is not null)
            {
                examined.Add(commonName);
                if (NameMatches(commonName, hostName))
                {
                    return null;
                }
            }
        }

        return examined.Count == 0
            ? $"its certificate ({server.Subject}) names no host, so it cannot match host \"{hostName}\" (sslmode=verify-full)"
            : $"its certificate names {string.Join(", ", examined.Select(n => "\"" + n + "\""))}, not the conninfo's host \"{hostName}\" (sslmode=verify-full)";
    }

    // libpq: equal ignoring case, or "*.rest" where the host's first label stands for the star.
    private static bool NameMatches(string certificateName, string hostName)
    {
        if (certificateName.Contains('\0'))
        {
            return false;
        }

        if (string.Equals(certificateName, hostName, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        if (certificateName.Length < 3 || !certificateName.StartsWith("*.", StringComparison.Ordinal) || certificateName.Length > hostName.Length)
        {
            return false;
        }

        string suffix = certificateName[1..];
        return hostName.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)
            && hostName.IndexOf('.', StringComparison.Ordinal) >= hostName.Length - suffix.Length;
    }

    private static (string? Path, X509Certificate2Collection? Certificates) RootCertificates(string mode, string? sslRootCert, string? home)
    {
        string? path = sslRootCert ?? (home is null ? null : Path.Combine(home, "root.crt"));
        bool verifies = mode.StartsWith("verify-", StringComparison.Ordinal);
        if (path is null || !(File.Exists(path) || Directory.Exists(path)))
        {
            if (verifies)
            {
                throw new LibpqTlsException(path is null
                    ? $"sslmode={mode} needs a root certificate file, and there is no home directory to find ~/.postgresql/root.crt in. Give sslrootcert=<the CA file>, or use sslmode=require to encrypt without verifying the server."
                    : $"sslmode={mode} needs the root certificate file \"{path}\", which does not exist. Create it with the CA that signed the server's certificate, point sslrootcert at that file, or use sslmode=require to encrypt without verifying the server.");
            }

            // libpq goes on without verifying the server (allow, prefer, require).
            return (null, null);
        }

        var certificates = new X509Certificate2Collection();
        try
        {
            certificates.ImportFromPemFile(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw new LibpqTlsException($"The root certificate file \"{path}\" cannot be read ({ex.Message}). Give a readable PEM file of CA certificates in sslrootcert.");
        }

        if (certificates.Count == 0)
        {
            throw new LibpqTlsException($"The root certificate file \"{path}\" holds no PEM certificate. Give a PEM file of CA certificates in sslrootcert.");
        }

        return (path, certificates);
    }

    // libpq (initialize_SSL) hands OpenSSL sslcrl and sslcrldir, or ~/.postgresql/root.crl when neither is
    // given, whenever it verifies the server: X509_STORE_load_locations. When that succeeds, every certificate
    // of the chain must pass a list (X509_V_FLAG_CRL_CHECK_ALL); when it fails, nothing is checked, silently.
    // It fails when the file cannot be loaded (missing, or nothing in it), whatever sslcrldir says; it does not
    // look at the directory at all, so a directory that does not exist turns the check on with no list in it.
    private static RevocationListFile? RevocationLists(string? sslCrl, string? sslCrlDirectory, string? home)
    {
        string? file = sslCrl ?? (sslCrlDirectory is null && home is not null ? Path.Combine(home, "root.crl") : null);
        RevocationListFile? fromFile = null;
        if (file is not null)
        {
            fromFile = RevocationListFile.Load(file);
            if (fromFile is null)
            {
                return null;
            }
        }

        if (sslCrlDirectory is null)
        {
            return fromFile;
        }

        if (Directory.Exists(sslCrlDirectory))
        {
            throw new LibpqTlsException(
                $"libpq would check the server certificate against the revocation lists in the directory \"{sslCrlDirectory}\" (sslcrldir), which PgHa cannot read. Put the lists in one PEM file and name it in sslcrl instead.");
        }

        // OpenSSL takes the missing directory as a place to look and finds no list there: only the file's count.
        return fromFile ?? RevocationListFile.None($"the revocation list directory {sslCrlDirectory} (sslcrldir), which does not exist,");
    }

    private static (string? Certificate, string? Key, bool KeyIsEncrypted) ClientCertificate(string? sslCert, string? sslKey, string? home)
    {
        string? certificate = sslCert ?? (home is null ? null : Path.Combine(home, "postgresql.crt"));
        if (certificate is null || !(File.Exists(certificate) || Directory.Exists(certificate)))
        {
            // libpq goes on without a client certificate; the server may or may not accept that.
            return (null, null, false);
        }

        if (Directory.Exists(certificate))
        {
            throw new LibpqTlsException($"The client certificate \"{certificate}\" is a directory. Point sslcert at the PEM certificate file.");
        }

        string? key = sslKey ?? (home is null ? null : Path.Combine(home, "postgresql.key"));
        if (key is null)
        {
            throw new LibpqTlsException($"The client certificate \"{certificate}\" has no key: give sslkey=<its private key file>.");
        }

        if (!OperatingSystem.IsWindows() && key.Contains(':'))
        {
            throw new LibpqTlsException($"sslkey \"{key}\" names an OpenSSL engine key, which PgHa cannot use. Give the private key as a PEM file.");
        }

        if (!File.Exists(key))
        {
            throw new LibpqTlsException($"The client certificate \"{certificate}\" is present, but its private key file \"{key}\" is not. Create the key file or point sslkey at it.");
        }

        if (!OperatingSystem.IsWindows())
        {
            // libpq refuses a key others can read: 0600 or less (0640 for a key root owns, which .NET cannot
            // see, so PgHa asks for 0600 in every case).
            var others = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
                | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
            if ((File.GetUnixFileMode(key) & others) != 0)
            {
                throw new LibpqTlsException($"The private key file \"{key}\" has group or world access; libpq refuses it too. Run: chmod 0600 '{key}'.");
            }
        }

        return (certificate, key, KeyIsEncrypted(key));
    }

    // .NET reads an encrypted key only in PKCS#8 form ("ENCRYPTED PRIVATE KEY"); OpenSSL's older form (a
    // "Proc-Type: 4,ENCRYPTED" header, which libpq reads) is refused here with the command that converts it.
    private static bool KeyIsEncrypted(string key)
    {
        string text;
        try
        {
            text = File.ReadAllText(key);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new LibpqTlsException($"The private key file \"{key}\" cannot be read ({ex.Message}). Give this user read access to it (mode 0600, owned by the user).");
        }

        if (text.Contains("Proc-Type: 4,ENCRYPTED", StringComparison.Ordinal))
        {
            throw new LibpqTlsException(
                $"The private key file \"{key}\" is encrypted in OpenSSL's legacy PEM form, which PgHa cannot read. Convert it to an encrypted PKCS#8 key (same password): openssl pkcs8 -topk8 -v2 aes-256-cbc -in '{key}' -out <new file>, and point sslkey at the new file.");
        }

        return text.Contains("-----BEGIN ENCRYPTED PRIVATE KEY-----", StringComparison.Ordinal);
    }

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static bool IsSelfSigned(X509Certificate2 certificate) =>
        certificate.SubjectName.RawData.AsSpan().SequenceEqual(certificate.IssuerName.RawData);

    private static string DefaultDirectory(string home) =>
        OperatingSystem.IsWindows() ? Path.Combine(home, "postgresql") : Path.Combine(home, ".postgresql");
}
