using System.Management.Automation;
using PgHa.Configuration;

namespace PgHa.Cmdlets;

/// <summary>Lets -Config take the path of a .psd1 or repmgr.conf as well as an object from Import-PgHaConfig.</summary>
internal sealed class NodeConfigTransformationAttribute : ArgumentTransformationAttribute
{
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        object value = inputData is PSObject wrapped ? wrapped.BaseObject : inputData;
        if (value is not string path)
        {
            return inputData;
        }
        string file = engineIntrinsics.SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);
        ConfigParseResult result;
        try
        {
            result = NodeConfigReader.ReadFile(file);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentTransformationMetadataException($"Cannot read the configuration file '{file}': {ex.Message}", ex);
        }
        return result.Config ?? throw new ArgumentTransformationMetadataException(
            $"The configuration file '{file}' is not valid:{Environment.NewLine}{string.Join(Environment.NewLine, result.Errors)}");
    }
}
