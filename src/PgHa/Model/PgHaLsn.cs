using System.Globalization;

namespace PgHa;

/// <summary>
/// A PostgreSQL WAL position (pg_lsn), written as PostgreSQL writes it: high and low 32 bits in hex, "16/B374D848".
/// </summary>
public readonly struct PgHaLsn : IEquatable<PgHaLsn>, IComparable<PgHaLsn>
{
    public PgHaLsn(ulong value) => Value = value;

    public ulong Value { get; }

    public static PgHaLsn Parse(string text)
    {
        if (!TryParse(text, out PgHaLsn lsn))
        {
            throw new FormatException($"'{text}' is not a WAL position; PostgreSQL writes them as two hex numbers, like 0/3000060.");
        }
        return lsn;
    }

    public static bool TryParse(string? text, out PgHaLsn lsn)
    {
        lsn = default;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }
        int slash = text.IndexOf('/');
        if (slash <= 0 || slash == text.Length - 1 || slash > 8 || text.Length - slash - 1 > 8)
        {
            return false;
        }
        if (!uint.TryParse(text.AsSpan(0, slash), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out uint high)
            || !uint.TryParse(text.AsSpan(slash + 1), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out uint low))
        {
            return false;
        }
        lsn = new PgHaLsn(((ulong)high << 32) | low);
        return true;
    }

    /// <summary>Bytes of WAL from <paramref name="earlier"/> to this position (negative when this one is behind).</summary>
    public long BytesSince(PgHaLsn earlier) => unchecked((long)(Value - earlier.Value));

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{(uint)(Value >> 32):X}/{(uint)Value:X}");

    public bool Equals(PgHaLsn other) => Value == other.Value;
    public override bool Equals(object? obj) => obj is PgHaLsn other && Equals(other);
    public override int GetHashCode() => Value.GetHashCode();
    public int CompareTo(PgHaLsn other) => Value.CompareTo(other.Value);

    public static bool operator ==(PgHaLsn left, PgHaLsn right) => left.Equals(right);
    public static bool operator !=(PgHaLsn left, PgHaLsn right) => !left.Equals(right);
    public static bool operator <(PgHaLsn left, PgHaLsn right) => left.Value < right.Value;
    public static bool operator >(PgHaLsn left, PgHaLsn right) => left.Value > right.Value;
    public static bool operator <=(PgHaLsn left, PgHaLsn right) => left.Value <= right.Value;
    public static bool operator >=(PgHaLsn left, PgHaLsn right) => left.Value >= right.Value;
}
