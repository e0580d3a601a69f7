using System.Text;

namespace PgHa.Transport;

/// <summary>
/// Drains a program's stdout and stderr: keeps the exact text for the result and cuts it into lines
/// for the caller's callback. Both streams share one lock so callbacks never run concurrently.
/// </summary>
internal sealed class CommandOutputCollector
{
    private const int BufferSize = 4096;

    private readonly Action<CommandOutputLine>? _onLine;
    private readonly object _callbackGate = new();
    private readonly StringBuilder _standardOutput = new();
    private readonly StringBuilder _standardError = new();

    public CommandOutputCollector(Action<CommandOutputLine>? onLine) => _onLine = onLine;

    public string StandardOutput
    {
        get
        {
            lock (_standardOutput)
            {
                return _standardOutput.ToString();
            }
        }
    }

    public string StandardError
    {
        get
        {
            lock (_standardError)
            {
                return _standardError.ToString();
            }
        }
    }

    /// <summary>Reads the stream to its end (UTF-8).</summary>
    public async Task DrainAsync(Stream stream, CommandOutputStream which, CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(stream, new UTF8Encoding(false), detectEncodingFromByteOrderMarks: false, BufferSize, leaveOpen: true);
        var sink = which == CommandOutputStream.StandardOutput ? _standardOutput : _standardError;
        var pending = new StringBuilder();
        var buffer = new char[BufferSize];
        var afterCarriageReturn = false;
        int read;
        while ((read = await reader.ReadAsync(buffer.AsMemory(), cancellationToken)) > 0)
        {
            // Locked because a caller may take the text while a straggler (a daemon that inherited
            // the pipe) still writes.
            lock (sink)
            {
                sink.Append(buffer, 0, read);
            }
            if (_onLine is null)
            {
                continue;
            }
            for (var i = 0; i < read; i++)
            {
                var c = buffer[i];
                if (c == '\n' && afterCarriageReturn)
                {
                    // The \n of a \r\n pair: the line was already reported at the \r.
                    afterCarriageReturn = false;
                    continue;
                }
                afterCarriageReturn = c == '\r';
                if (c is '\n' or '\r')
                {
                    Report(which, pending.ToString());
                    pending.Clear();
                }
                else
                {
                    pending.Append(c);
                }
            }
        }
        if (pending.Length > 0)
        {
            Report(which, pending.ToString());
        }
    }

    private void Report(CommandOutputStream which, string text)
    {
        lock (_callbackGate)
        {
            _onLine!(new CommandOutputLine(which, text));
        }
    }
}
