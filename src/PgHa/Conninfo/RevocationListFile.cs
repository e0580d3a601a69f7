using System.Formats.Asn1;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace PgHa.Conninfo;

/// <summary>
/// The certificate revocation lists of a PEM file (sslcrl, ~/.postgresql/root.crl), checked as libpq 15 has
/// OpenSSL check them (X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL): every certificate of the chain
/// needs a current list signed by its issuer, and must not be on it. .NET has no way to hand a list file
/// to a chain check, so PgHa reads the lists itself.
/// </summary>
internal sealed class RevocationListFile
{
    private readonly IReadOnlyList<RevocationList> lists;

    private RevocationListFile(string path, IReadOnlyList<RevocationList> lists, string? source = null)
    {
        Path = path;
        this.lists = lists;
        Source = source ?? $"the revocation list file {path}";
    }

    public string Path { get; }

    /// <summary>Where the lists come from, for messages ("the revocation list file ...").</summary>
    public string Source { get; }

    /// <summary>
    /// A check with no list at all: what OpenSSL does when it is told to check revocation but finds nothing
    /// (a sslcrldir that does not exist). Every chain then fails ("unable to get certificate CRL").
    /// </summary>
    public static RevocationListFile None(string source) => new(string.Empty, [], source);

    /// <summary>
    /// The lists in <paramref name="path"/>, or null where OpenSSL loads nothing from it: the file is missing,
    /// or holds neither a list nor a certificate it can read (libpq then checks nothing, silently). A file of
    /// certificates only loads, and then every chain fails for want of a list, as with OpenSSL.
    /// </summary>
    public static RevocationListFile? Load(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        var lists = new List<RevocationList>();
        const string Begin = "-----BEGIN X509 CRL-----";
        const string End = "-----END X509 CRL-----";
        int at = 0;
        while ((at = text.IndexOf(Begin, at, StringComparison.Ordinal)) >= 0)
        {
            int end = text.IndexOf(End, at, StringComparison.Ordinal);
            if (end < 0)
            {
                return null;
            }

            string base64 = text[(at + Begin.Length)..end];
            at = end + End.Length;
            try
            {
                lists.Add(RevocationList.Parse(Convert.FromBase64String(string.Concat(base64.Where(c => !char.IsWhiteSpace(c))))));
            }
            catch (Exception ex) when (ex is FormatException or AsnContentException or CryptographicException)
            {
                // OpenSSL stops at the first block it cannot read and then loads nothing from the file.
                return null;
            }
        }

        if (lists.Count == 0 && !text.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal))
        {
            return null;
        }

