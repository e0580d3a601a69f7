using PgHa.Core;

namespace PgHa.Tests.Fixtures;

/// <summary>An operation reporter that drops everything: for engine calls whose verbose lines a test does not read.</summary>
internal sealed class SilentReporter : IOperationReporter
{
    public void Verbose(string message) { }

    public void Warning(string message) { }

    public void Progress(string activity, string status, int percentComplete) { }
}
