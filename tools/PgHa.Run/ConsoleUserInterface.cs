using System.Collections.ObjectModel;
using System.Management.Automation;
using System.Management.Automation.Host;
using System.Security;

namespace PgHa.Run;

internal sealed class ConsoleUserInterface : PSHostUserInterface
{
    public override PSHostRawUserInterface RawUI { get; } = new ConsoleRawUserInterface();

    public override bool SupportsVirtualTerminal => !Console.IsOutputRedirected;

    // Table headers carry ANSI styles; into a file or pipe they would be noise.
    private string Plain(string value) => GetOutputString(value, SupportsVirtualTerminal);

    public override void Write(string value) => Console.Write(Plain(value));
    public override void Write(ConsoleColor foregroundColor, ConsoleColor backgroundColor, string value) => Console.Write(Plain(value));
    public override void WriteLine(string value) => Console.WriteLine(Plain(value));
    public override void WriteErrorLine(string value) => Console.Error.WriteLine(value);
    public override void WriteDebugLine(string message) => Console.WriteLine("DEBUG: " + message);
    public override void WriteVerboseLine(string message) => Console.WriteLine("VERBOSE: " + message);
    public override void WriteWarningLine(string message) => Console.WriteLine("WARNING: " + message);

    public override void WriteProgress(long sourceId, ProgressRecord record)
    {
        if (record.RecordType == ProgressRecordType.Processing && !Console.IsErrorRedirected)
        {
            string percent = record.PercentComplete >= 0 ? $" {record.PercentComplete,3}%" : string.Empty;
            Console.Error.Write($"\r{record.Activity}: {record.StatusDescription}{percent}".PadRight(Math.Max(1, RawUI.BufferSize.Width - 1))[..Math.Max(1, RawUI.BufferSize.Width - 1)]);
        }
        else if (record.RecordType == ProgressRecordType.Completed && !Console.IsErrorRedirected)
        {
            Console.Error.Write("\r" + new string(' ', Math.Max(1, RawUI.BufferSize.Width - 1)) + "\r");
        }
    }

    public override string ReadLine() => Console.ReadLine() ?? string.Empty;

    public override SecureString ReadLineAsSecureString()
    {
        var secure = new SecureString();
        for (ConsoleKeyInfo key = Console.ReadKey(intercept: true); key.Key != ConsoleKey.Enter; key = Console.ReadKey(intercept: true))
        {
            if (key.Key == ConsoleKey.Backspace && secure.Length > 0)
            {
                secure.RemoveAt(secure.Length - 1);
            }
            else if (!char.IsControl(key.KeyChar))
            {
                secure.AppendChar(key.KeyChar);
            }
        }
        Console.WriteLine();
        return secure;
    }

    public override Dictionary<string, PSObject> Prompt(string caption, string message, Collection<FieldDescription> descriptions)
    {
        WriteLine(caption);
        WriteLine(message);
        var answers = new Dictionary<string, PSObject>();
        foreach (FieldDescription field in descriptions)
        {
            Write(field.Name + ": ");
            answers[field.Name] = PSObject.AsPSObject(ReadLine());
        }
        return answers;
    }

    public override int PromptForChoice(string caption, string message, Collection<ChoiceDescription> choices, int defaultChoice)
    {
        WriteLine(caption);
        WriteLine(message);
        string labels = string.Join("  ", choices.Select((c, i) => $"[{c.Label.Replace("&", string.Empty)}]" + (i == defaultChoice ? " (default)" : string.Empty)));
        while (true)
        {
            Write(labels + ": ");
            string answer = ReadLine().Trim();
            if (answer.Length == 0)
            {
                return defaultChoice;
            }
            for (int i = 0; i < choices.Count; i++)
            {
                string label = choices[i].Label;
                int hot = label.IndexOf('&');
                string key = hot >= 0 && hot + 1 < label.Length ? label[hot + 1].ToString() : label;
                if (string.Equals(answer, key, StringComparison.OrdinalIgnoreCase) || string.Equals(answer, label.Replace("&", string.Empty), StringComparison.OrdinalIgnoreCase))
                {
                    return i;
                }
            }
        }
    }

    public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName) =>
        PromptForCredential(caption, message, userName, targetName, PSCredentialTypes.Default, PSCredentialUIOptions.Default);

    public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName,
        PSCredentialTypes allowedCredentialTypes, PSCredentialUIOptions options)
    {
        WriteLine(caption);
        WriteLine(message);
        if (string.IsNullOrEmpty(userName))
        {
            Write("User: ");
            userName = ReadLine();
        }
        Write("Password for " + userName + ": ");
        return new PSCredential(userName, ReadLineAsSecureString());
    }
}
