using System.Globalization;
using System.Text.RegularExpressions;

namespace PgHa.Operations.Clone;

/// <summary>
/// Reads pg_basebackup's --progress lines ("  4096/285432 kB (1%), 0/1 tablespace (...)"), which it
/// rewrites in place with \r, into kilobytes done, total and percent.
/// </summary>
internal readonly record struct BaseBackupProgress(long DoneKilobytes, long TotalKilobytes, int Percent)
{
    private static readonly Regex Line = new(@"^\s*(\d+)/(\d+) kB \((\d+)%\)", RegexOptions.CultureInvariant);

    public static bool TryParse(string text, out BaseBackupProgress progress)
    {
        Match match = Line.Match(text);
        if (!match.Success)
        {
            progress = default;
            return false;
        }
        progress = new BaseBackupProgress(
            long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture),
            long.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture),
            int.Parse(match.Groups[3].Value, CultureInfo.InvariantCulture));
        return true;
    }
}
