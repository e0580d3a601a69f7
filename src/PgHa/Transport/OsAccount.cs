using System.Runtime.InteropServices;

namespace PgHa.Transport;

/// <summary>
/// An OS user's passwd entry (getpwnam_r, so NSS users such as LDAP's count too): what a process started for that
/// user needs besides the ids (HOME), as runuser sets it.
/// </summary>
internal sealed record OsAccount(string Name, uint Uid, uint Gid, string Home)
{
    private static readonly Dictionary<string, OsAccount?> Known = new(StringComparer.Ordinal);

    /// <summary>The account, or null when there is none of that name or this is not Linux (looked up once per process).</summary>
    public static OsAccount? Find(string name)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }
        lock (Known)
        {
            if (!Known.TryGetValue(name, out OsAccount? account))
            {
                account = Lookup(name);
                Known[name] = account;
            }
            return account;
        }
    }

    private static OsAccount? Lookup(string name)
    {
        IntPtr buffer = Marshal.AllocHGlobal(16384);
        try
        {
            int status = GetPwNamR(name, out Passwd entry, buffer, 16384, out IntPtr result);
            if (status != 0 || result == IntPtr.Zero)
            {
                return null;
            }
            string? home = Marshal.PtrToStringUTF8(entry.Dir);
            return string.IsNullOrEmpty(home) ? null : new OsAccount(name, entry.Uid, entry.Gid, home);
        }
        finally
        {
            Marshal.FreeHGlobal(buffer);
        }
    }

    /// <summary>glibc's struct passwd on 64-bit Linux.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct Passwd
    {
        public IntPtr Name;
        public IntPtr Password;
        public uint Uid;
        public uint Gid;
        public IntPtr Gecos;
        public IntPtr Dir;
        public IntPtr Shell;
    }

    [DllImport("libc", EntryPoint = "getpwnam_r", SetLastError = true)]
    private static extern int GetPwNamR([MarshalAs(UnmanagedType.LPUTF8Str)] string name, out Passwd entry, IntPtr buffer, nuint size, out IntPtr result);
}
