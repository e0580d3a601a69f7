using System.Runtime.InteropServices;
using PgHa.Bench;

// One entry per benchmark, one class each (the switchover is bench/switchover.sh with bench/switchover.ps1).
IBenchmark[] benchmarks =
[
    new ClusterShowBenchmark(),
    new CloneBenchmark(),
    new SandboxBenchmark(),
    new FailoverBenchmark(),
    new ProxyOutageBenchmark(),
];

if (args.Length == 0 || benchmarks.All(b => b.Name != args[0]))
{
    Console.Error.WriteLine("usage: PgHa.Bench <benchmark> [arguments]");
    foreach (var benchmark in benchmarks)
    {
        Console.Error.WriteLine($"  {benchmark.Name,-16} {benchmark.Description}");
    }
    return 2;
}

// Ctrl+C and SIGTERM cancel instead of killing the process, so the finally blocks that stop servers
// and delete the nftables table get to run.
using var cancellation = new CancellationTokenSource();
void Cancel(PosixSignalContext context)
{
    context.Cancel = true;
    Console.Error.WriteLine($"{context.Signal}: cancelling, cleaning up servers and firewall rules...");
    cancellation.Cancel();
}
using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Cancel);
using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Cancel);

var selected = benchmarks.Single(b => b.Name == args[0]);
try
{
    return await selected.RunAsync(args[1..], cancellation.Token);
}
catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
{
    Console.Error.WriteLine($"{selected.Name}: cancelled.");
    return 130;
}
