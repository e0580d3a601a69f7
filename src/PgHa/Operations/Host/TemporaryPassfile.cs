using PgHa.Conninfo;
using PgHa.Core;
using PgHa.Transport;

namespace PgHa.Operations.Host;

/// <summary>
/// When -Credential is given, the programs PgHa runs on the target (psql, pg_basebackup) get the password
/// through a passfile of their own (mode 0600, beside the data directory), never on a command line,
/// and the file is deleted afterwards. Without a credential it adds nothing.
/// </summary>
internal sealed class TemporaryPassfile : IAsyncDisposable
{
    private readonly INodeTransport? _target;
    private readonly string? _path;

    private TemporaryPassfile(INodeTransport? target, string? path)
    {
        _target = target;
        _path = path;
    }

    public static async Task<TemporaryPassfile> CreateAsync(OperationContext context, INodeTransport target, string dataDirectory)
    {
        if (context.Credential is null || string.IsNullOrEmpty(context.Credential.Password))
        {
            return new TemporaryPassfile(null, null);
        }
        string path = $"{ParentOf(dataDirectory)}/.pgha-pgpass-{Guid.NewGuid():N}";
        // Any host and user: the file is this clone's alone and lives only while its programs run.
        string line = $"*:*:*:*:{Escape(context.Credential.Password)}\n";
        await target.WriteFileAsync(path, line, context.CancellationToken).ConfigureAwait(false);
        return new TemporaryPassfile(target, path);
    }

    public ConnectionInfo AddTo(ConnectionInfo info) => _path is null ? info : info.With("passfile", _path);

    public async ValueTask DisposeAsync()
    {
        if (_target is not null && _path is not null)
        {
            await _target.RunAsync("rm", ["-f", "--", _path], new CommandOptions { Timeout = TimeSpan.FromSeconds(30) }, CancellationToken.None).ConfigureAwait(false);
        }
    }

    private static string ParentOf(string path)
    {
        string trimmed = path.TrimEnd('/');
        int slash = trimmed.LastIndexOf('/');
        return slash <= 0 ? "/" : trimmed[..slash];
    }

    private static string Escape(string field) => field.Replace("\\", "\\\\", StringComparison.Ordinal).Replace(":", "\\:", StringComparison.Ordinal);
}
