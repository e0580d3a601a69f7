namespace PgHa.Operations.Host;

/// <summary>
/// Pure comparisons of absolute POSIX paths as the target host resolved them (realpath): which one lies
/// inside which. Nothing here touches a file system; symlinks are resolved on the host, never here.
/// </summary>
internal static class PosixPath
{
    /// <summary>
    /// <paramref name="path"/> with repeated and trailing slashes removed ("/a//b/" is "/a/b"); "." and ".."
    /// are left as they are, since only the host can tell what ".." after a symlink means.
    /// </summary>
    public static string Clean(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string[] segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        string joined = string.Join('/', segments);
        return path.StartsWith('/') ? "/" + joined : joined;
    }

    /// <summary>Whether <paramref name="path"/> is <paramref name="directory"/> or lies below it (segment by segment: /a/bc is not inside /a/b).</summary>
    public static bool IsSameOrInside(string path, string directory)
    {
        string p = Clean(path);
        string d = Clean(directory);
        if (p == d)
        {
            return true;
        }
        return d == "/" ? p.StartsWith('/') : p.StartsWith(d + "/", StringComparison.Ordinal);
    }

    /// <summary>Whether either path lies in the other (or they are the same): deleting one would touch the other.</summary>
    public static bool Overlap(string a, string b) => IsSameOrInside(a, b) || IsSameOrInside(b, a);

    /// <summary>Whether the path has a "." or ".." segment: a path that says "inside" lexically but may not be.</summary>
    public static bool HasDotSegments(string path) =>
        path.Split('/').Any(segment => segment is "." or "..");
}
