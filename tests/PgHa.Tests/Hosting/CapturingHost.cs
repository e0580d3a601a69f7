using System.Globalization;
using System.Management.Automation;
using System.Management.Automation.Host;
using System.Security;
using System.Text;

namespace PgHa.Tests.Hosting;

/// <summary>
/// A PSHost whose UI writes into a buffer, so what a user would see (format views through Out-Default,
/// -WhatIf lines, warnings) can be asserted as plain text.
/// </summary>
public sealed class CapturingHost : PSHost
{
    private readonly CapturingUserInterface _ui = new();

    public override CultureInfo CurrentCulture => CultureInfo.InvariantCulture;
    public override CultureInfo CurrentUICulture => CultureInfo.InvariantCulture;
    public override Guid InstanceId { get; } = Guid.NewGuid();
    public override string Name => "PgHaTestHost";
    public override PSHostUserInterface UI => _ui;
    public override Version Version => new(1, 0);

    /// <summary>Everything written to the host since the last <see cref="TakeOutput"/>.</summary>
    public string TakeOutput() => _ui.Take();

    public override void EnterNestedPrompt() => throw new NotSupportedException();
    public override void ExitNestedPrompt() => throw new NotSupportedException();
    public override void NotifyBeginApplication() { }
    public override void NotifyEndApplication() { }
    public override void SetShouldExit(int exitCode) { }

    private sealed class CapturingUserInterface : PSHostUserInterface
    {
        private readonly StringBuilder _text = new();
        private readonly object _sync = new();

        public override PSHostRawUserInterface RawUI { get; } = new FixedRawUserInterface();

        public string Take()
        {
            lock (_sync)
            {
                string text = _text.ToString();
                _text.Clear();
                return text;
            }
        }

        private void Append(string value)
        {
            // Formatting emits ANSI styles (table headers) even when output rendering is plain text;
            // GetOutputString strips them as a plain console would.
            string plain = GetOutputString(value, supportsVirtualTerminal: false);
            lock (_sync)
            {
                _text.Append(plain);
            }
        }

        public override void Write(string value) => Append(value);
        public override void Write(ConsoleColor foregroundColor, ConsoleColor backgroundColor, string value) => Append(value);
        public override void WriteLine(string value) => Append(value + "\n");
        public override void WriteErrorLine(string value) => Append("ERROR: " + value + "\n");
        public override void WriteDebugLine(string message) => Append("DEBUG: " + message + "\n");
        public override void WriteVerboseLine(string message) => Append("VERBOSE: " + message + "\n");
        public override void WriteWarningLine(string message) => Append("WARNING: " + message + "\n");
        public override void WriteProgress(long sourceId, ProgressRecord record) { }

        public override string ReadLine() => throw new NotSupportedException("Tests never prompt.");
        public override SecureString ReadLineAsSecureString() => throw new NotSupportedException("Tests never prompt.");
        public override Dictionary<string, PSObject> Prompt(string caption, string message, System.Collections.ObjectModel.Collection<FieldDescription> descriptions)
            => throw new NotSupportedException("Tests never prompt: " + message);
        public override int PromptForChoice(string caption, string message, System.Collections.ObjectModel.Collection<ChoiceDescription> choices, int defaultChoice)
            => throw new NotSupportedException("Tests never prompt: " + message);
        public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName)
            => throw new NotSupportedException("Tests never prompt: " + message);
        public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName, PSCredentialTypes allowedCredentialTypes, PSCredentialUIOptions options)
            => throw new NotSupportedException("Tests never prompt: " + message);
    }

    private sealed class FixedRawUserInterface : PSHostRawUserInterface
    {
        public override ConsoleColor BackgroundColor { get; set; } = ConsoleColor.Black;
        public override ConsoleColor ForegroundColor { get; set; } = ConsoleColor.Gray;
        public override Size BufferSize { get; set; } = new(160, 3000);
        public override Coordinates CursorPosition { get; set; }
        public override int CursorSize { get; set; }
        public override bool KeyAvailable => false;
        public override Size MaxPhysicalWindowSize => new(160, 100);
        public override Size MaxWindowSize => new(160, 100);
        public override Coordinates WindowPosition { get; set; }
        public override Size WindowSize { get; set; } = new(160, 100);
        public override string WindowTitle { get; set; } = string.Empty;

        public override void FlushInputBuffer() { }
        public override BufferCell[,] GetBufferContents(Rectangle rectangle) => new BufferCell[0, 0];
        public override KeyInfo ReadKey(ReadKeyOptions options) => throw new NotSupportedException();
        public override void ScrollBufferContents(Rectangle source, Coordinates destination, Rectangle clip, BufferCell fill) { }
        public override void SetBufferContents(Coordinates origin, BufferCell[,] contents) { }
        public override void SetBufferContents(Rectangle rectangle, BufferCell fill) { }
    }
}
