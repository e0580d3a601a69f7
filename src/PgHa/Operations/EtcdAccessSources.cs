using System.Net;
using PgHa.Etcd;

namespace PgHa.Operations;

/// <summary>
/// Where etcd access comes from besides the metadata: a node's configuration (Etcd.CaFile, CertFile, KeyFile,
/// User, PasswordFile) and a command's -EtcdCredential. Combine them with EtcdAccess.Over, the nearer one first:
/// <c>EtcdAccessSources.FromCredential(cred).Over(EtcdAccessSources.FromNodeConfig(config))</c>.
/// </summary>
internal static class EtcdAccessSources
{
    /// <summary>The node configuration's etcd access; the password file is read now (PgHaEtcdPasswordFile* when it cannot be used).</summary>
    public static EtcdAccess FromNodeConfig(PgHaNodeConfig? config)
    {
        if (config is null)
        {
            return EtcdAccess.None;
        }
        if (config.EtcdPasswordFile is not null && config.EtcdUser is null)
        {
            throw EtcdClientSettings.Invalid($"{config.Source} names an etcd password file (Etcd.PasswordFile) but no etcd user: add Etcd.User, the user the password belongs to.");
        }
        return new EtcdAccess
        {
            CaFile = config.EtcdCaFile,
            CertFile = config.EtcdCertFile,
            KeyFile = config.EtcdKeyFile,
            UserName = config.EtcdUser,
            Password = config.EtcdPasswordFile is null ? null : EtcdPasswordFile.Read(config.EtcdPasswordFile),
        };
    }

    /// <summary>-EtcdCredential (a PSCredential, as a NetworkCredential): the etcd user and its password; null gives no access of its own.</summary>
    public static EtcdAccess FromCredential(NetworkCredential? credential) =>
        credential is null || string.IsNullOrEmpty(credential.UserName)
            ? EtcdAccess.None
            : new EtcdAccess { UserName = credential.UserName, Password = credential.Password };
}
