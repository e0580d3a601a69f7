using System.Xml;

namespace PgHa.HelpBuilder;

/// <summary>
/// Writes cmdlet help as MAML, the XML PowerShell's help system reads from en-US/&lt;Assembly&gt;.dll-Help.xml.
/// The element names and namespaces are the ones Get-Help looks for; attribute values (required,
/// position, pipelineInput, globbing) are shown verbatim under "-Full" and "-Parameter".
/// </summary>
internal static class MamlWriter
{
    private const string MshNamespace = "http://msh";
    private const string MamlNamespace = "http://schemas.microsoft.com/maml/2004/10";
    private const string CommandNamespace = "http://schemas.microsoft.com/maml/dev/command/2004/10";
    private const string DevNamespace = "http://schemas.microsoft.com/maml/dev/2004/10";

    public static void Write(string path, IEnumerable<CommandHelp> commands)
    {
        var settings = new XmlWriterSettings { Indent = true, Encoding = new System.Text.UTF8Encoding(false) };
        using XmlWriter xml = XmlWriter.Create(path, settings);
        xml.WriteStartDocument();
        xml.WriteStartElement("helpItems", MshNamespace);
        xml.WriteAttributeString("schema", "maml");
        foreach (CommandHelp command in commands)
        {
            WriteCommand(xml, command);
        }
        xml.WriteEndElement();
        xml.WriteEndDocument();
    }

    private static void WriteCommand(XmlWriter xml, CommandHelp command)
    {
        xml.WriteStartElement("command", "command", CommandNamespace);
        xml.WriteAttributeString("xmlns", "maml", null, MamlNamespace);
        xml.WriteAttributeString("xmlns", "command", null, CommandNamespace);
        xml.WriteAttributeString("xmlns", "dev", null, DevNamespace);

        xml.WriteStartElement("command", "details", CommandNamespace);
        xml.WriteElementString("command", "name", CommandNamespace, command.Name);
        xml.WriteElementString("command", "verb", CommandNamespace, command.Verb);
        xml.WriteElementString("command", "noun", CommandNamespace, command.Noun);
        WriteParagraphs(xml, "maml", "description", MamlNamespace, command.Synopsis);
        xml.WriteEndElement();

        WriteParagraphs(xml, "maml", "description", MamlNamespace, command.Description);
        WriteSyntax(xml, command);

        xml.WriteStartElement("command", "parameters", CommandNamespace);
        foreach (HelpParameter parameter in command.Parameters)
        {
            WriteParameter(xml, parameter, parameter.Usages[0], inSyntax: false);
        }
        xml.WriteEndElement();

        WriteTypeEntries(xml, "inputTypes", "inputType", command.Inputs);
        WriteTypeEntries(xml, "returnValues", "returnValue", command.Outputs);

        xml.WriteStartElement("maml", "alertSet", MamlNamespace);
        WriteParagraphs(xml, "maml", "alert", MamlNamespace, command.Notes);
        xml.WriteEndElement();

        xml.WriteStartElement("command", "examples", CommandNamespace);
        foreach (HelpExample example in command.Examples)
        {
            xml.WriteStartElement("command", "example", CommandNamespace);
            // Get-Help prints the title as is; the dashes are the banner every built-in help file uses.
            xml.WriteElementString("maml", "title", MamlNamespace, $"-------------------------- {example.Title} --------------------------");
            xml.WriteElementString("dev", "code", DevNamespace, example.Code);
            WriteParagraphs(xml, "dev", "remarks", DevNamespace, example.Remarks);
            xml.WriteEndElement();
        }
        xml.WriteEndElement();

        xml.WriteStartElement("maml", "relatedLinks", MamlNamespace);
        // The "Online Version:" link is the one Get-Help -Online opens.
        var links = command.OnlineUri is null
            ? command.RelatedLinks
            : command.RelatedLinks.Prepend(new HelpLink("Online Version:", command.OnlineUri));
        foreach (HelpLink link in links)
        {
            xml.WriteStartElement("maml", "navigationLink", MamlNamespace);
            xml.WriteElementString("maml", "linkText", MamlNamespace, link.Text);
            // Relative links point between the markdown pages; in a console only an absolute address means anything.
            xml.WriteElementString("maml", "uri", MamlNamespace, Uri.IsWellFormedUriString(link.Uri, UriKind.Absolute) ? link.Uri : string.Empty);
            xml.WriteEndElement();
        }
        xml.WriteEndElement();

        xml.WriteEndElement();
    }

