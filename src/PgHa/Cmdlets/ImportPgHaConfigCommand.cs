using System.Management.Automation;
using PgHa.Configuration;
using PgHa.Core;

namespace PgHa.Cmdlets;

/// <summary>
/// Reads node configuration files (PgHa .psd1 or repmgr.conf) into <see cref="PgHaNodeConfig"/> objects.
/// One bad file is one non-terminating error; the other files of the call are still read.
/// </summary>
[Cmdlet(VerbsData.Import, "PgHaConfig")]
[OutputType(typeof(PgHaNodeConfig))]
public sealed class ImportPgHaConfigCommand : PSCmdlet
{
    /// <summary>Files to read; wildcards allowed. Binds FullName from Get-ChildItem output.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "PSPath")]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    public string[] Path { get; set; } = [];

    /// <summary>Overrides the format chosen from the extension.</summary>
    [Parameter]
    public PgHaConfigFormat Format { get; set; }

    // -Format has a default enum value, so only an explicitly bound one overrides the extension.
    private PgHaConfigFormat? RequestedFormat => MyInvocation.BoundParameters.ContainsKey(nameof(Format)) ? Format : null;

    protected override void ProcessRecord()
    {
        foreach (string path in Path)
        {
            foreach (string file in Resolve(path))
            {
                Import(file);
            }
        }
    }

    private IEnumerable<string> Resolve(string path)
    {
        List<string> files;
        ProviderInfo provider;
        try
        {
            files = [.. GetResolvedProviderPathFromPSPath(path, out provider)];
        }
        catch (ItemNotFoundException)
        {
            WriteNotFound(path, $"There is no file {MessageText.Quote(path)}. {GiveAFile}");
            return [];
        }
        catch (Exception ex) when (ex is ProviderNotFoundException or System.Management.Automation.DriveNotFoundException or PSArgumentException)
        {
            WriteNotFound(path, MessageText.Shorten($"{ex.Message} {GiveAFile}"));
            return [];
        }

        if (provider.Name != "FileSystem")
        {
            WriteNotFound(path, $"{MessageText.Quote(path)} is not a file-system path (provider {provider.Name}). {GiveAFile}");
            return [];
        }
        if (files.Count == 0)
        {
            WriteNotFound(path, $"No file matches {MessageText.Quote(path)}. {GiveAFile}");
        }
        return files;
    }

    private void Import(string file)
    {
        if (Directory.Exists(file))
        {
            WriteNotFound(file, $"{MessageText.Quote(file)} is a directory. {GiveAFile}");
            return;
        }

        ConfigParseResult result;
        try
        {
            PgHaConfigFormat format = RequestedFormat ?? NodeConfigReader.FormatOf(file);
            WriteVerbose($"Reading '{file}' as a {format} configuration file.");
            result = NodeConfigReader.ReadFile(file, format);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            WriteNotFound(file, $"Cannot find the configuration file {MessageText.Quote(file)}. {GiveAFile}");
            return;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            WriteError(ErrorRecords.Of(new IOException($"Cannot read '{file}': {ex.Message}. Check that this user may read it.", ex), PgHaErrorIds.ConfigUnreadable, file));
            return;
        }

        foreach (string warning in result.Warnings)
        {
            WriteWarning(warning);
        }
        if (result.Config is null)
        {
            string message = $"The configuration file '{file}' is not valid:{Environment.NewLine}{string.Join(Environment.NewLine, result.Errors)}";
            WriteError(ErrorRecords.Of(new InvalidDataException(message), PgHaErrorIds.ConfigInvalid, file));
            return;
        }
        WriteObject(result.Config);
    }

    private const string GiveAFile = "Give the path of a PgHa .psd1 or repmgr.conf file (wildcards allowed).";

    private void WriteNotFound(string path, string message) =>
        WriteError(ErrorRecords.Of(new ItemNotFoundException(message), PgHaErrorIds.ConfigNotFound, path));
}