        return new RevocationListFile(path, lists);
    }

    /// <summary>Null when every certificate of <paramref name="chain"/> (leaf first, root last) passes; else why not.</summary>
    public string? Check(IReadOnlyList<X509Certificate2> chain, DateTimeOffset now)
    {
        for (int i = 0; i < chain.Count; i++)
        {
            X509Certificate2 certificate = chain[i];
            X509Certificate2 issuer = i + 1 < chain.Count ? chain[i + 1] : certificate;
            var candidates = lists.Where(l => l.Issuer.AsSpan().SequenceEqual(certificate.IssuerName.RawData)).ToList();
            if (candidates.Count == 0)
            {
                return $"{Source} holds no list from {certificate.Issuer}, the issuer of {certificate.Subject} (unable to get certificate CRL)";
            }

            var signed = candidates.Where(l => l.IsSignedBy(issuer)).ToList();
            if (signed.Count == 0)
            {
                return $"the revocation list of {certificate.Issuer} in {Path} does not carry that issuer's signature (CRL signature failure)";
            }

            var current = signed.Where(l => l.ThisUpdate <= now && (l.NextUpdate is null || l.NextUpdate >= now)).ToList();
            if (current.Count == 0)
            {
                return signed.Any(l => l.ThisUpdate > now)
                    ? $"the revocation list of {certificate.Issuer} in {Path} is not valid yet (CRL is not yet valid)"
                    : $"the revocation list of {certificate.Issuer} in {Path} has expired (CRL has expired)";
            }

            var serial = new BigInteger(certificate.SerialNumberBytes.Span, isUnsigned: false, isBigEndian: true);
            if (current.Any(l => l.Revoked.Contains(serial)))
            {
                return $"{certificate.Subject} (serial {certificate.SerialNumber}) is revoked by the list in {Path} (certificate revoked)";
            }
        }

        return null;
    }

    /// <summary>One CertificateList (RFC 5280 5.1): what the check needs, and the signed bytes.</summary>
    private sealed class RevocationList
    {
        private const string EcdsaSha256 = "1.2.840.10045.4.3.2";
        private const string EcdsaSha384 = "1.2.840.10045.4.3.3";
        private const string EcdsaSha512 = "1.2.840.10045.4.3.4";
        private const string RsaSha1 = "1.2.840.113549.1.1.5";
        private const string RsaSha256 = "1.2.840.113549.1.1.11";
        private const string RsaSha384 = "1.2.840.113549.1.1.12";
        private const string RsaSha512 = "1.2.840.113549.1.1.13";

        private byte[] signed = [];
        private byte[] signature = [];
        private string algorithm = "";

        public byte[] Issuer { get; private set; } = [];

        public DateTimeOffset ThisUpdate { get; private set; }

        public DateTimeOffset? NextUpdate { get; private set; }

        public HashSet<BigInteger> Revoked { get; } = [];

        public static RevocationList Parse(byte[] der)
        {
            var list = new RevocationList();
            var outer = new AsnReader(der, AsnEncodingRules.DER).ReadSequence();
            list.signed = outer.ReadEncodedValue().ToArray();
            list.algorithm = outer.ReadSequence().ReadObjectIdentifier();
            list.signature = outer.ReadBitString(out _);

            var tbs = new AsnReader(list.signed, AsnEncodingRules.DER).ReadSequence();
            if (tbs.PeekTag().HasSameClassAndValue(Asn1Tag.Integer))
            {
                tbs.ReadInteger();
            }

            tbs.ReadSequence();
            list.Issuer = tbs.ReadEncodedValue().ToArray();
            list.ThisUpdate = ReadTime(tbs);
            if (tbs.HasData && (tbs.PeekTag().HasSameClassAndValue(Asn1Tag.UtcTime) || tbs.PeekTag().HasSameClassAndValue(Asn1Tag.GeneralizedTime)))
            {
                list.NextUpdate = ReadTime(tbs);
            }

            if (tbs.HasData && tbs.PeekTag().HasSameClassAndValue(Asn1Tag.Sequence))
            {
                var entries = tbs.ReadSequence();
                while (entries.HasData)
                {
                    var entry = entries.ReadSequence();
                    list.Revoked.Add(entry.ReadInteger());
                }
            }

            return list;
        }

        public bool IsSignedBy(X509Certificate2 issuer)
        {
            HashAlgorithmName? hash = algorithm switch
            {
                EcdsaSha256 or RsaSha256 => HashAlgorithmName.SHA256,
                EcdsaSha384 or RsaSha384 => HashAlgorithmName.SHA384,
                EcdsaSha512 or RsaSha512 => HashAlgorithmName.SHA512,
                RsaSha1 => HashAlgorithmName.SHA1,
                _ => null,
            };
            if (hash is null)
            {
                // A signature PgHa cannot verify counts as not verified: stricter, never looser, than libpq.
                return false;
            }

            if (algorithm.StartsWith("1.2.840.10045", StringComparison.Ordinal))
            {
                using ECDsa? ecdsa = issuer.GetECDsaPublicKey();
                return ecdsa is not null && ecdsa.VerifyData(signed, signature, hash.Value, DSASignatureFormat.Rfc3279DerSequence);
            }

            using RSA? rsa = issuer.GetRSAPublicKey();
            return rsa is not null && rsa.VerifyData(signed, signature, hash.Value, RSASignaturePadding.Pkcs1);
        }

        private static DateTimeOffset ReadTime(AsnReader reader) =>
            reader.PeekTag().HasSameClassAndValue(Asn1Tag.UtcTime) ? reader.ReadUtcTime() : reader.ReadGeneralizedTime();
    }
}