    private static void WriteSyntax(XmlWriter xml, CommandHelp command)
    {
        xml.WriteStartElement("command", "syntax", CommandNamespace);
        foreach (string set in command.ParameterSets)
        {
            xml.WriteStartElement("command", "syntaxItem", CommandNamespace);
            xml.WriteElementString("maml", "name", MamlNamespace, command.Name);
            // Positional parameters first, in position order, as PowerShell's own syntax lines show them.
            var members = command.Parameters
                .Select((parameter, index) => (parameter, index, usage: parameter.UsageIn(set)))
                .Where(m => m.usage is not null)
                .OrderBy(m => int.TryParse(m.usage!.Position, out int position) ? position : int.MaxValue)
                .ThenBy(m => m.index);
            foreach (var (parameter, _, usage) in members)
            {
                WriteParameter(xml, parameter, usage!, inSyntax: true);
            }
            xml.WriteEndElement();
        }
        xml.WriteEndElement();
    }

    private static void WriteParameter(XmlWriter xml, HelpParameter parameter, ParameterUsage usage, bool inSyntax)
    {
        xml.WriteStartElement("command", "parameter", CommandNamespace);
        xml.WriteAttributeString("required", Bool(usage.Required));
        xml.WriteAttributeString("variableLength", Bool(parameter.Type.EndsWith("[]", StringComparison.Ordinal)));
        xml.WriteAttributeString("globbing", Bool(parameter.AcceptsWildcards));
        xml.WriteAttributeString("pipelineInput", usage.PipelineInput);
        xml.WriteAttributeString("position", usage.Position);
        xml.WriteAttributeString("aliases", parameter.Aliases.Count == 0 ? "none" : string.Join(", ", parameter.Aliases));
        xml.WriteElementString("maml", "name", MamlNamespace, parameter.Name);
        WriteParagraphs(xml, "maml", "description", MamlNamespace, parameter.Description);

        if (inSyntax && parameter.AcceptedValues.Count > 0)
        {
            // Shown as {A | B | C} in the syntax line.
            xml.WriteStartElement("command", "parameterValueGroup", CommandNamespace);
            foreach (string value in parameter.AcceptedValues)
            {
                WriteParameterValue(xml, value, required: false);
            }
            xml.WriteEndElement();
        }
        else if (!(inSyntax && parameter.IsSwitch))
        {
            // A switch has no value in the syntax line: "[-WhatIf]", not "[-WhatIf <SwitchParameter>]".
            WriteParameterValue(xml, parameter.Type, required: !parameter.IsSwitch);
        }

        xml.WriteStartElement("dev", "type", DevNamespace);
        xml.WriteElementString("maml", "name", MamlNamespace, parameter.Type);
        xml.WriteElementString("maml", "uri", MamlNamespace, string.Empty);
        xml.WriteEndElement();
        xml.WriteElementString("dev", "defaultValue", DevNamespace, parameter.DefaultValue);
        xml.WriteEndElement();
    }

    private static void WriteParameterValue(XmlWriter xml, string value, bool required)
    {
        xml.WriteStartElement("command", "parameterValue", CommandNamespace);
        xml.WriteAttributeString("required", Bool(required));
        xml.WriteAttributeString("variableLength", "false");
        xml.WriteString(value);
        xml.WriteEndElement();
    }

    private static void WriteTypeEntries(XmlWriter xml, string listName, string entryName, IReadOnlyList<HelpTypeEntry> entries)
    {
        xml.WriteStartElement("command", listName, CommandNamespace);
        foreach (HelpTypeEntry entry in entries)
        {
            xml.WriteStartElement("command", entryName, CommandNamespace);
            xml.WriteStartElement("dev", "type", DevNamespace);
            xml.WriteElementString("maml", "name", MamlNamespace, entry.TypeName);
            xml.WriteEndElement();
            WriteParagraphs(xml, "maml", "description", MamlNamespace, entry.Description);
            xml.WriteEndElement();
        }
        xml.WriteEndElement();
    }

    /// <summary>Each blank-line separated paragraph becomes its own maml:para, which Get-Help wraps and spaces.</summary>
    private static void WriteParagraphs(XmlWriter xml, string prefix, string name, string ns, IEnumerable<string> paragraphs)
    {
        xml.WriteStartElement(prefix, name, ns);
        foreach (string paragraph in paragraphs)
        {
            xml.WriteElementString("maml", "para", MamlNamespace, paragraph);
        }
        xml.WriteEndElement();
    }

    private static string Bool(bool value) => value ? "true" : "false";
}
