using System.Management.Automation;

namespace PgHa.Cmdlets;

[Cmdlet(VerbsCommon.Get, "PgHaNode")]
public sealed class GetPgHaNodeCommand : PSCmdlet
{
    protected override void ProcessRecord() => WriteObject(typeof(Npgsql.NpgsqlConnection).Assembly.GetName().Name);
}
