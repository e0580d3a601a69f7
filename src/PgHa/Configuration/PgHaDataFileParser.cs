using System.Management.Automation.Language;

namespace PgHa.Configuration;

/// <summary>
/// Reads PgHa's own node configuration: a PowerShell data file (.psd1) holding one hashtable. The file is
/// parsed, never run: only literal data (strings, numbers, $true/$false/$null, arrays, hashtables) is
/// accepted, checked value by value with <see cref="Ast.SafeGetValue()"/> so a rejected value is reported
/// with its line. Keys are matched without regard to case, as PowerShell does.
/// </summary>
public static class PgHaDataFileParser
{
    /// <summary>The keys that hold a table of their own settings (Ssh.Host is Host in Ssh = @{ ... }): what it takes, and an example.</summary>
    private static readonly Dictionary<string, (string Keys, string Example)> NestedTables = new(StringComparer.Ordinal)
    {
        ["Ssh"] = ("Host, Port, User, KeyFile and KnownHostsFile",
            "Ssh = @{ Host = 'pgsql1'; Port = 22; User = 'postgres'; KeyFile = '...'; KnownHostsFile = '...' }"),
        ["Etcd"] = ("CaFile, CertFile, KeyFile, User and PasswordFile",
            "Etcd = @{ CaFile = '/etc/pgha/etcd-ca.crt'; CertFile = '...'; KeyFile = '...'; User = 'pgha'; PasswordFile = '/etc/pgha/etcd-password' }"),
    };

    /// <summary>Parses a .psd1 file with the PowerShell parser.</summary>
    public static ConfigParseResult ParseFile(string path)
    {
        var ast = Parser.ParseFile(path, out _, out ParseError[] parseErrors);
        return Read(ast, parseErrors, path);
    }

    /// <summary>Parses .psd1 text; <paramref name="source"/> names it in messages.</summary>
    public static ConfigParseResult Parse(string text, string source)
    {
        var ast = Parser.ParseInput(text, out _, out ParseError[] parseErrors);
        return Read(ast, parseErrors, source);
    }

    private static ConfigParseResult Read(ScriptBlockAst ast, ParseError[] parseErrors, string source)
    {
        var draft = new NodeConfigDraft(source, PgHaConfigFormat.PgHa);
        if (parseErrors.Length > 0)
        {
            foreach (var error in parseErrors)
            {
                draft.Error(error.Extent.StartLineNumber, $"PowerShell cannot parse the file: {error.Message}");
            }
            return draft.Complete();
        }

        if (FindSingleHashtable(ast) is not { } table)
        {
            draft.Error(ast.Extent.StartLineNumber,
                "a PgHa config file must hold exactly one hashtable, @{ NodeId = 1; NodeName = 'node1'; ... }, and nothing else (no commands, no param block).");
            return draft.Complete();
        }

        ReadTable(draft, table, prefix: "");
        return draft.Complete();
    }

    private static HashtableAst? FindSingleHashtable(ScriptBlockAst ast)
    {
        if (ast.ParamBlock is not null || ast.BeginBlock is not null || ast.ProcessBlock is not null || ast.DynamicParamBlock is not null)
        {
            return null;
        }
        var statements = ast.EndBlock?.Statements;
        if (statements is not { Count: 1 } || statements[0] is not PipelineAst pipeline)
        {
            return null;
        }
        return pipeline.GetPureExpression() as HashtableAst;
    }

    private static void ReadTable(NodeConfigDraft draft, HashtableAst table, string prefix)
    {
        foreach (var pair in table.KeyValuePairs)
        {
            int line = pair.Item1.Extent.StartLineNumber;
            if (pair.Item1 is not StringConstantExpressionAst { Value: var name })
            {
                draft.Error(line, $"the key '{pair.Item1.Extent.Text}' is not a plain name; write keys as bare words, e.g. NodeId = 1.");
                continue;
            }
            string key = prefix + name;

            if (prefix.Length == 0 && NestedTables.Keys.FirstOrDefault(k => string.Equals(k, name, StringComparison.OrdinalIgnoreCase)) is { } nested)
            {
                if ((pair.Item2 as PipelineAst)?.GetPureExpression() is HashtableAst inner)
                {
                    ReadTable(draft, inner, nested + ".");
                }
                else
                {
                    draft.Error(line, $"'{nested}' must be a hashtable: {NestedTables[nested].Example}.");
                }
                continue;
            }

            var setting = NodeConfigSettings.FindPgHa(key);
            if (setting is null)
            {
                // Checked for safety even though unused: code in a config file is an error wherever it is.
                if (TryGetValue(draft, pair.Item2, key, out _))
                {
                    draft.Unknown(line, key, prefix.Length == 0
                        ? "not a PgHa setting; check the spelling (see Get-Help Import-PgHaConfig -Full for the keys)."
                        : $"{prefix.TrimEnd('.')} takes {NestedTables[prefix.TrimEnd('.')].Keys}.");
                }
                continue;
            }
            if (TryGetValue(draft, pair.Item2, key, out object? value))
            {
                draft.Set(setting, key, value, line);
            }
        }
    }

    private static bool TryGetValue(NodeConfigDraft draft, StatementAst statement, string key, out object? value)
    {
        try
        {
            // SafeGetValue lets script blocks through (it does not run them), but they are code all the same.
            if (statement.Find(node => node is ScriptBlockExpressionAst, searchNestedScriptBlocks: true) is not null)
            {
                throw new InvalidOperationException("A script block is not data.");
            }
            value = statement.SafeGetValue();
            return true;
        }
        catch (InvalidOperationException)
        {
            draft.Error(statement.Extent.StartLineNumber,
                $"the value of '{key}' is code, not data; a PgHa config file is not run, so it may only hold quoted strings, numbers, $true/$false, arrays and hashtables.");
            value = null;
            return false;
        }
    }
}
