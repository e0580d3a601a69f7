namespace PgHa.Transport;

/// <summary>Which of a program's output streams a line came from.</summary>
public enum CommandOutputStream
{
    StandardOutput,
    StandardError,
}
